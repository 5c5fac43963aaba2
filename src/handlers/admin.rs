//! Administration: `GET /admin`, `POST /admin/users/{id}/{role,disable,enable,revoke,delete}`
//! and `POST /admin/revoke-all`. Declaring `AdminUser` is the authorisation: the role
//! stored now decides, so a demoted admin is refused at their next request.

use actix_web::web;
use serde::Deserialize;

use crate::accounts::admin::AdminAction;
use crate::accounts::{Accounts, Client};
use crate::auth::extract::AdminUser;
use crate::auth::identity::Identity;
use crate::domain::Role;
use crate::error::{AppError, FieldErrors};
use crate::http::input::{Input, NoFields};
use crate::http::pagination::ListQuery;
use crate::views::json::UserJson;
use crate::views::pages::{AdminPage, Pager, UserView};
use crate::web::answer::Answer;
use crate::web::negotiation::Format;
use crate::web::query::Lenient;

#[derive(Debug, Deserialize)]
pub struct RoleChange {
    #[serde(default)]
    role: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Confirm {
    confirm: Option<String>,
    /// Whose second factor `confirm=2fa-reset` is about.
    user: Option<i64>,
}

pub async fn dashboard(
    format: Format,
    accounts: web::Data<Accounts>,
    AdminUser(identity): AdminUser,
    query: Result<ListQuery, AppError>,
    Lenient(confirm): Lenient<Confirm>,
) -> Result<Answer, AppError> {
    // JSON is the counts alone: the page's user table costs a query (and a valid
    // `page`/`q`) that JSON clients do not need.
    let (counts, table) = if format == Format::Html {
        let query = query?;
        let (counts, items, total) = accounts.dashboard(&query).await?;
        (counts, Some((query, items, total)))
    } else {
        (accounts.user_counts().await?, None)
    };
    Ok(Answer::show(&counts, "Administration", move |layout| {
        let (query, items, total) = table.unwrap_or_default();
        AdminPage {
            layout,
            counts,
            users: items.iter().map(UserView::from).collect(),
            pager: Pager::new(&query, "/admin", total),
            q: query.q,
            me: identity.user.id,
            confirm_revoke_all: confirm.confirm.as_deref() == Some("revoke-all"),
            confirm_reset_for: confirm
                .user
                .filter(|_| confirm.confirm.as_deref() == Some("2fa-reset")),
        }
    }))
}

pub async fn set_role(
    accounts: web::Data<Accounts>,
    client: Client,
    AdminUser(identity): AdminUser,
    path: web::Path<String>,
    Input(change): Input<RoleChange>,
) -> Result<Answer, AppError> {
    let role = Role::parse(&change.role)
        .map_err(|e| AppError::Validation(FieldErrors::single("role", e)))?;
    act(
        &accounts,
        &identity,
        &client,
        &path,
        AdminAction::SetRole(role),
    )
    .await
}

/// `POST /admin/users/{id}/{disable|enable|revoke|delete}`: the actions without a body.
pub async fn act_on_user(
    accounts: web::Data<Accounts>,
    client: Client,
    AdminUser(identity): AdminUser,
    path: web::Path<(String, String)>,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    let (id, action) = path.into_inner();
    // The route's pattern admits only the four names `from_path` knows.
    let action = AdminAction::from_path(&action)
        .ok_or_else(|| AppError::NotFound("there is nothing at this address".into()))?;
    act(&accounts, &identity, &client, &id, action).await
}

/// `POST /admin/users/{id}/2fa/reset`: a user who lost their authenticator.
pub async fn reset_two_factor(
    accounts: web::Data<Accounts>,
    client: Client,
    AdminUser(identity): AdminUser,
    path: web::Path<String>,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    act(
        &accounts,
        &identity,
        &client,
        &path,
        AdminAction::ResetTwoFactor,
    )
    .await
}

pub async fn revoke_all(
    accounts: web::Data<Accounts>,
    client: Client,
    AdminUser(identity): AdminUser,
    Input(_): Input<NoFields>,
) -> Result<Answer, AppError> {
    accounts.sign_out_everyone(&identity.user, &client).await?;
    Ok(Answer::signed_out(
        "/login",
        "Everyone was signed out, you included",
    ))
}

/// Runs `action` on user `id` and answers: JSON per the contract (`200` with the user,
/// or `204`), HTML a `303` back to the dashboard with a flash message. An admin who
/// just took away their own access goes to `/me` instead (which sends them on to sign
/// in when they are signed out).
async fn act(
    accounts: &Accounts,
    actor: &Identity,
    client: &Client,
    id: &str,
    action: AdminAction,
) -> Result<Answer, AppError> {
    let user = accounts.administer(&actor.user, client, id, action).await?;
    let location = if user.id == actor.user.id && action.takes_own_access() {
        "/me"
    } else {
        "/admin"
    };
    let message = action.done_message(&user.username);
    Ok(match action {
        AdminAction::Revoke | AdminAction::Delete => Answer::no_content(location, message),
        _ => Answer::done(&UserJson::from(&user), location, message),
    })
}
