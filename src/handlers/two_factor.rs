//! The second factor (contract §8): `GET /me/2fa`, `POST /me/2fa/{setup,enable,disable,
//! recovery-codes}`, and the code step of a sign-in, `GET`/`POST /login/2fa`.

use actix_web::web;
use serde::Deserialize;

use crate::accounts::two_factor::TwoFactorStatus;
use crate::accounts::{Accounts, Client};
use crate::auth::extract::CurrentUser;
use crate::auth::identity::Identity;
use crate::error::{AppError, FieldErrors};
use crate::http::cookies;
use crate::http::input::Input;
use crate::http::pending::PendingSignIn;
use crate::http::redirect;
use crate::metrics::{Metrics, sign_in_outcome};
use crate::views::pages::Layout;
use crate::views::two_factor::{
    RecoveryCodesJson, RecoveryCodesPage, SecondStepPage, SetupPage, TwoFactorPage,
};
use crate::web::answer::{Answer, OrForm, Rejection};

const TITLE: &str = "Two-factor authentication";

#[derive(Deserialize)]
pub struct PasswordOnly {
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct CodeOnly {
    #[serde(default)]
    code: String,
}

/// Request bodies that hold secrets have no `Debug`: nothing can log them.
#[derive(Deserialize)]
pub struct PasswordAndCode {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub struct SecondStep {
    /// JSON clients send the token they got; browsers carry it in `mfa_pending`.
    #[serde(default)]
    mfa_token: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn show(
    accounts: web::Data<Accounts>,
    CurrentUser(identity): CurrentUser,
) -> Result<Answer, AppError> {
    let status = accounts.two_factor_status(&identity.user).await?;
    Ok(Answer::show(&status.clone(), TITLE, move |layout| {
        status_page(layout, status, FieldErrors::default(), "")
    }))
}

pub async fn set_up(
    accounts: web::Data<Accounts>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    Input(input): Input<PasswordOnly>,
) -> Result<Answer, Rejection> {
    let enrolment = accounts
        .set_up_two_factor(&identity, &client, input.password)
        .await;
    let status = TwoFactorStatus {
        enabled: identity.user.two_factor,
        recovery_codes_left: 0,
    };
    let enrolment = enrolment.or_form(TITLE, move |layout, errors| {
        status_page(layout, status.clone(), errors.clone(), "setup")
    })?;
    Ok(Answer::show(
        &enrolment.clone(),
        "Set up two-factor authentication",
        move |layout| SetupPage::new(layout, &enrolment, FieldErrors::default()),
    ))
}

pub async fn enable(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    Input(input): Input<CodeOnly>,
) -> Result<Answer, Rejection> {
    let codes = match accounts
        .enable_two_factor(&identity, &client, &input.code)
        .await
    {
        Err(AppError::Validation(errors)) => {
            // The same secret again, to scan or type once more.
            let enrolment = accounts.pending_enrolment(&identity.user).await?;
            return Err(AppError::Validation(errors)).or_form(
                "Set up two-factor authentication",
                move |layout, errors| match &enrolment {
                    Some(enrolment) => SetupPage::new(layout, enrolment, errors.clone()),
                    None => SetupPage::new(layout, &Default::default(), errors.clone()),
                },
            );
        }
        other => other?,
    };
    metrics.revocation("two_factor_enabled");
    Ok(recovery_codes(codes, true))
}

pub async fn disable(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    Input(input): Input<PasswordAndCode>,
) -> Result<Answer, Rejection> {
    let done = accounts
        .disable_two_factor(&identity, &client, input.password, input.code)
        .await;
    let status = reshow_on_error(&accounts, &identity, &done).await?;
    let done = done.or_form(TITLE, move |layout, errors| {
        status_page(layout, status.clone(), errors.clone(), "disable")
    })?;
    metrics.revocation("two_factor_disabled");
    Ok(Answer::done(
        &done,
        "/me/2fa",
        "Two-factor authentication is off; your other sessions were signed out",
    ))
}

pub async fn new_recovery_codes(
    accounts: web::Data<Accounts>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    Input(input): Input<PasswordAndCode>,
) -> Result<Answer, Rejection> {
    let codes = accounts
        .new_recovery_codes(&identity, &client, input.password, input.code)
        .await;
    let status = reshow_on_error(&accounts, &identity, &codes).await?;
    let codes = codes.or_form(TITLE, move |layout, errors| {
        status_page(layout, status.clone(), errors.clone(), "recovery")
    })?;
    Ok(recovery_codes(codes, false))
}

/// `GET /login/2fa`: the code form of a sign-in waiting for it (a browser only).
pub async fn second_step_form(
    PendingSignIn(pending): PendingSignIn,
    query: web::Query<NextQuery>,
) -> Answer {
    let next = redirect::local_or(query.next.as_deref(), "").to_string();
    Answer::form(
        "this is a form page; JSON clients complete a sign-in with POST /login/2fa and a JSON body {\"mfa_token\",\"code\"}",
        TITLE,
        move |layout| {
            pending.ok_or(AppError::SignInExpired)?;
            Ok(SecondStepPage {
                layout,
                next,
                error: None,
            })
        },
    )
}

/// `POST /login/2fa`: completes a waiting sign-in with a code.
pub async fn second_step(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    PendingSignIn(pending): PendingSignIn,
    Input(input): Input<SecondStep>,
) -> Result<Answer, Rejection> {
    let next = redirect::local_or(input.next.as_deref(), "/me").to_string();
    let token = input.mfa_token.or(pending).unwrap_or_default();
    let shown_next = next.clone();
    let signed_in = accounts
        .complete_sign_in(&token, &input.code, &client)
        .await;
    metrics.sign_in(sign_in_outcome(&signed_in));
    let signed_in = signed_in.or_form_for(TITLE, move |layout, error| {
        let message = match error {
            AppError::WrongCode => {
                "That code is wrong or was already used. Try the next code your app shows."
            }
            AppError::Validation(_) => "Type the code your authenticator app shows.",
            _ => return None,
        };
        Some(SecondStepPage {
            layout,
            next: shown_next.clone(),
            error: Some(message.to_string()),
        })
    })?;
    let message = signed_in
        .recovery_codes_left
        .map(|left| format!("Signed in with a recovery code; {left} left"));
    Ok(Answer::signed_in(&signed_in, &next, message.as_deref()).clearing(cookies::MFA_PENDING))
}

fn status_page(
    layout: Layout,
    status: TwoFactorStatus,
    errors: FieldErrors,
    failed_form: &'static str,
) -> TwoFactorPage {
    TwoFactorPage {
        layout,
        status,
        errors,
        failed_form,
    }
}

/// The status to show with a form again, looked up only when there is an error.
async fn reshow_on_error<T>(
    accounts: &Accounts,
    identity: &Identity,
    outcome: &Result<T, AppError>,
) -> Result<TwoFactorStatus, AppError> {
    match outcome {
        Err(AppError::Validation(_)) => accounts.two_factor_status(&identity.user).await,
        _ => Ok(TwoFactorStatus {
            enabled: identity.user.two_factor,
            recovery_codes_left: 0,
        }),
    }
}

fn recovery_codes(codes: Vec<String>, first_time: bool) -> Answer {
    let json = RecoveryCodesJson {
        recovery_codes: codes.clone(),
    };
    Answer::show(&json, "Your recovery codes", move |layout| {
        RecoveryCodesPage {
            layout,
            codes,
            first_time,
        }
    })
}
