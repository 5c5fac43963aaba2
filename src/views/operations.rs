//! Operators' pages besides the audit log (contract §9): lockouts, and reset links
//! (the admin's page with the link, and the new-password form the link opens).

use askama::Template;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::accounts::lockouts::{Locked, Lockout};
use crate::error::FieldErrors;
use crate::views::json::{UserJson, rfc3339};
use crate::views::pages::{Layout, UserView, readable_time};

#[derive(Debug, Clone, Serialize)]
pub struct LockoutJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub failures: usize,
    #[serde(serialize_with = "rfc3339")]
    pub frees_at: DateTime<Utc>,
}

impl From<&Lockout> for LockoutJson {
    fn from(l: &Lockout) -> Self {
        let (username, address) = match &l.locked {
            Locked::Username(name) => (Some(name.clone()), None),
            Locked::Address(address) => (None, Some(address.clone())),
        };
        LockoutJson {
            username,
            address,
            failures: l.failures,
            frees_at: l.frees_at,
        }
    }
}

pub struct LockoutRow {
    /// `username` or `address`: the form field that clears it.
    pub field: &'static str,
    pub what: &'static str,
    pub key: String,
    pub failures: usize,
    pub frees_at: String,
    pub ago: String,
}

impl LockoutRow {
    pub fn new(l: &Lockout, now: DateTime<Utc>) -> Self {
        let (field, what, key) = match &l.locked {
            Locked::Username(name) => ("username", "Username", name.clone()),
            Locked::Address(address) => ("address", "Address", address.clone()),
        };
        let secs = (l.frees_at - now).num_seconds().max(1);
        LockoutRow {
            field,
            what,
            key,
            failures: l.failures,
            frees_at: readable_time(&l.frees_at),
            ago: if secs < 120 {
                format!("in {secs} seconds")
            } else {
                format!("in {} minutes", (secs + 59) / 60)
            },
        }
    }
}

#[derive(Template)]
#[template(path = "lockouts.html")]
pub struct LockoutsPage {
    pub layout: Layout,
    pub lockouts: Vec<LockoutRow>,
    pub limit_per_username: u32,
    pub limit_per_address: u32,
    pub window_minutes: u64,
}

/// `POST /admin/users/{id}/reset-link` as JSON (no `Debug`: the URL is the secret).
#[derive(Clone, Serialize)]
pub struct ResetLinkJson {
    pub url: String,
    pub path: String,
    #[serde(serialize_with = "rfc3339")]
    pub expires_at: DateTime<Utc>,
    pub user: UserJson,
}

#[derive(Template)]
#[template(path = "reset_link.html")]
pub struct ResetLinkPage {
    pub layout: Layout,
    pub user: UserView,
    pub url: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
pub struct ResetPasswordPage {
    pub layout: Layout,
    pub username: String,
    pub action: String,
    pub errors: FieldErrors,
}
