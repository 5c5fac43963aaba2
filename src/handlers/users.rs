//! The directory: `GET /users` (paginated, searchable) and `GET /users/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::accounts::admin::no_user;
use crate::auth::extract::CurrentUser;
use crate::db::{self, users, users::User};
use crate::error::AppError;
use crate::http::format::{self, Format};
use crate::http::pagination;
use crate::state::AppState;
use crate::views::json::{PageJson, UserJson};
use crate::views::pages::{Layout, Pager, UserPage, UserView, UsersPage};

pub async fn index(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    _: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let query = pagination::parse(req.query_string())?;
    let (q, offset, limit) = (query.q.clone(), query.offset(), query.per_page);
    let (items, total) = db::blocking(&state.pool, move |conn| {
        Ok(users::page(conn, &q, offset, limit)?)
    })
    .await?;
    match format {
        Format::Json => Ok(format::json(
            StatusCode::OK,
            &PageJson {
                items: items.iter().map(UserJson::from).collect(),
                page: query.page,
                per_page: query.per_page,
                total,
            },
        )),
        Format::Html => format::html(
            StatusCode::OK,
            &UsersPage {
                layout: Layout::from_request(&req, "People"),
                users: items.iter().map(UserView::from).collect(),
                pager: Pager::new(&query, "/users", total),
                q: query.q,
            },
        ),
    }
}

pub async fn show(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    _: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_user_id(&path)?;
    let user = db::blocking(&state.pool, move |conn| Ok(User::find(conn, id)?))
        .await?
        .ok_or_else(|| no_user(id))?;
    match format {
        Format::Json => Ok(format::json(StatusCode::OK, &UserJson::from(&user))),
        Format::Html => format::html(
            StatusCode::OK,
            &UserPage {
                layout: Layout::from_request(&req, &user.username),
                user: UserView::from(&user),
            },
        ),
    }
}

/// A user id from the path: a positive integer, else there is no such user (`404`).
pub fn parse_user_id(text: &str) -> Result<i64, AppError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| no_user(text))
}
