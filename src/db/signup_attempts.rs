//! The `signup_attempts` table: one row per sign-up, per client address.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::signup_attempts;

/// Sign-up times newer than `since` for an address, oldest first.
pub fn recent_for_address(
    conn: &mut PgConnection,
    address: &str,
    since: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    signup_attempts::table
        .filter(signup_attempts::client_address.eq(address))
        .filter(signup_attempts::attempted_at.gt(since))
        .order(signup_attempts::attempted_at.asc())
        .select(signup_attempts::attempted_at)
        .load(conn)
}

pub fn insert(conn: &mut PgConnection, address: &str) -> QueryResult<i64> {
    diesel::insert_into(signup_attempts::table)
        .values(signup_attempts::client_address.eq(address))
        .returning(signup_attempts::id)
        .get_result(conn)
}

pub fn purge_before(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(signup_attempts::table.filter(signup_attempts::attempted_at.lt(before)))
        .execute(conn)
}
