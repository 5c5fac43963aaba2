//! The `login_failures` table: one row per failed (or in-flight) sign-in attempt.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::login_failures;

/// Serialises attempts on one key (username or address) until the transaction ends.
pub fn lock(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(key)
        .execute(conn)
        .map(|_| ())
}

/// Failure times newer than `since` for a username, oldest first.
pub fn recent_for_username(
    conn: &mut PgConnection,
    username_key: &str,
    since: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    login_failures::table
        .filter(login_failures::username_key.eq(username_key))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.asc())
        .select(login_failures::failed_at)
        .load(conn)
}

/// Failure times newer than `since` for a client address, oldest first.
pub fn recent_for_address(
    conn: &mut PgConnection,
    address: &str,
    since: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    login_failures::table
        .filter(login_failures::client_address.eq(address))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.asc())
        .select(login_failures::failed_at)
        .load(conn)
}

pub fn insert(conn: &mut PgConnection, username_key: &str, address: &str) -> QueryResult<i64> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::username_key.eq(username_key),
            login_failures::client_address.eq(address),
        ))
        .returning(login_failures::id)
        .get_result(conn)
}

/// After a successful sign-in: the attempt was not a failure, and the username's
/// earlier failures are forgiven (the address's are not).
pub fn forgive(conn: &mut PgConnection, attempt_id: i64, username_key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(attempt_id)).execute(conn)?;
    diesel::delete(login_failures::table.filter(login_failures::username_key.eq(username_key)))
        .execute(conn)
        .map(|_| ())
}

/// Drops rows older than the window, to keep the table small.
pub fn purge_before(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}
