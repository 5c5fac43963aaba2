//! Failed sign-in limits (contract §4): per username and per client address within a
//! sliding window, shared by every instance through PostgreSQL.
//!
//! An attempt is *reserved* before the password is checked: under advisory locks on
//! both keys, the recent failures are counted and, below both limits, a row is written
//! for this attempt. So concurrent wrong attempts can never exceed a limit, and a
//! refused attempt (`429`) costs no bcrypt hash. A successful sign-in removes its row
//! and the username's earlier failures.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::login_failures;
use crate::error::AppError;
use crate::settings::AuthSettings;

/// The row written for an attempt in flight; a failure simply leaves it in place.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: i64,
    pub username_key: String,
}

pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

pub fn reserve(
    conn: &mut PgConnection,
    settings: &AuthSettings,
    username: &str,
    address: &str,
) -> Result<Attempt, AppError> {
    let address = &crate::http::client_addr::limit_key(address);
    let username_key = username_key(username);
    let window =
        Duration::seconds(i64::try_from(settings.failure_window_secs).unwrap_or(i64::MAX / 2));
    conn.transaction(|conn| {
        // Always username first, then address: one order, so no deadlock.
        login_failures::lock(conn, &format!("login-user:{username_key}"))?;
        login_failures::lock(conn, &format!("login-addr:{address}"))?;
        let now = Utc::now();
        let since = now - window;
        let by_user = login_failures::recent_for_username(conn, &username_key, since)?;
        let by_address = login_failures::recent_for_address(conn, address, since)?;
        let wait = [
            retry_after(&by_user, settings.max_failures_per_username, window, now),
            retry_after(&by_address, settings.max_failures_per_address, window, now),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(retry_after_secs) = wait {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        let id = login_failures::insert(conn, &username_key, address)?;
        if id % 64 == 0 {
            login_failures::purge_before(conn, since)?;
        }
        Ok(Attempt { id, username_key })
    })
}

pub fn forgive(conn: &mut PgConnection, attempt: &Attempt) -> Result<(), AppError> {
    Ok(login_failures::forgive(
        conn,
        attempt.id,
        &attempt.username_key,
    )?)
}

/// Whole seconds (at least 1) until fewer than `limit` failures remain in the window,
/// or `None` when below the limit now. `failures` is oldest first.
pub fn retry_after(
    failures: &[DateTime<Utc>],
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Option<u64> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if failures.len() < limit {
        return None;
    }
    // Once this one leaves the window, exactly limit - 1 remain.
    let freeing = failures[failures.len() - limit];
    let millis = (freeing + window - now).num_milliseconds().max(0);
    Some(u64::try_from(millis).unwrap_or(0).div_ceil(1000).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_limit_there_is_no_wait() {
        let now = Utc::now();
        let failures = vec![now - Duration::seconds(10); 4];
        assert_eq!(retry_after(&failures, 5, Duration::seconds(900), now), None);
    }

    #[test]
    fn at_the_limit_the_wait_ends_when_the_oldest_leaves_the_window() {
        let now = Utc::now();
        let failures: Vec<_> = (0..5).map(|i| now - Duration::seconds(100 - i)).collect();
        assert_eq!(
            retry_after(&failures, 5, Duration::seconds(900), now),
            Some(800)
        );
    }

    #[test]
    fn the_wait_is_whole_seconds_and_at_least_one() {
        let now = Utc::now();
        let failures = vec![now - Duration::milliseconds(899_500); 5];
        assert_eq!(
            retry_after(&failures, 5, Duration::seconds(900), now),
            Some(1)
        );
        let failures = vec![now - Duration::milliseconds(900_000); 5];
        assert_eq!(
            retry_after(&failures, 5, Duration::seconds(900), now),
            Some(1)
        );
        let failures = vec![now - Duration::milliseconds(100_200); 5];
        assert_eq!(
            retry_after(&failures, 5, Duration::seconds(900), now),
            Some(800)
        );
    }
}
