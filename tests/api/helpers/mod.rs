//! `spawn_app()`: a keycard on a free port with a fresh database cloned from a migrated
//! template, and a `TestApp` with two clients that do not follow redirects: a
//! cookie-keeping, browser-like one and a cookie-less one for anonymous and Bearer requests.
//! Helpers that do follow a redirect say so in their names.

mod browser;
mod db;
mod json;
mod spawn;
mod tokens;

pub use browser::{BROWSER_ACCEPT, assert_is_redirect_to, set_cookie_header};
pub use json::{Api, assert_problem};
pub use spawn::{
    TestApp, fresh_database, spawn_app, spawn_app_with, spawn_with_settings, test_algorithm,
    test_settings, test_signing_key,
};
pub use tokens::{now, sign_as_keycard, sign_hs256, token_parts};

pub const PASSWORD: &str = "k3ycard-correct-horse";

/// A username nobody else in this database has.
pub fn unique_username() -> String {
    format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}
