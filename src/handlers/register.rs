//! `GET /register` (the sign-up form; JSON gets `406`) and `POST /users` (sign up:
//! HTML signs in and goes to `/me`; JSON answers `201` with the user).

use actix_web::web;
use serde::Deserialize;

use crate::accounts::registration::SignUp;
use crate::accounts::{Accounts, Client};
use crate::error::{AppError, FieldErrors};
use crate::http::input::Input;
use crate::views::json::UserJson;
use crate::views::pages::{RegisterPage, RegisterValues};
use crate::web::answer::{Answer, OrForm, Rejection};
use crate::web::negotiation::Format;

#[derive(Deserialize)]
pub struct SignUpBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password: String,
}

pub async fn form(accounts: web::Data<Accounts>) -> Answer {
    Answer::form(
        "this is a form page; JSON clients sign up with POST /users and a JSON body",
        "Sign up",
        move |layout| {
            accounts.registration_open()?;
            Ok(RegisterPage {
                layout,
                values: RegisterValues::default(),
                errors: FieldErrors::default(),
            })
        },
    )
}

pub async fn create(
    format: Format,
    accounts: web::Data<Accounts>,
    client: Client,
    Input(input): Input<SignUpBody>,
) -> Result<Answer, Rejection> {
    let values = RegisterValues {
        username: input.username.clone(),
        display_name: input.display_name.clone().unwrap_or_default(),
    };
    let form = SignUp {
        username: &input.username,
        display_name: &values.display_name,
        password: &input.password,
    };
    let shown = values.clone();
    let again = move |layout, error: &AppError| {
        let errors = match error {
            AppError::Validation(errors) => errors.clone(),
            AppError::Conflict(message) => FieldErrors::single("username", message.clone()),
            _ => return None,
        };
        Some(RegisterPage {
            layout,
            values: shown.clone(),
            errors,
        })
    };
    // The one place the representation changes what happens, not only how it is
    // shown: a browser's sign-up also signs it in (a session and a cookie, contract
    // §3); a program's creates the account only.
    match format {
        Format::Json => {
            let user = accounts.register(form, &client).await?;
            let location = format!("/users/{}", user.id);
            Ok(Answer::created(&location, &UserJson::from(&user)))
        }
        Format::Html => {
            let signed_in = accounts
                .register_and_sign_in(form, &client)
                .await
                .or_form_for("Sign up", again)?;
            Ok(Answer::signed_in(&signed_in, "/me", None))
        }
    }
}
