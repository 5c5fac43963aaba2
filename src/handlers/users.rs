//! The directory: `GET /users` (paginated, searchable) and `GET /users/{id}`.

use actix_web::web;

use crate::accounts::Accounts;
use crate::auth::extract::CurrentUser;
use crate::error::AppError;
use crate::http::pagination::ListQuery;
use crate::views::json::{PageJson, UserJson};
use crate::views::pages::{Pager, UserPage, UserView, UsersPage};
use crate::web::answer::Answer;

pub async fn index(
    accounts: web::Data<Accounts>,
    _: CurrentUser,
    query: ListQuery,
) -> Result<Answer, AppError> {
    let (items, total) = accounts.directory_page(&query).await?;
    let json = PageJson::new(items.iter().map(UserJson::from).collect(), &query, total);
    Ok(Answer::show(&json, "People", move |layout| UsersPage {
        layout,
        users: items.iter().map(UserView::from).collect(),
        pager: Pager::new(&query, "/users", total),
        q: query.q,
    }))
}

pub async fn show(
    accounts: web::Data<Accounts>,
    _: CurrentUser,
    path: web::Path<String>,
) -> Result<Answer, AppError> {
    let user = accounts.user(&path).await?;
    let title = user.username.clone();
    Ok(Answer::show(
        &UserJson::from(&user),
        &title,
        move |layout| UserPage {
            layout,
            user: UserView::from(&user),
        },
    ))
}
