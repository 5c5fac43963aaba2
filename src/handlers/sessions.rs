//! The caller's sessions: `GET /me/sessions`, `POST /me/sessions/{id}/revoke`,
//! `POST /me/logout-others`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use crate::auth::extract::CurrentUser;
use crate::db::{self, sessions};
use crate::error::AppError;
use crate::handlers::session::{NoFields, signed_out};
use crate::http::format::{self, Format};
use crate::http::input::Input;
use crate::http::redirect;
use crate::state::AppState;
use crate::views::device;
use crate::views::json::{ListJson, SessionJson};
use crate::views::pages::{Layout, SessionView, SessionsPage, readable_time};

pub async fn list(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    CurrentUser(identity): CurrentUser,
) -> Result<HttpResponse, AppError> {
    let user_id = identity.user.id;
    let mine = db::blocking(&state.pool, move |conn| {
        Ok(sessions::list_for_user(conn, user_id)?)
    })
    .await?;
    let current = identity.session.id;
    match format {
        Format::Json => {
            let items = mine
                .iter()
                .map(|s| SessionJson::new(s, s.id == current))
                .collect();
            Ok(format::json(StatusCode::OK, &ListJson { items }))
        }
        Format::Html => {
            let sessions = mine
                .iter()
                .map(|s| SessionView {
                    id: s.id.to_string(),
                    device: device::describe(&s.user_agent),
                    user_agent: s.user_agent.clone(),
                    client_address: s.client_address.clone(),
                    started: readable_time(&s.created_at),
                    last_used: readable_time(&s.last_used_at),
                    current: s.id == current,
                })
                .collect();
            format::html(
                StatusCode::OK,
                &SessionsPage {
                    layout: Layout::from_request(&req, "Your sessions"),
                    sessions,
                },
            )
        }
    }
}

pub async fn revoke(
    format: Format,
    state: web::Data<AppState>,
    CurrentUser(identity): CurrentUser,
    path: web::Path<String>,
    Input(_): Input<NoFields>,
) -> Result<HttpResponse, AppError> {
    let not_found = || AppError::NotFound(format!("you have no session with id {path}"));
    let sid = Uuid::parse_str(&path).map_err(|_| not_found())?;
    let user_id = identity.user.id;
    let ended = db::blocking(&state.pool, move |conn| {
        Ok(sessions::end(conn, user_id, sid)?)
    })
    .await?;
    if !ended {
        return Err(not_found());
    }
    if sid == identity.session.id {
        return Ok(signed_out(
            &state,
            format,
            "/login",
            "This session was signed out",
        ));
    }
    Ok(redirect::after_action(format, &state, "/me/sessions", "Session revoked").finish())
}

pub async fn logout_others(
    format: Format,
    state: web::Data<AppState>,
    CurrentUser(identity): CurrentUser,
    Input(_): Input<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (user_id, keep) = (identity.user.id, identity.session.id);
    let ended = db::blocking(&state.pool, move |conn| {
        Ok(sessions::end_all_of_user(conn, user_id, Some(keep))?)
    })
    .await?;
    let message = match ended {
        0 => "There were no other sessions".to_string(),
        1 => "Signed out of 1 other session".to_string(),
        n => format!("Signed out of {n} other sessions"),
    };
    Ok(redirect::after_action(format, &state, "/me/sessions", &message).finish())
}
