//! Account recovery without mail (contract §9): `POST /admin/users/{id}/reset-link`,
//! and the link's own page, `GET`/`POST /reset/{token}`.

use actix_web::web;
use serde::Deserialize;

use crate::accounts::{Accounts, Client};
use crate::auth::extract::AdminUser;
use crate::error::{AppError, FieldErrors};
use crate::http::input::{Input, NoFields};
use crate::metrics::Metrics;
use crate::views::json::UserJson;
use crate::views::operations::{ResetLinkJson, ResetLinkPage, ResetPasswordPage};
use crate::views::pages::{UserView, readable_time};
use crate::web::answer::{Answer, OrForm, Rejection};
use crate::web::origin::OriginPolicy;

const TITLE: &str = "Choose a new password";

/// No `Debug`: nothing can log the password.
#[derive(Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    new_password: String,
}

pub async fn make_link(
    accounts: web::Data<Accounts>,
    origin: web::Data<OriginPolicy>,
    client: Client,
    AdminUser(identity): AdminUser,
    path: web::Path<String>,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    let link = accounts
        .reset_link_for(&identity.user, &client, &path)
        .await?;
    // Absolute with `server.public_url`; else the path alone: the request's Host and
    // forwarding headers are the client's to write, not a base for a link to hand out.
    let json = ResetLinkJson {
        url: format!("{}{}", origin.public_url, link.path),
        path: link.path.clone(),
        expires_at: link.expires_at,
        user: UserJson::from(&link.user),
    };
    let title = format!("Password-reset link for {}", link.user.username);
    Ok(Answer::show(&json.clone(), &title, move |layout| {
        ResetLinkPage {
            layout,
            user: UserView::from(&link.user),
            url: json.url,
            expires: readable_time(&link.expires_at),
        }
    }))
}

pub async fn form(
    accounts: web::Data<Accounts>,
    token: web::Path<String>,
) -> Result<Answer, AppError> {
    let user = accounts.reset_link_user(&token).await?;
    let action = format!("/reset/{}", token.into_inner());
    Ok(Answer::form(
        "this is a form page; JSON clients POST {\"new_password\"} to the same address",
        TITLE,
        move |layout| {
            Ok(ResetPasswordPage {
                layout,
                username: user.username,
                action,
                errors: FieldErrors::default(),
            })
        },
    ))
}

pub async fn reset(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    token: web::Path<String>,
    Input(input): Input<NewPassword>,
) -> Result<Answer, Rejection> {
    let token = token.into_inner();
    let done = accounts
        .reset_password(&token, &input.new_password, &client)
        .await;
    let (action, username) = (
        format!("/reset/{token}"),
        match &done {
            Err(AppError::Validation(_)) => accounts
                .reset_link_user(&token)
                .await
                .map(|u| u.username)
                .unwrap_or_default(),
            _ => String::new(),
        },
    );
    done.or_form(TITLE, move |layout, errors| ResetPasswordPage {
        layout,
        username: username.clone(),
        action: action.clone(),
        errors: errors.clone(),
    })?;
    metrics.revocation("password_reset");
    Ok(Answer::no_content(
        "/login",
        "Your password was changed and every session signed out; sign in with the new one",
    ))
}
