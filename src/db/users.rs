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

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
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

/// Applies `changes` to user `id` and returns the user as stored now.
pub fn update(conn: &mut PgConnection, id: i64, changes: &UserChanges<'_>) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set((changes, users::updated_at.eq(diesel::dsl::now)))
        .returning(User::as_returning())
        .get_result(conn)
}

/// One page of the directory: users whose name contains `q` (literally, without regard
/// to case), ordered by id, and how many match in all.
pub fn page(
    conn: &mut PgConnection,
    q: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let pattern = format!("%{}%", escape_like(q));
    let matching = || users::table.filter(users::username.ilike(pattern.clone()));
    let total = matching().count().get_result(conn)?;
    let items = matching()
        .order(users::id.asc())
        .offset(offset)
        .limit(limit)
        .select(User::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// `q` as a LIKE pattern that matches itself: `%`, `_` and `\` lose their meaning
/// (backslash is PostgreSQL's default LIKE escape).
pub fn escape_like(q: &str) -> String {
    let mut escaped = String::with_capacity(q.len());
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The admin dashboard's numbers; also `GET /admin`'s JSON as they are (no secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub users: i64,
    pub admins: i64,
    pub disabled: i64,
}

pub fn counts(conn: &mut PgConnection) -> QueryResult<Counts> {
    let (users, admins, disabled) = users::table
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::count(users::id).aggregate_filter(users::role.eq(Role::Admin)),
            diesel::dsl::count(users::id).aggregate_filter(users::disabled.eq(true)),
        ))
        .get_result(conn)?;
    Ok(Counts {
        users,
        admins,
        disabled,
    })
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

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_metacharacters_match_themselves() {
        assert_eq!(escape_like("a_b"), "a\\_b");
        assert_eq!(escape_like("50%"), "50\\%");
        assert_eq!(escape_like("a\\b"), "a\\\\b");
        assert_eq!(escape_like("o'neil; drop"), "o'neil; drop");
    }
}
