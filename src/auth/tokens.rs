//! Issuing and verifying the tokens of a session (contract §4).

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use crate::auth::jwt::{Claims, Keys, TokenError};
use crate::db::sessions::Session;
use crate::db::users::User;
use crate::error::AppError;
use crate::settings::AuthSettings;

pub struct IssuedToken {
    pub token: String,
    pub claims: Claims,
}

impl IssuedToken {
    /// Seconds the token is valid for: the cookie's `Max-Age`.
    pub fn max_age_secs(&self) -> u64 {
        u64::try_from(self.claims.lifetime_secs()).unwrap_or(0)
    }
}

/// The signing keys and the lifetimes that go with them, built once at start-up.
pub struct Tokens {
    keys: Keys,
    settings: Arc<AuthSettings>,
}

impl Tokens {
    pub fn new(keys: Keys, settings: Arc<AuthSettings>) -> Self {
        Tokens { keys, settings }
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.keys.verify(token)
    }

    /// The token's key id as a metrics label: one of ours, or `unknown`.
    pub fn kid_label(&self, token: &str) -> &str {
        self.keys.known_kid(token).unwrap_or("unknown")
    }

    /// The moment (Unix seconds) `session` reaches its absolute end.
    pub fn session_end(&self, session: &Session) -> i64 {
        session.created_at.timestamp() + secs(self.settings.session_max_secs)
    }

    /// A fresh token in `session` (at its current generation), valid for
    /// `auth.token_ttl_secs` but never past the session's absolute end. `None` when the
    /// session has reached it.
    pub fn issue(&self, user: &User, session: &Session) -> Result<Option<IssuedToken>, AppError> {
        let now = Utc::now().timestamp();
        let exp = (now + secs(self.settings.token_ttl_secs)).min(self.session_end(session));
        if exp <= now {
            return Ok(None);
        }
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role.as_str().to_string(),
            jti: Uuid::new_v4(),
            sid: session.id,
            generation: session.generation,
            iat: now,
            nbf: now,
            exp,
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
        };
        let token = self.keys.issue(&claims).map_err(AppError::Internal)?;
        Ok(Some(IssuedToken { token, claims }))
    }

    /// Like `issue`, for a session that was just started or renewed on purpose.
    pub fn issue_now(&self, user: &User, session: &Session) -> Result<IssuedToken, AppError> {
        self.issue(user, session)?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "session {} is past its absolute end",
                session.id
            ))
        })
    }
}

pub fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX / 4)
}
