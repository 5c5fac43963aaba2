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
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: i64,
    pub client_address: &'a str,
    pub user_agent: &'a str,
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

pub fn list_for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
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

/// Deletes a user's sessions that outlived the absolute session length.
pub fn purge_expired(
    conn: &mut PgConnection,
    user_id: i64,
    max_age_secs: i64,
) -> QueryResult<usize> {
    let cutoff = Utc::now() - chrono::Duration::seconds(max_age_secs);
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::created_at.lt(cutoff)),
    )
    .execute(conn)
}
