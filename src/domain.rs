//! Contract field rules as types (§2). No I/O and no actix here: each `parse` either
//! returns a value that is valid by construction or the message shown beside the field.

pub mod common_passwords;
pub mod display_name;
pub mod event_kind;
pub mod password;
pub mod role;
pub mod username;

pub use display_name::DisplayName;
pub use event_kind::EventKind;
pub use password::NewPassword;
pub use role::Role;
pub use username::Username;
