//! Signing in and out: `GET /login`, `POST /login`, `POST /logout`, `POST /refresh`.

use actix_web::web;
use serde::Deserialize;

use crate::accounts::{Accounts, Client};
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::error::AppError;
use crate::http::input::{Input, NoFields};
use crate::http::redirect;
use crate::metrics::{Metrics, sign_in_outcome};
use crate::views::pages::LoginPage;
use crate::web::answer::{Answer, OrForm, Rejection};

/// No `Debug`: nothing can log the password or the code.
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    /// The second factor, for users who have one (contract §8); JSON clients may send
    /// it with the password, browsers type it on `/login/2fa`.
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(query: web::Query<NextQuery>) -> Answer {
    let next = redirect::local_or(query.next.as_deref(), "").to_string();
    Answer::form(
        "this is a form page; JSON clients sign in with POST /login and a JSON body",
        "Sign in",
        move |layout| {
            Ok(LoginPage {
                layout,
                username: String::new(),
                next,
                error: None,
            })
        },
    )
}

pub async fn login(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    Input(input): Input<Credentials>,
) -> Result<Answer, Rejection> {
    let next = redirect::local_or(input.next.as_deref(), "/me").to_string();
    let (username, shown_next) = (input.username.clone(), next.clone());
    let signed_in = accounts
        .sign_in(&input.username, input.password, input.code, &client)
        .await;
    metrics.sign_in(sign_in_outcome(&signed_in));
    if let Err(AppError::SecondFactorRequired { mfa_token }) = signed_in {
        let token = mfa_token.expose().to_string();
        let step = format!("/login/2fa?next={}", redirect::query_value(&next));
        return Ok(Answer::second_factor_needed(
            AppError::SecondFactorRequired { mfa_token },
            token,
            &step,
        ));
    }
    let signed_in = signed_in.or_form_for("Sign in", move |layout, error| {
        let message = match error {
            AppError::Validation(_) => "Enter your username and password.".to_string(),
            AppError::BadCredentials | AppError::WrongCode => error.detail(),
            _ => return None,
        };
        Some(LoginPage {
            layout,
            username: username.clone(),
            next: shown_next.clone(),
            error: Some(message),
        })
    })?;
    Ok(Answer::signed_in(&signed_in, &next, None))
}

pub async fn logout(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    MaybeUser(identity): MaybeUser,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    accounts.sign_out(identity.as_ref(), &client).await?;
    if identity.is_some() {
        metrics.revocation("sign_out");
    }
    Ok(Answer::signed_out("/", "You are signed out"))
}

pub async fn refresh(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    CurrentUser(identity): CurrentUser,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    let renewed = accounts.refresh(&identity).await?;
    metrics.revocation("refresh");
    Ok(Answer::signed_in(
        &renewed,
        "/me",
        Some("Your session was renewed"),
    ))
}
