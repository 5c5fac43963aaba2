//! The `sessions` table: one row per sign-in. Deleting rows is how sessions end.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{revoked_tokens, sessions, users};
use super::users::User;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct Session {
    pub id: Uuid,
    pub user_id: i64,
    pub generation: i32,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub client_address: String,
    pub user_agent: String,
    /// When the newest token issued in this session expires.
    pub expires_at: DateTime<Utc>,
    /// Started with a second factor.
    pub mfa: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: i64,
    pub client_address: &'a str,
    pub user_agent: &'a str,
    pub expires_at: DateTime<Utc>,
    pub mfa: bool,
}

impl NewSession<'_> {
    pub fn insert(&self, conn: &mut PgConnection) -> QueryResult<Session> {
        diesel::insert_into(sessions::table)
            .values(self)
            .returning(Session::as_returning())
            .get_result(conn)
    }
}

/// Everything authentication needs about a token, in one indexed round trip: the user,
/// their session, and whether this token's `jti` is on the denylist.
pub fn lookup(
    conn: &mut PgConnection,
    user_id: i64,
    session_id: Uuid,
    jti: Uuid,
) -> QueryResult<Option<(User, Session, bool)>> {
    users::table
        .inner_join(sessions::table)
        .filter(users::id.eq(user_id))
        .filter(sessions::id.eq(session_id))
        .select((
            User::as_select(),
            Session::as_select(),
            diesel::dsl::exists(revoked_tokens::table.filter(revoked_tokens::jti.eq(jti))),
        ))
        .first(conn)
        .optional()
}

/// A user's sessions that can still be used (`ended_before`: now minus the leeway).
pub fn list_for_user(
    conn: &mut PgConnection,
    user_id: i64,
    ended_before: DateTime<Utc>,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.ge(ended_before))
        .order((sessions::last_used_at.desc(), sessions::created_at.desc()))
        .select(Session::as_select())
        .load(conn)
}

/// Ends one session of this user; `false` when there was none (unknown or another's).
pub fn end(conn: &mut PgConnection, user_id: i64, session_id: Uuid) -> QueryResult<bool> {
    let deleted = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// Ends every session of a user, but `keep` when given.
pub fn end_all_of_user(
    conn: &mut PgConnection,
    user_id: i64,
    keep: Option<Uuid>,
) -> QueryResult<usize> {
    let mine = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn),
        None => diesel::delete(mine).execute(conn),
    }
}

/// Ends every session of every user.
pub fn end_everyone(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(sessions::table).execute(conn)
}

/// Moves a session to its next generation (its earlier tokens stop working) and
/// returns it as stored now.
pub fn next_generation(conn: &mut PgConnection, session_id: Uuid) -> QueryResult<Session> {
    diesel::update(sessions::table.find(session_id))
        .set(sessions::generation.eq(sessions::generation + 1))
        .returning(Session::as_returning())
        .get_result(conn)
}

/// Records use of a session; callers do it at most once a minute per session.
pub fn touch(conn: &mut PgConnection, session_id: Uuid) -> QueryResult<()> {
    diesel::update(sessions::table.find(session_id))
        .set(sessions::last_used_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|_| ())
}

/// A token expiring at `exp` was issued in the session: it lives at least that long.
pub fn extend_expiry(
    conn: &mut PgConnection,
    session_id: Uuid,
    exp: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::expires_at.lt(exp)),
    )
    .set(sessions::expires_at.eq(exp))
    .execute(conn)
    .map(|_| ())
}

/// Deletes a user's sessions that can no longer be used: their newest token expired
/// before `ended_before`, or they started before `started_before` (the absolute length).
pub fn purge_ended_of_user(
    conn: &mut PgConnection,
    user_id: i64,
    ended_before: DateTime<Utc>,
    started_before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(
                sessions::expires_at
                    .lt(ended_before)
                    .or(sessions::created_at.lt(started_before)),
            ),
    )
    .execute(conn)
}

/// Keeps a user's `keep` most recently used sessions and ends the others.
pub fn cap_for_user(conn: &mut PgConnection, user_id: i64, keep: i64) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM sessions WHERE user_id = $1 AND id NOT IN \
         (SELECT id FROM sessions WHERE user_id = $1 \
          ORDER BY last_used_at DESC, created_at DESC LIMIT $2)",
    )
    .bind::<diesel::sql_types::BigInt, _>(user_id)
    .bind::<diesel::sql_types::BigInt, _>(keep)
    .execute(conn)
}

/// The periodic sweep: every session that can no longer be used, of any user.
pub fn purge_ended(
    conn: &mut PgConnection,
    ended_before: DateTime<Utc>,
    started_before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(ended_before)
                .or(sessions::created_at.lt(started_before)),
        ),
    )
    .execute(conn)
}
