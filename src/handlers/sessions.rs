//! The caller's sessions: `GET /me/sessions`, `POST /me/sessions/{id}/revoke`,
//! `POST /me/logout-others`.

use actix_web::web;

use crate::accounts::sessions::Revoked;
use crate::accounts::{Accounts, Client};
use crate::auth::extract::CurrentUser;
use crate::error::AppError;
use crate::http::input::{Input, NoFields};
use crate::views::json::{ListJson, SessionJson};
use crate::views::pages::{SessionView, SessionsPage};
use crate::web::answer::Answer;

pub async fn list(
    accounts: web::Data<Accounts>,
    CurrentUser(identity): CurrentUser,
) -> Result<Answer, AppError> {
    let mine = accounts.sessions_of(&identity).await?;
    let current = identity.session.id;
    let items = mine
        .iter()
        .map(|s| SessionJson::new(s, s.id == current))
        .collect();
    let sessions = mine
        .iter()
        .map(|s| SessionView::new(s, s.id == current))
        .collect();
    Ok(Answer::show(
        &ListJson { items },
        "Your sessions",
        move |layout| SessionsPage { layout, sessions },
    ))
}

pub async fn revoke(
    accounts: web::Data<Accounts>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    path: web::Path<String>,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    Ok(
        match accounts.revoke_session(&identity, &client, &path).await? {
            Revoked::This => Answer::signed_out("/login", "This session was signed out"),
            Revoked::Other => Answer::no_content("/me/sessions", "Session revoked"),
        },
    )
}

pub async fn logout_others(
    accounts: web::Data<Accounts>,
    client: Client,
    CurrentUser(identity): CurrentUser,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    let message = match accounts.sign_out_others(&identity, &client).await? {
        0 => "There were no other sessions".to_string(),
        1 => "Signed out of 1 other session".to_string(),
        n => format!("Signed out of {n} other sessions"),
    };
    Ok(Answer::no_content("/me/sessions", message))
}
