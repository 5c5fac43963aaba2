//! Sign-in and sign-up limits (contract §4), shared by every instance through
//! PostgreSQL.
//!
//! Failed sign-ins are limited per username and per client address within a sliding
//! window. Only wrong passwords count, and however many guesses run at once no more
//! than the limit are ever checked: before its password is checked, an attempt takes a
//! *slot* under advisory locks on both keys. A key has as many slots as failures it may
//! still have (limit − recorded failures); an attempt that finds them all taken by
//! checks in flight waits a little for one (polling with a growing pause) instead of
//! being refused, and one that finds the limit reached by recorded failures is `429`
//! at once, before any hashing. A check ends by recording a failure, releasing the slot
//! (right password), or, when it could not finish, by the slot going stale.
//!
//! Sign-ups are counted per address per hour, before any hashing.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::{login_failures, signup_attempts};
use crate::error::{AppError, Limit};
use crate::settings::AuthSettings;

/// A check that has not finished after this long never will (its instance died): its
/// slot counts as a failure from then on.
const STALE_AFTER_SECS: i64 = 60;

/// Pending rows older than this are failures (their check never finished).
pub fn stale_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::seconds(STALE_AFTER_SECS)
}

/// The slot an attempt holds while its password is checked.
#[derive(Debug, Clone)]
pub struct Slot {
    pub id: i64,
    pub username_key: String,
}

/// What a reservation found.
pub enum Reservation {
    Granted(Slot),
    /// Every slot is taken by a check in flight; try again shortly.
    Full,
}

/// The username as a throttle key, or empty for text that cannot be a username (which
/// is refused without touching the username limits, and never stored unbounded).
pub fn username_key(username: &str) -> String {
    match crate::domain::Username::parse(username) {
        Ok(name) => name.as_str().to_lowercase(),
        Err(_) => String::new(),
    }
}

fn window(settings: &AuthSettings) -> Duration {
    Duration::seconds(i64::try_from(settings.failure_window_secs).unwrap_or(i64::MAX / 2))
}

/// One try at a slot, in one transaction.
pub fn reserve(
    conn: &mut PgConnection,
    settings: &AuthSettings,
    username_key: &str,
    address: &str,
) -> Result<Reservation, AppError> {
    let address = &crate::http::client_addr::limit_key(address);
    let window = window(settings);
    conn.transaction(|conn| {
        // Always username first, then address: one order, so no deadlock.
        if !username_key.is_empty() {
            login_failures::lock(conn, &format!("login-user:{username_key}"))?;
        }
        login_failures::lock(conn, &format!("login-addr:{address}"))?;
        let now = Utc::now();
        let since = now - window;
        let stale = stale_before(now);
        let by_user = if username_key.is_empty() {
            login_failures::Recent::default()
        } else {
            login_failures::recent_for_username(conn, username_key, since, stale)?
        };
        let by_address = login_failures::recent_for_address(conn, address, since, stale)?;
        let limits = [
            (&by_user, settings.max_failures_per_username),
            (&by_address, settings.max_failures_per_address),
        ];
        let wait = limits
            .iter()
            .filter_map(|(recent, limit)| retry_after(&recent.failures, *limit, window, now))
            .max();
        if let Some(retry_after_secs) = wait {
            return Err(AppError::TooManyRequests {
                limit: Limit::SignIns,
                retry_after_secs,
            });
        }
        let full = limits.iter().any(|(recent, limit)| {
            recent.failures.len() + recent.in_flight >= usize::try_from(*limit).unwrap_or(0)
        });
        if full {
            return Ok(Reservation::Full);
        }
        let id = login_failures::insert_pending(conn, username_key, address)?;
        if id % 64 == 0 {
            login_failures::purge_before(conn, since)?;
        }
        Ok(Reservation::Granted(Slot {
            id,
            username_key: username_key.to_string(),
        }))
    })
}

/// The longest an attempt waits before trying a full reservation again, unless a slot
/// given back on this instance wakes it first: 10 ms, growing to 500 ms.
pub fn pause(tries: u32) -> StdDuration {
    StdDuration::from_millis((10u64 << tries.min(6)).min(500))
}

/// How long an attempt may wait for a slot before it is answered `503`.
pub const MAX_WAIT: StdDuration = StdDuration::from_secs(15);

/// A wrong password: the slot becomes a recorded failure.
pub fn fail(conn: &mut PgConnection, slot: &Slot) -> Result<(), AppError> {
    Ok(login_failures::record_failure(conn, slot.id)?)
}

/// A right password: the slot is released and the username's failures forgiven.
pub fn succeed(conn: &mut PgConnection, slot: &Slot) -> Result<(), AppError> {
    login_failures::release(conn, slot.id)?;
    if !slot.username_key.is_empty() {
        login_failures::forgive_username(conn, &slot.username_key)?;
    }
    Ok(())
}

/// The check did not finish (the hash queue was full, the database went away, or the
/// account changed under it): the slot is released, nothing is recorded.
pub fn release(conn: &mut PgConnection, slot: &Slot) -> Result<(), AppError> {
    Ok(login_failures::release(conn, slot.id)?)
}

/// Counts a sign-up from `address`, or `429` when the hour's allowance is used up.
pub fn reserve_signup(
    conn: &mut PgConnection,
    settings: &AuthSettings,
    address: &str,
) -> Result<(), AppError> {
    let hour = Duration::hours(1);
    let address = &crate::http::client_addr::limit_key(address);
    conn.transaction(|conn| {
        login_failures::lock(conn, &format!("signup-addr:{address}"))?;
        let now = Utc::now();
        let recent = signup_attempts::recent_for_address(conn, address, now - hour)?;
        if let Some(retry_after_secs) =
            retry_after(&recent, settings.signups_per_address_per_hour, hour, now)
        {
            return Err(AppError::TooManyRequests {
                limit: Limit::SignUps,
                retry_after_secs,
            });
        }
        let id = signup_attempts::insert(conn, address)?;
        if id % 64 == 0 {
            signup_attempts::purge_before(conn, now - hour)?;
        }
        Ok(())
    })
}

/// Whole seconds (at least 1) until fewer than `limit` events remain in the window,
/// or `None` when below the limit now. `events` is oldest first.
pub fn retry_after(
    events: &[DateTime<Utc>],
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Option<u64> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if events.len() < limit {
        return None;
    }
    // Once this one leaves the window, exactly limit - 1 remain (limit 0: the newest).
    let freeing = events
        .get(events.len() - limit)
        .or(events.last())
        .copied()
        .unwrap_or(now);
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
        assert_eq!(retry_after(&[], 0, Duration::seconds(900), now), Some(900));
    }

    #[test]
    fn text_that_cannot_be_a_username_has_no_username_key() {
        assert_eq!(username_key("Alice"), "alice");
        assert_eq!(username_key(&"a".repeat(4000)), "");
        assert_eq!(username_key("no spaces"), "");
    }

    #[test]
    fn the_pause_grows_and_is_capped() {
        assert_eq!(pause(0), StdDuration::from_millis(10));
        assert_eq!(pause(2), StdDuration::from_millis(40));
        assert_eq!(pause(5), StdDuration::from_millis(320));
        assert_eq!(pause(10), StdDuration::from_millis(500));
    }
}
