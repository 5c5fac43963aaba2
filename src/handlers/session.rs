//! Signing in and out: `GET /login`, `POST /login`, `POST /logout`, `POST /refresh`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::accounts;
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::auth::tokens::{self, IssuedToken};
use crate::db::users::User;
use crate::db::{self, revoked_tokens, sessions};
use crate::error::AppError;
use crate::handlers::client_of;
use crate::http::format::{self, Format};
use crate::http::input::Input;
use crate::http::problem::FieldErrors;
use crate::http::{cookies, csrf, redirect};
use crate::state::AppState;
use crate::views::json::{TokenJson, UserJson};
use crate::views::pages::{Layout, LoginPage};

#[derive(Debug, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// A body with no fields of interest (the CSRF value is checked by `Input`).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    format: Format,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if format == Format::Json {
        return Err(AppError::NotAcceptable(
            "this is a form page; JSON clients sign in with POST /login and a JSON body".into(),
        ));
    }
    let next = redirect::local_or(query.next.as_deref(), "").to_string();
    login_page(&req, StatusCode::OK, String::new(), next, None)
}

pub async fn login(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    Input(input): Input<Credentials>,
) -> Result<HttpResponse, AppError> {
    let next = redirect::local_or(input.next.as_deref(), "/me").to_string();
    let mut missing = FieldErrors::default();
    if input.username.is_empty() {
        missing.add("username", "is required");
    }
    if input.password.is_empty() {
        missing.add("password", "is required");
    }
    if !missing.is_empty() {
        return match format {
            Format::Json => Err(AppError::Validation(missing)),
            Format::Html => login_page(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                input.username,
                next,
                Some("Enter your username and password.".into()),
            ),
        };
    }
    let client = client_of(&req, &state);
    let username = input.username.clone();
    let (user, session) =
        match accounts::sign_in(state.clone(), input.username, input.password, client).await {
            Ok(signed_in) => signed_in,
            Err(AppError::BadCredentials) if format == Format::Html => {
                let message = AppError::BadCredentials.detail();
                return login_page(
                    &req,
                    StatusCode::UNAUTHORIZED,
                    username,
                    next,
                    Some(message),
                );
            }
            Err(error) => return Err(error),
        };
    let issued = tokens::issue_now(&state, &user, &session)?;
    Ok(signed_in(&state, format, &user, &issued, &next, None))
}

pub async fn logout(
    format: Format,
    state: web::Data<AppState>,
    MaybeUser(identity): MaybeUser,
    Input(_): Input<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(identity) = identity {
        let (user_id, sid) = (identity.user.id, identity.session.id);
        db::blocking(&state.pool, move |conn| {
            Ok(sessions::end(conn, user_id, sid)?)
        })
        .await?;
    }
    Ok(signed_out(&state, format, "/", "You are signed out"))
}

pub async fn refresh(
    format: Format,
    state: web::Data<AppState>,
    CurrentUser(identity): CurrentUser,
    Input(_): Input<NoFields>,
) -> Result<HttpResponse, AppError> {
    let issued = tokens::issue(&state, &identity.user, &identity.session)?.ok_or_else(|| {
        AppError::Forbidden("this session has reached its maximum length; sign in again".into())
    })?;
    let (jti, exp) = (identity.claims.jti, identity.claims.expires_at());
    db::blocking(&state.pool, move |conn| {
        Ok(revoked_tokens::deny(conn, jti, exp)?)
    })
    .await?;
    Ok(signed_in(
        &state,
        format,
        &identity.user,
        &issued,
        "/me",
        Some("Your session was renewed"),
    ))
}

/// The answer to a successful sign-in or token renewal: JSON with the token, or a
/// `303` to `location` (with an optional flash message); the cookies either way.
pub fn signed_in(
    state: &AppState,
    format: Format,
    user: &User,
    issued: &IssuedToken,
    location: &str,
    message: Option<&str>,
) -> HttpResponse {
    let mut response = match format {
        Format::Json => HttpResponse::Ok(),
        Format::Html => redirect::see_other_builder(state, location, message),
    };
    tokens::set_cookies(&mut response, state, issued);
    match format {
        Format::Json => response.json(TokenJson {
            token: issued.token.clone(),
            token_type: "Bearer",
            expires_at: issued.claims.expires_at(),
            user: UserJson::from(user),
        }),
        Format::Html => response.finish(),
    }
}

/// The answer after the caller's own session ended: `204`, or a `303` to `location`
/// saying so; the token and CSRF cookies are cleared either way.
pub fn signed_out(state: &AppState, format: Format, location: &str, message: &str) -> HttpResponse {
    let mut response = redirect::after_action(format, state, location, message);
    response.cookie(cookies::removal(&state.settings, cookies::ACCESS_TOKEN));
    response.cookie(cookies::removal(&state.settings, csrf::COOKIE));
    response.finish()
}

fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    username: String,
    next: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    format::html(
        status,
        &LoginPage {
            layout: Layout::from_request(req, "Sign in"),
            username,
            next,
            error,
        },
    )
}
