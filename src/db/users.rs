//! The `users` table: the `User` model (which holds the hash and so is never
//! serialised; `views::json::UserJson` is what leaves the server) and its queries.

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use super::schema::users;
use crate::domain::Role;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether a second factor is on (derived from the stored secret, which this
    /// model never loads).
    pub two_factor: bool,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// Everything but the password hash.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("password_hash", &"[redacted]")
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("two_factor", &self.two_factor)
            .field("last_sign_in_at", &self.last_sign_in_at)
            .finish()
    }
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The user, locked until the transaction ends: every path that changes a user and
    /// the rows hanging off it takes the user's row first (one lock order, no deadlock).
    pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .for_update()
            .first(conn)
            .optional()
    }

    /// By username, without regard to case (uses the `lower(username)` index).
    pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(lower(users::username).eq(username.to_lowercase()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    pub password_hash: &'a str,
    pub role: Role,
}

impl NewUser<'_> {
    /// Inserts the user; a case-insensitive duplicate fails with a unique violation
    /// on `users_username_lower_key` (`AppError::Conflict`).
    pub fn insert(&self, conn: &mut PgConnection) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(self)
            .returning(User::as_returning())
            .get_result(conn)
    }
}

impl FromSql<Text, Pg> for Role {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(value)?;
        Role::parse(&text).map_err(|_| format!("unknown role {text:?} in users.role").into())
    }
}

impl ToSql<Text, Pg> for Role {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
    }
}

/// What an update changes; `None` leaves a column as it is (`display_name:
/// Some(None)` clears the name). `updated_at` is always set.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges<'a> {
    pub display_name: Option<Option<&'a str>>,
    pub password_hash: Option<&'a str>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Records that user `id` signed in now.
pub fn record_sign_in(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_sign_in_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|_| ())
}

/// Applies `changes` to user `id` and returns the user as stored now.
pub fn update(conn: &mut PgConnection, id: i64, changes: &UserChanges<'_>) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set((changes, users::updated_at.eq(diesel::dsl::now)))
        .returning(User::as_returning())
        .get_result(conn)
}

pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(users::table.find(id)).execute(conn)
}

/// Enabled admins, counted under the caller's lock (the last-admin rule).
pub fn count_enabled_admins(conn: &mut PgConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)
}
