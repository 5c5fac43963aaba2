//! Administration: `GET /admin`, `POST /admin/users/{id}/{role,disable,enable,revoke,delete}`
//! and `POST /admin/revoke-all`. Declaring `AdminUser` is the authorisation: the role
//! stored now decides, so a demoted admin is refused at their next request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::accounts::admin::{self, AdminAction};
use crate::auth::extract::AdminUser;
use crate::db::{self, sessions, users};
use crate::domain::Role;
use crate::error::AppError;
use crate::handlers::session::{NoFields, signed_out};
use crate::handlers::users::parse_user_id;
use crate::http::format::{self, Format};
use crate::http::input::Input;
use crate::http::pagination;
use crate::http::problem::FieldErrors;
use crate::http::redirect;
use crate::state::AppState;
use crate::views::json::UserJson;
use crate::views::pages::{AdminPage, Layout, Pager, UserView};

#[derive(Debug, Deserialize)]
pub struct RoleChange {
    #[serde(default)]
    role: String,
}

#[derive(Debug, Default, Deserialize)]
struct Confirm {
    confirm: Option<String>,
}

pub async fn dashboard(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    AdminUser(identity): AdminUser,
) -> Result<HttpResponse, AppError> {
    if format == Format::Json {
        let counts = db::blocking(&state.pool, |conn| Ok(users::counts(conn)?)).await?;
        return Ok(format::json(StatusCode::OK, &counts));
    }
    let query = pagination::parse(req.query_string())?;
    let (q, offset, limit) = (query.q.clone(), query.offset(), query.per_page);
    // One trip to the blocking pool for both.
    let (counts, (items, total)) = db::blocking(&state.pool, move |conn| {
        Ok((users::counts(conn)?, users::page(conn, &q, offset, limit)?))
    })
    .await?;
    let confirm: Confirm = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    format::html(
        StatusCode::OK,
        &AdminPage {
            layout: Layout::from_request(&req, "Administration"),
            counts,
            users: items.iter().map(UserView::from).collect(),
            pager: Pager::new(&query, "/admin", total),
            q: query.q,
            me: identity.user.id,
            confirm_revoke_all: confirm.confirm.as_deref() == Some("revoke-all"),
        },
    )
}

pub async fn set_role(
    format: Format,
    state: web::Data<AppState>,
    AdminUser(identity): AdminUser,
    path: web::Path<String>,
    Input(change): Input<RoleChange>,
) -> Result<HttpResponse, AppError> {
    let id = parse_user_id(&path)?;
    let role = Role::parse(&change.role)
        .map_err(|e| AppError::Validation(FieldErrors::single("role", e)))?;
    act(
        format,
        &state,
        &identity.user,
        id,
        AdminAction::SetRole(role),
    )
    .await
}

/// `POST /admin/users/{id}/{disable|enable|revoke|delete}`: the actions without a body.
pub async fn act_on_user(
    format: Format,
    state: web::Data<AppState>,
    AdminUser(identity): AdminUser,
    path: web::Path<(String, String)>,
    Input(_): Input<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let id = parse_user_id(&id)?;
    let action = match action.as_str() {
        "disable" => AdminAction::Disable,
        "enable" => AdminAction::Enable,
        "revoke" => AdminAction::Revoke,
        "delete" => AdminAction::Delete,
        // The route's pattern admits only the four names above.
        _ => {
            return Err(AppError::NotFound(
                "there is nothing at this address".into(),
            ));
        }
    };
    act(format, &state, &identity.user, id, action).await
}

pub async fn revoke_all(
    format: Format,
    state: web::Data<AppState>,
    _: AdminUser,
    Input(_): Input<NoFields>,
) -> Result<HttpResponse, AppError> {
    db::blocking(&state.pool, |conn| Ok(sessions::end_everyone(conn)?)).await?;
    Ok(signed_out(
        &state,
        format,
        "/login",
        "Everyone was signed out, you included",
    ))
}

/// Runs `action` on user `id` and answers: JSON per the contract (`200` with the user,
/// or `204`), HTML a `303` back to the dashboard with a flash message. An admin who
/// just took away their own access goes to `/me` instead (which sends them on to
/// sign in when they are signed out).
async fn act(
    format: Format,
    state: &AppState,
    actor: &users::User,
    id: i64,
    action: AdminAction,
) -> Result<HttpResponse, AppError> {
    let user = db::blocking(&state.pool, move |conn| admin::apply(conn, id, action)).await?;
    if format == Format::Json {
        return Ok(match action {
            AdminAction::Revoke | AdminAction::Delete => HttpResponse::NoContent().finish(),
            _ => format::json(StatusCode::OK, &UserJson::from(&user)),
        });
    }
    let lost_access = id == actor.id
        && !matches!(
            action,
            AdminAction::Enable | AdminAction::SetRole(Role::Admin)
        );
    let location = if lost_access { "/me" } else { "/admin" };
    Ok(redirect::see_other_with_flash(
        state,
        location,
        &action.done_message(&user.username),
    ))
}
