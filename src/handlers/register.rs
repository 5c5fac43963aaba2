//! `GET /register` (the sign-up form; JSON gets `406`) and `POST /users` (sign up:
//! HTML signs in and goes to `/me`; JSON answers `201` with the user).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::accounts::{self, Registration};
use crate::auth::tokens;
use crate::db;
use crate::error::AppError;
use crate::handlers::client_of;
use crate::handlers::session::signed_in;
use crate::http::format::{self, Format};
use crate::http::input::Input;
use crate::http::problem::FieldErrors;
use crate::state::AppState;
use crate::views::json::UserJson;
use crate::views::pages::{Layout, RegisterPage, RegisterValues};

#[derive(Debug, Deserialize)]
pub struct SignUp {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password: String,
}

pub async fn form(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if format == Format::Json {
        return Err(AppError::NotAcceptable(
            "this is a form page; JSON clients sign up with POST /users and a JSON body".into(),
        ));
    }
    ensure_open(&state)?;
    page(
        &req,
        StatusCode::OK,
        RegisterValues::default(),
        FieldErrors::default(),
    )
}

pub async fn create(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
    Input(input): Input<SignUp>,
) -> Result<HttpResponse, AppError> {
    ensure_open(&state)?;
    let values = RegisterValues {
        username: input.username.clone(),
        display_name: input.display_name.clone().unwrap_or_default(),
    };
    let registration =
        match Registration::parse(&input.username, &values.display_name, &input.password) {
            Ok(registration) => registration,
            Err(errors) if format == Format::Html => {
                return page(&req, StatusCode::UNPROCESSABLE_ENTITY, values, errors);
            }
            Err(errors) => return Err(AppError::Validation(errors)),
        };
    let user = match accounts::register(&state, registration).await {
        Ok(user) => user,
        Err(AppError::Conflict(message)) if format == Format::Html => {
            return page(
                &req,
                StatusCode::CONFLICT,
                values,
                FieldErrors::single("username", message),
            );
        }
        Err(error) => return Err(error),
    };
    match format {
        Format::Json => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/users/{}", user.id)))
            .json(UserJson::from(&user))),
        Format::Html => {
            let client = client_of(&req, &state);
            let state_inner = state.clone();
            let new_user = user.clone();
            let session = db::blocking(&state.pool, move |conn| {
                accounts::start_session(conn, &state_inner, &new_user, &client)
            })
            .await?;
            let issued = tokens::issue_now(&state, &user, &session)?;
            Ok(signed_in(&state, format, &user, &issued, "/me", None))
        }
    }
}

fn ensure_open(state: &AppState) -> Result<(), AppError> {
    if state.settings.auth.registration_open {
        Ok(())
    } else {
        Err(AppError::Forbidden("registration is closed".into()))
    }
}

fn page(
    req: &HttpRequest,
    status: StatusCode,
    values: RegisterValues,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    format::html(
        status,
        &RegisterPage {
            layout: Layout::from_request(req, "Sign up"),
            values,
            errors,
        },
    )
}
