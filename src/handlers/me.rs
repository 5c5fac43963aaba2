//! Self-service: `GET /me`, `POST /me` (display name), `POST /me/password`,
//! `POST /me/logout-all`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::accounts::profile;
use crate::auth::extract::CurrentUser;
use crate::auth::tokens;
use crate::db::users::User;
use crate::db::{self, sessions};
use crate::error::AppError;
use crate::handlers::client_of;
use crate::handlers::session::{NoFields, signed_in, signed_out};
use crate::http::format::{self, Format};
use crate::http::input::{Input, present};
use crate::http::problem::FieldErrors;
use crate::http::redirect;
use crate::state::AppState;
use crate::views::json::UserJson;
use crate::views::pages::{Layout, MePage, UserView};

#[derive(Debug, Deserialize)]
pub struct ProfileChange {
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Option<String>>,
}

#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn show(
    req: HttpRequest,
    format: Format,
    CurrentUser(identity): CurrentUser,
) -> Result<HttpResponse, AppError> {
    match format {
        Format::Json => Ok(format::json(
            StatusCode::OK,
            &UserJson::from(&identity.user),
        )),
        Format::Html => page(
            &req,
            StatusCode::OK,
            &identity.user,
            None,
            FieldErrors::default(),
        ),
    }
}

pub async fn update(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    CurrentUser(identity): CurrentUser,
    Input(change): Input<ProfileChange>,
) -> Result<HttpResponse, AppError> {
    let Some(typed) = change.display_name else {
        let errors = FieldErrors::single(
            "display_name",
            "is required (send an empty value or null to clear it)",
        );
        return Err(AppError::Validation(errors));
    };
    let typed = typed.unwrap_or_default();
    match profile::set_display_name(&state, identity.user.id, &typed).await {
        Ok(user) => Ok(match format {
            Format::Json => format::json(StatusCode::OK, &UserJson::from(&user)),
            Format::Html => {
                let message = if user.display_name.is_some() {
                    "Display name saved"
                } else {
                    "Display name cleared"
                };
                redirect::see_other_with_flash(&state, "/me", message)
            }
        }),
        Err(AppError::Validation(errors)) if format == Format::Html => page(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &identity.user,
            Some(typed),
            errors,
        ),
        Err(error) => Err(error),
    }
}

pub async fn change_password(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    CurrentUser(identity): CurrentUser,
    Input(change): Input<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    let client = client_of(&req, &state);
    let changed = profile::change_password(
        &state,
        &identity,
        &client,
        change.current_password,
        &change.new_password,
    )
    .await;
    let (user, session) = match changed {
        Ok(changed) => changed,
        Err(AppError::Validation(errors)) if format == Format::Html => {
            return page(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                &identity.user,
                None,
                errors,
            );
        }
        Err(error) => return Err(error),
    };
    let issued = tokens::issue_now(&state, &user, &session)?;
    Ok(signed_in(
        &state,
        format,
        &user,
        &issued,
        "/me",
        Some("Password changed; your other sessions were signed out"),
    ))
}

pub async fn logout_all(
    format: Format,
    state: web::Data<AppState>,
    CurrentUser(identity): CurrentUser,
    Input(_): Input<NoFields>,
) -> Result<HttpResponse, AppError> {
    let user_id = identity.user.id;
    db::blocking(&state.pool, move |conn| {
        Ok(sessions::end_all_of_user(conn, user_id, None)?)
    })
    .await?;
    Ok(signed_out(
        &state,
        format,
        "/login",
        "Signed out everywhere",
    ))
}

/// The profile page; the display-name field shows `typed` (what the visitor sent)
/// or, without it, the name as stored.
fn page(
    req: &HttpRequest,
    status: StatusCode,
    user: &User,
    typed: Option<String>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    format::html(
        status,
        &MePage {
            layout: Layout::from_request(req, "Your profile"),
            user: UserView::from(user),
            display_name: typed.unwrap_or_else(|| user.display_name.clone().unwrap_or_default()),
            errors,
        },
    )
}
