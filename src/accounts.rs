//! Account use cases shared by the HTML and JSON handlers: sign-up, sign-in and
//! starting a session. bcrypt and Diesel run on the blocking pool.

pub mod admin;
pub mod profile;

use actix_web::web;
use diesel::prelude::*;

use crate::auth::{password, throttle};
use crate::db;
use crate::db::sessions::{self, NewSession, Session};
use crate::db::users::{self, NewUser, User, UserChanges};
use crate::domain::{DisplayName, NewPassword, Role, Username};
use crate::error::AppError;
use crate::http::problem::FieldErrors;
use crate::state::AppState;

/// Who is signing in from where, for the session row.
#[derive(Debug, Clone)]
pub struct Client {
    pub address: String,
    pub user_agent: String,
}

/// A valid sign-up: every field checked, all messages gathered at once.
pub struct Registration {
    pub username: Username,
    pub display_name: Option<DisplayName>,
    pub password: NewPassword,
}

impl Registration {
    pub fn parse(username: &str, display_name: &str, password: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username_ok = Username::parse(username)
            .map_err(|e| errors.add("username", e))
            .ok();
        let display_name = DisplayName::parse(display_name)
            .map_err(|e| errors.add("display_name", e))
            .ok();
        let password = NewPassword::parse(password, username)
            .map_err(|e| errors.add("password", e))
            .ok();
        match (username_ok, display_name, password) {
            (Some(username), Some(display_name), Some(password)) if errors.is_empty() => {
                Ok(Registration {
                    username,
                    display_name,
                    password,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Creates the user (role `user`). A name taken in any letter case is `409`.
pub async fn register(state: &AppState, registration: Registration) -> Result<User, AppError> {
    let cost = state.settings.auth.bcrypt_cost;
    let password = registration.password.clone();
    let hash = web::block(move || password::hash(&password, cost))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)?;
    db::blocking(&state.pool, move |conn| {
        let new = NewUser {
            username: registration.username.as_str(),
            display_name: registration.display_name.as_ref().map(|d| d.as_str()),
            password_hash: &hash,
            role: Role::User.as_str(),
        };
        Ok(new.insert(conn)?)
    })
    .await
}

/// Starts a new session for `user`, dropping their sessions past the absolute length.
pub fn start_session(
    conn: &mut PgConnection,
    state: &AppState,
    user: &User,
    client: &Client,
) -> Result<Session, AppError> {
    let max_age = i64::try_from(state.settings.auth.session_max_secs).unwrap_or(i64::MAX / 4);
    sessions::purge_expired(conn, user.id, max_age)?;
    let user_agent: String = client.user_agent.chars().take(512).collect();
    Ok(NewSession {
        id: uuid::Uuid::new_v4(),
        user_id: user.id,
        client_address: &client.address,
        user_agent: &user_agent,
    }
    .insert(conn)?)
}

/// Checks the credentials and starts a session. Unknown users and wrong passwords get
/// the same error after the same bcrypt work; the failed-attempt limits are checked
/// before any hashing; a hash of another cost is replaced.
pub async fn sign_in(
    state: web::Data<AppState>,
    username: String,
    password: String,
    client: Client,
) -> Result<(User, Session), AppError> {
    let auth = state.settings.auth.clone();
    let address = client.address.clone();
    let name = username.clone();
    let (attempt, user) = db::blocking(&state.pool, move |conn| {
        let attempt = throttle::reserve(conn, &auth, &name, &address)?;
        Ok((attempt, User::find_by_username(conn, &name)?))
    })
    .await?;

    let stored = user
        .as_ref()
        .map_or_else(|| state.dummy_hash.clone(), |u| u.password_hash.clone());
    let cost = state.settings.auth.bcrypt_cost;
    let (matches, rehash) = web::block(move || check_password(&password, &stored, cost))
        .await
        .map_err(AppError::internal)?;

    let user = match user {
        Some(user) if matches && !user.disabled => user,
        _ => return Err(AppError::BadCredentials),
    };
    let state_inner = state.clone();
    db::blocking(&state.pool, move |conn| {
        throttle::forgive(conn, &attempt)?;
        let user = match rehash {
            Some(hash) => {
                let changes = UserChanges {
                    password_hash: Some(&hash),
                    ..Default::default()
                };
                users::update(conn, user.id, &changes)?
            }
            None => user,
        };
        let session = start_session(conn, &state_inner, &user, &client)?;
        Ok((user, session))
    })
    .await
}

/// Verifies (always doing one full-cost bcrypt, even for input bcrypt cannot take) and,
/// on a match with a hash of another cost, returns a new hash to store.
fn check_password(password: &str, stored: &str, cost: u32) -> (bool, Option<String>) {
    let fits = password.len() <= crate::domain::password::MAX_BYTES;
    let matches = password::verify(if fits { password } else { "" }, stored) && fits;
    let rehash = (matches && password::cost_of(stored) != Some(cost))
        .then(|| NewPassword::unchecked(password))
        .flatten()
        .and_then(|p| password::hash(&p, cost).ok());
    (matches, rehash)
}
