//! Black-box tests: the real app over real HTTP against a real PostgreSQL
//! (`KEYCARD_TEST_DATABASE_URL`, set by scripts/test). One binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod admin;
mod audit;
mod bodies;
mod cli;
mod csrf;
mod errors;
mod health;
mod introspection;
mod keys;
mod limits;
mod login;
mod me;
mod metrics;
mod negotiation;
mod openapi;
mod races;
mod register;
mod revocation;
mod sessions;
mod shutdown;
mod static_files;
mod throttle;
mod tokens;
mod two_factor;
mod users;
