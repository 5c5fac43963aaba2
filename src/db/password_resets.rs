//! The `password_resets` table (contract §9): one-time links, stored as the SHA-256 of
//! their token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::password_resets;

pub fn insert(
    conn: &mut PgConnection,
    token_hash: &[u8],
    user_id: i64,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(token_hash),
            password_resets::user_id.eq(user_id),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The user a link that still works (unused, unexpired) is for.
pub fn valid_user(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<Option<i64>> {
    password_resets::table
        .find(token_hash)
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(diesel::dsl::now))
        .select(password_resets::user_id)
        .first(conn)
        .optional()
}

/// Uses the link up, in one statement (so it works once however many ask at once);
/// the user it was for, or `None` when it no longer works.
pub fn use_up(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<Option<i64>> {
    diesel::update(
        password_resets::table
            .find(token_hash)
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(diesel::dsl::now)),
    )
    .set(password_resets::used_at.eq(diesel::dsl::now))
    .returning(password_resets::user_id)
    .get_result(conn)
    .optional()
}

/// Every unused link of a user stops working (their password was just set).
pub fn void_all_of_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// The periodic sweep: links past their time.
pub fn purge_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::expires_at.lt(diesel::dsl::now)))
        .execute(conn)
}
