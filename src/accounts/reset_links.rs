//! Account recovery without mail (contract §9): an admin (or `keycard reset-link`)
//! makes a one-time link; its page sets a new password and ends every session.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::accounts::audit::{event, own};
use crate::accounts::directory::{no_user, parse_user_id};
use crate::accounts::{Accounts, Client};
use crate::db::users::{self, User, UserChanges};
use crate::db::{audit, password_resets, sessions, two_factor};
use crate::domain::{EventKind, NewPassword};
use crate::error::{AppError, FieldErrors};

/// A link just made: its path (`/reset/{token}`) and when it stops working.
/// No `Debug`: the path holds the one-time token.
#[derive(Clone)]
pub struct ResetLink {
    pub user: User,
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn gone() -> AppError {
    AppError::NotFound("this reset link is unknown, used or expired".into())
}

/// Makes a link for `user` valid `ttl_secs`, recording `made` (the audit event of who
/// asked) in the same transaction. Shared by the admin route and the command line.
pub fn make_link(
    conn: &mut PgConnection,
    user: &User,
    ttl_secs: u64,
    made: &audit::NewEvent,
) -> Result<ResetLink, AppError> {
    let token = crate::random::token(32);
    let expires_at =
        Utc::now() + Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 4_000));
    conn.transaction(|conn| {
        password_resets::insert(conn, &token_hash(&token), user.id, expires_at)?;
        audit::record(conn, made)?;
        Ok(ResetLink {
            user: user.clone(),
            path: format!("/reset/{token}"),
            expires_at,
        })
    })
}

impl Accounts {
    /// `POST /admin/users/{id}/reset-link`.
    pub async fn reset_link_for(
        &self,
        actor: &User,
        client: &Client,
        id: &str,
    ) -> Result<ResetLink, AppError> {
        let id = parse_user_id(id)?;
        let ttl = self.settings.reset_link_ttl_secs;
        let (actor, client) = (actor.clone(), client.clone());
        self.db(move |conn| {
            let user = User::find(conn, id)?.ok_or_else(|| no_user(id))?;
            let made = event(
                EventKind::ResetLinkCreated,
                Some(&actor),
                Some(&user),
                &client,
            );
            make_link(conn, &user, ttl, &made)
        })
        .await
    }

    /// The user a working link is for (`GET /reset/{token}`); `404` otherwise.
    pub async fn reset_link_user(&self, token: &str) -> Result<User, AppError> {
        let hash = token_hash(token);
        self.db(move |conn| {
            let id = password_resets::valid_user(conn, &hash)?.ok_or_else(gone)?;
            User::find(conn, id)?.ok_or_else(gone)
        })
        .await
    }

    /// `POST /reset/{token}`: the new password (the sign-up rules), every session of the
    /// user ended, the link used up, all in one transaction. `404` for a link that no
    /// longer works; `422` for a password the rules refuse (the link still works).
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        client: &Client,
    ) -> Result<User, AppError> {
        let user = self.reset_link_user(token).await?;
        let new = NewPassword::parse(new_password, &user.username)
            .map_err(|e| AppError::Validation(FieldErrors::single("new_password", e)))?;
        let hash = self.hash_new_password(new).await?;
        let (link, client) = (token_hash(token), client.clone());
        self.db(move |conn| {
            conn.transaction(|conn| {
                let id = password_resets::use_up(conn, &link)?.ok_or_else(gone)?;
                let changes = UserChanges {
                    password_hash: Some(&hash),
                    ..Default::default()
                };
                let user = users::update(conn, id, &changes)?;
                sessions::end_all_of_user(conn, id, None)?;
                two_factor::void_waiting_sign_ins(conn, id)?;
                // Any other link for this user stops working too.
                password_resets::void_all_of_user(conn, id)?;
                audit::record(conn, &own(EventKind::PasswordReset, &user, &client))?;
                Ok(user)
            })
        })
        .await
    }
}
