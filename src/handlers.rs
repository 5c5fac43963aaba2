//! One module per contract area; each handler extracts, calls the domain, responds.

pub mod health;
pub mod home;
