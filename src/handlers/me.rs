//! Self-service: `GET /me`, `POST /me` (display name), `POST /me/password`,
//! `POST /me/logout-all`.

use actix_web::web;
use serde::Deserialize;

use crate::accounts::{Accounts, Client};
use crate::auth::extract::CurrentUser;
use crate::db::users::User;
use crate::error::{AppError, FieldErrors};
use crate::http::input::{Input, NoFields, present};
use crate::metrics::Metrics;
use crate::views::json::UserJson;
use crate::views::pages::{Layout, MePage, UserView};
use crate::web::answer::{Answer, OrForm, Rejection};

#[derive(Debug, Deserialize)]
pub struct ProfileChange {
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Option<String>>,
}

#[derive(Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

const TITLE: &str = "Your profile";

pub async fn show(CurrentUser(identity): CurrentUser) -> Answer {
    let user = identity.user;
    Answer::show(&UserJson::from(&user), TITLE, move |layout| {
        profile_page(layout, &user, None, FieldErrors::default())
    })
}

pub async fn update(
    accounts: web::Data<Accounts>,
    CurrentUser(identity): CurrentUser,
    Input(change): Input<ProfileChange>,
) -> Result<Answer, Rejection> {
    let Some(typed) = change.display_name else {
        let errors = FieldErrors::single(
            "display_name",
            "is required (send an empty value or null to clear it)",
        );
        return Err(AppError::Validation(errors).into());
    };
    let typed = typed.unwrap_or_default();
    let (stored, shown) = (identity.user, typed.clone());
    let user = accounts
        .set_display_name(stored.id, &typed)
        .await
        .or_form(TITLE, move |layout, errors| {
            profile_page(layout, &stored, Some(shown.clone()), errors.clone())
        })?;
    let message = if user.display_name.is_some() {
        "Display name saved"
    } else {
        "Display name cleared"
    };
    Ok(Answer::done(&UserJson::from(&user), "/me", message))
}

pub async fn change_password(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    Input(change): Input<PasswordChange>,
) -> Result<Answer, Rejection> {
    let changed = accounts
        .change_password(
            &identity,
            &client,
            change.current_password,
            &change.new_password,
        )
        .await;
    let stored = identity.user.clone();
    let changed = changed.or_form(TITLE, move |layout, errors| {
        profile_page(layout, &stored, None, errors.clone())
    })?;
    metrics.revocation("password_changed");
    Ok(Answer::signed_in(
        &changed,
        "/me",
        Some("Password changed; your other sessions were signed out"),
    ))
}

pub async fn logout_all(
    accounts: web::Data<Accounts>,
    metrics: web::Data<Metrics>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    accounts.sign_out_everywhere(&identity, &client).await?;
    metrics.revocation("sessions_revoked");
    Ok(Answer::signed_out("/login", "Signed out everywhere"))
}

/// The profile page; the display-name field shows `typed` (what the visitor sent) or,
/// without it, the name as stored.
fn profile_page(layout: Layout, user: &User, typed: Option<String>, errors: FieldErrors) -> MePage {
    MePage {
        layout,
        user: UserView::from(user),
        display_name: typed.unwrap_or_else(|| user.display_name.clone().unwrap_or_default()),
        errors,
    }
}
