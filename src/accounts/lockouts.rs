//! Lockouts (contract §9): the usernames and addresses sign-in refuses now, because
//! their recorded failures reached the limit, and an admin's "clear".

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::accounts::audit::event;
use crate::accounts::{Accounts, Client};
use crate::auth::throttle;
use crate::db::users::User;
use crate::db::{audit, login_failures};
use crate::domain::EventKind;
use crate::error::{AppError, FieldErrors};

/// What is locked: a username (as the limits key it, lower case) or a client address
/// (an IPv6 client by its /64).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locked {
    Username(String),
    Address(String),
}

/// One lock: what, how many failures the window holds, and when sign-in works again.
#[derive(Debug, Clone)]
pub struct Lockout {
    pub locked: Locked,
    pub failures: usize,
    pub frees_at: DateTime<Utc>,
}

impl Accounts {
    /// The limits: failures per username, per address, and the window in seconds.
    pub fn limits(&self) -> (u32, u32, u64) {
        let s = &self.settings;
        (
            s.max_failures_per_username,
            s.max_failures_per_address,
            s.failure_window_secs,
        )
    }

    /// Everything refused now, the soonest to free up first.
    pub async fn lockouts(&self) -> Result<Vec<Lockout>, AppError> {
        let settings = self.settings.clone();
        let window = Duration::seconds(i64::try_from(settings.failure_window_secs).unwrap_or(0));
        self.db(move |conn| {
            let now = Utc::now();
            let mut locks = Vec::new();
            for (by_username, limit) in [
                (true, settings.max_failures_per_username),
                (false, settings.max_failures_per_address),
            ] {
                for (key, failures) in login_failures::over_limit(
                    conn,
                    by_username,
                    now - window,
                    throttle::stale_before(now),
                    limit,
                )? {
                    let Some(wait) = throttle::retry_after(&failures, limit, window, now) else {
                        continue;
                    };
                    let frees_at = now + Duration::seconds(i64::try_from(wait).unwrap_or(0));
                    let locked = if by_username {
                        Locked::Username(key)
                    } else {
                        Locked::Address(key)
                    };
                    locks.push(Lockout {
                        locked,
                        failures: failures.len(),
                        frees_at,
                    });
                }
            }
            locks.sort_by_key(|l| l.frees_at);
            Ok(locks)
        })
        .await
    }

    /// Ends the lock on a username or an address (exactly one of them): its recorded
    /// failures go, and the audit log says who cleared it. Nothing recorded: `404`.
    pub async fn clear_lockout(
        &self,
        actor: &User,
        client: &Client,
        username: Option<&str>,
        address: Option<&str>,
    ) -> Result<Locked, AppError> {
        let locked = match (
            username.filter(|u| !u.is_empty()),
            address.filter(|a| !a.is_empty()),
        ) {
            (Some(username), None) => Locked::Username(username.to_lowercase()),
            (None, Some(address)) => {
                Locked::Address(crate::http::client_addr::limit_key(address.trim()))
            }
            _ => {
                let mut errors = FieldErrors::default();
                errors.add("username", "or address is required (one of them)");
                return Err(AppError::Validation(errors));
            }
        };
        let mut cleared = event(EventKind::LockoutCleared, Some(actor), None, client);
        let target = locked.clone();
        self.db(move |conn| {
            conn.transaction(|conn| {
                let stale = throttle::stale_before(Utc::now());
                let removed = match &target {
                    Locked::Username(key) => {
                        cleared.subject_id = User::find_by_username(conn, key)?.map(|u| u.id);
                        cleared.subject_username = cleared.subject_id.map(|_| key.clone());
                        login_failures::clear_username(conn, key, stale)?
                    }
                    Locked::Address(key) => login_failures::clear_address(conn, key, stale)?,
                };
                if removed == 0 {
                    return Err(AppError::NotFound(
                        "no failed sign-ins are recorded for that username or address".into(),
                    ));
                }
                cleared.details = json!({"lock": target, "failures": removed});
                audit::record(conn, &cleared)?;
                Ok(())
            })
        })
        .await?;
        Ok(locked)
    }
}
