//! Who is calling, and may they.

pub mod identity;
pub mod password;
