//! The directory (contract §3 `GET /users`, `GET /users/{id}`).

use crate::accounts::Accounts;
use crate::db::directory;
use crate::db::users::User;
use crate::error::AppError;
use crate::http::pagination::ListQuery;

impl Accounts {
    /// One page of users matching `query.q`, and how many match in all.
    pub async fn directory_page(&self, query: &ListQuery) -> Result<(Vec<User>, i64), AppError> {
        let (q, offset, limit) = (query.q.clone(), query.offset(), query.per_page);
        self.db(move |conn| Ok(directory::page(conn, &q, offset, limit)?))
            .await
    }

    /// A user by id from the path: a positive integer, else there is no such user.
    pub async fn user(&self, id: &str) -> Result<User, AppError> {
        let id = parse_user_id(id)?;
        self.db(move |conn| Ok(User::find(conn, id)?))
            .await?
            .ok_or_else(|| no_user(id))
    }
}

/// A user id from the path: a positive integer, else there is no such user (`404`).
pub fn parse_user_id(text: &str) -> Result<i64, AppError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| no_user(text))
}

pub fn no_user(id: impl std::fmt::Display) -> AppError {
    AppError::NotFound(format!("no user with id {id}"))
}
