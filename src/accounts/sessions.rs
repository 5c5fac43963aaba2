//! A user's sessions (contract §3, §4): listing, ending one, the others or all, and
//! `/refresh`.

use chrono::Duration;
use uuid::Uuid;

use diesel::Connection;
use serde_json::json;

use crate::accounts::audit::own;
use crate::accounts::{Accounts, Client, SignedIn};
use crate::auth::identity::Identity;
use crate::auth::tokens::secs;
use crate::db::audit;
use crate::db::revoked_tokens;
use crate::db::sessions::{self, Session};
use crate::domain::EventKind;
use crate::error::AppError;

/// What revoking one session did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The caller's own session: they are signed out now.
    This,
    Other,
}

impl Accounts {
    /// The caller's sessions that can still be used, most recently used first.
    pub async fn sessions_of(&self, identity: &Identity) -> Result<Vec<Session>, AppError> {
        let (user_id, ended) = (identity.user.id, self.ended_before());
        self.db(move |conn| Ok(sessions::list_for_user(conn, user_id, ended)?))
            .await
    }

    /// Sign-out: the caller's session ends (nothing to do when not signed in).
    pub async fn sign_out(
        &self,
        identity: Option<&Identity>,
        client: &Client,
    ) -> Result<(), AppError> {
        let Some(identity) = identity else {
            return Ok(());
        };
        let event = own(EventKind::SignOut, &identity.user, client);
        let (user_id, sid) = (identity.user.id, identity.session.id);
        self.db(move |conn| {
            conn.transaction(|conn| {
                if sessions::end(conn, user_id, sid)? {
                    audit::record(conn, &event)?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Ends one of the caller's sessions; another user's or an unknown one is `404`.
    pub async fn revoke_session(
        &self,
        identity: &Identity,
        client: &Client,
        id: &str,
    ) -> Result<Revoked, AppError> {
        let not_found = || AppError::NotFound(format!("you have no session with id {id}"));
        let sid = Uuid::parse_str(id).map_err(|_| not_found())?;
        let user_id = identity.user.id;
        let mut event = own(EventKind::SessionRevoked, &identity.user, client);
        event.details = json!({"session": sid});
        let ended = self
            .db(move |conn| {
                conn.transaction(|conn| {
                    let ended = sessions::end(conn, user_id, sid)?;
                    if ended {
                        audit::record(conn, &event)?;
                    }
                    Ok(ended)
                })
            })
            .await?;
        match (ended, sid == identity.session.id) {
            (false, _) => Err(not_found()),
            (true, true) => Ok(Revoked::This),
            (true, false) => Ok(Revoked::Other),
        }
    }

    /// Ends every session of the caller but this one; returns how many ended.
    pub async fn sign_out_others(
        &self,
        identity: &Identity,
        client: &Client,
    ) -> Result<usize, AppError> {
        let (user_id, keep) = (identity.user.id, identity.session.id);
        let mut event = own(EventKind::SessionsRevoked, &identity.user, client);
        self.db(move |conn| {
            conn.transaction(|conn| {
                let ended = sessions::end_all_of_user(conn, user_id, Some(keep))?;
                event.details = json!({"sessions": ended, "kept_current": true});
                audit::record(conn, &event)?;
                Ok(ended)
            })
        })
        .await
    }

    /// "Sign out everywhere": every session of the caller ends, this one included.
    pub async fn sign_out_everywhere(
        &self,
        identity: &Identity,
        client: &Client,
    ) -> Result<(), AppError> {
        let user_id = identity.user.id;
        let mut event = own(EventKind::SessionsRevoked, &identity.user, client);
        self.db(move |conn| {
            conn.transaction(|conn| {
                let ended = sessions::end_all_of_user(conn, user_id, None)?;
                crate::db::two_factor::void_waiting_sign_ins(conn, user_id)?;
                event.details = json!({"sessions": ended, "kept_current": false});
                audit::record(conn, &event)?;
                Ok(())
            })
        })
        .await
    }

    /// `/refresh`: a fresh token in the same session; the one it replaces is denied
    /// until its `exp` plus the leeway (tokens are accepted that long).
    pub async fn refresh(&self, identity: &Identity) -> Result<SignedIn, AppError> {
        let issued = self
            .tokens
            .issue(&identity.user, &identity.session)?
            .ok_or_else(|| {
                AppError::Forbidden(
                    "this session has reached its maximum length; sign in again".into(),
                )
            })?;
        let jti = identity.claims.jti;
        let until =
            identity.claims.expires_at() + Duration::seconds(secs(self.settings.leeway_secs));
        let (sid, exp) = (identity.session.id, issued.claims.expires_at());
        self.db(move |conn| {
            revoked_tokens::deny(conn, jti, until)?;
            Ok(sessions::extend_expiry(conn, sid, exp)?)
        })
        .await?;
        Ok(SignedIn::new(identity.user.clone(), issued))
    }
}
