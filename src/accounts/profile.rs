//! Self-service (contract §3 `/me`): the display name and the password.

use actix_web::web;

use crate::accounts::Client;
use crate::auth::identity::Identity;
use crate::auth::{password, throttle};
use crate::db;
use crate::db::sessions::{self, Session};
use crate::db::users::{self, User, UserChanges};
use crate::domain::{DisplayName, NewPassword};
use crate::error::AppError;
use crate::http::problem::FieldErrors;
use crate::state::AppState;

pub async fn set_display_name(
    state: &AppState,
    user_id: i64,
    value: &str,
) -> Result<User, AppError> {
    let name = DisplayName::parse(value)
        .map_err(|e| AppError::Validation(FieldErrors::single("display_name", e)))?
        .map(DisplayName::into_inner);
    db::blocking(&state.pool, move |conn| {
        let changes = UserChanges {
            display_name: Some(name.as_deref()),
            ..Default::default()
        };
        Ok(users::update(conn, user_id, &changes)?)
    })
    .await
}

/// Checks the current password and every rule for the new one (all messages at once),
/// then stores the new hash and ends every other session. The current session moves to
/// its next generation, so its earlier tokens stop working too; the caller issues a
/// fresh token in it. A wrong current password changes nothing.
///
/// Wrong current passwords count as failed sign-ins (the same limits, so a stolen
/// session cannot be used to guess the password at bcrypt speed): past the limit the
/// answer is `429` before any hashing.
pub async fn change_password(
    state: &AppState,
    identity: &Identity,
    client: &Client,
    current: String,
    new: &str,
) -> Result<(User, Session), AppError> {
    let mut errors = FieldErrors::default();
    let new = NewPassword::parse(new, &identity.user.username)
        .map_err(|e| errors.add("new_password", e))
        .ok();
    if current.is_empty() {
        errors.add("current_password", "is required");
    } else {
        let (auth, username, address) = (
            state.settings.auth.clone(),
            identity.user.username.clone(),
            client.address.clone(),
        );
        let attempt = db::blocking(&state.pool, move |conn| {
            throttle::reserve(conn, &auth, &username, &address)
        })
        .await?;
        let stored = identity.user.password_hash.clone();
        let matches = web::block(move || password::verify(&current, &stored))
            .await
            .map_err(AppError::internal)?;
        if matches {
            db::blocking(&state.pool, move |conn| throttle::forgive(conn, &attempt)).await?;
        } else {
            errors.add("current_password", "is not your current password");
        }
    }
    let new = match new {
        Some(new) if errors.is_empty() => new,
        _ => return Err(AppError::Validation(errors)),
    };
    let cost = state.settings.auth.bcrypt_cost;
    let hash = web::block(move || password::hash(&new, cost))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)?;
    let (user_id, sid) = (identity.user.id, identity.session.id);
    db::blocking(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            let changes = UserChanges {
                password_hash: Some(&hash),
                ..Default::default()
            };
            let user = users::update(conn, user_id, &changes)?;
            sessions::end_all_of_user(conn, user_id, Some(sid))?;
            let session = sessions::next_generation(conn, sid)?;
            Ok((user, session))
        })
    })
    .await
}
