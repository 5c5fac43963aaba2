//! One module per contract area. Each handler declares what it needs (a guard from
//! `auth::extract`, the body through `Input`, the `Client`), calls one use case of
//! `Accounts`, and says what it answers with `web::answer`.

pub mod admin;
pub mod health;
pub mod home;
pub mod introspection;
pub mod keys;
pub mod login;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod operations;
pub mod register;
pub mod reset;
pub mod sessions;
pub mod two_factor;
pub mod users;
