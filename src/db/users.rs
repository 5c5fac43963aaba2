//! The `users` table: the `User` model (which holds the hash and so is never
//! serialised; `views::json::UserJson` is what leaves the server) and its queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

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
    pub role: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
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
    pub role: &'a str,
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

/// Makes an existing user an enabled admin (`keycard create-admin` on a taken name).
pub fn promote_to_admin(conn: &mut PgConnection, id: i64) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set((
            users::role.eq(Role::Admin.as_str()),
            users::disabled.eq(false),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .returning(User::as_returning())
        .get_result(conn)
}
