//! Who is calling (the middleware that asks is `web::authenticate`). A token comes from
//! `Authorization: Bearer` first, then the `access_token` cookie; it is verified, and
//! user, session and denylist state are loaded in one indexed query. A bad, expired or
//! revoked token, or one for a disabled or deleted user, is *no token*. Never a 500.
//!
//! Sliding renewal: a cookie token past half its lifetime is replaced by a fresh one in
//! the same session (capped by `auth.session_max_secs`); the replaced token stays valid
//! until its own `exp`.

use std::sync::Arc;

use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use chrono::Utc;

use crate::auth::identity::{Identity, TokenSource};
use crate::auth::tokens::{IssuedToken, Tokens};
use crate::db::{self, DbPool, sessions};
use crate::error::AppError;
use crate::http::bearer::bearer_token;
use crate::http::cookies;
use crate::metrics::Metrics;

/// A session's "last used" is written at most this often (to the minute is enough).
const TOUCH_EVERY_SECS: i64 = 60;

/// What a token turned out to be.
enum Verdict {
    Valid(Box<Identity>),
    Invalid,
    Revoked,
}

/// What authentication needs: the database and the keys.
pub struct Authenticator {
    pool: DbPool,
    tokens: Arc<Tokens>,
    metrics: Arc<Metrics>,
}

impl Authenticator {
    pub fn new(pool: DbPool, tokens: Arc<Tokens>, metrics: Arc<Metrics>) -> Self {
        Authenticator {
            pool,
            tokens,
            metrics,
        }
    }

    /// `Ok(None)` for any token that does not identify an enabled user in a live session;
    /// `Err` only when the database cannot say (503). Counted by outcome (`valid`,
    /// `invalid`: not a token of ours, or expired; `revoked`: a good token whose session
    /// or user no longer lets it in) and key id.
    pub async fn identify(&self, token: &str) -> Result<Option<Identity>, AppError> {
        let verdict = self.judge(token).await?;
        let outcome = match verdict {
            Verdict::Valid(_) => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Revoked => "revoked",
        };
        self.metrics
            .verification(outcome, self.tokens.kid_label(token));
        Ok(match verdict {
            Verdict::Valid(identity) => Some(*identity),
            Verdict::Invalid | Verdict::Revoked => None,
        })
    }

    async fn judge(&self, token: &str) -> Result<Verdict, AppError> {
        let claims = match self.tokens.verify(token) {
            Ok(claims) => claims,
            Err(reason) => {
                tracing::debug!(%reason, "token refused");
                return Ok(Verdict::Invalid);
            }
        };
        let Some(user_id) = claims.user_id() else {
            return Ok(Verdict::Invalid);
        };
        let (sid, jti) = (claims.sid, claims.jti);
        let found = db::blocking(&self.pool, move |conn| {
            Ok(sessions::lookup(conn, user_id, sid, jti)?)
        })
        .await?;
        let Some((user, session, denied)) = found else {
            return Ok(Verdict::Revoked);
        };
        let session_end = self.tokens.session_end(&session);
        let live = !denied
            && !user.disabled
            && session.generation == claims.generation
            && Utc::now().timestamp() < session_end;
        Ok(if live {
            Verdict::Valid(Box::new(Identity {
                user,
                session,
                claims,
            }))
        } else {
            Verdict::Revoked
        })
    }

    /// Keeps "last used" current to the minute without a write on every request: only a
    /// request that finds it a minute old writes it (one short UPDATE per session per
    /// minute), and waits for it, so the next request sees it. A failed write is logged
    /// and the request goes on.
    pub async fn touch_if_stale(&self, mut identity: Identity) -> Identity {
        if (Utc::now() - identity.session.last_used_at).num_seconds() < TOUCH_EVERY_SECS {
            return identity;
        }
        let sid = identity.session.id;
        match db::blocking(&self.pool, move |conn| Ok(sessions::touch(conn, sid)?)).await {
            Ok(()) => identity.session.last_used_at = Utc::now(),
            Err(error) => tracing::warn!(%error, "could not record session use"),
        }
        identity
    }

    /// The token to replace a cookie token past half its lifetime with, recorded on the
    /// session row (so the session lives as long as its newest token). `None` when it is
    /// not due, the session has reached its absolute end, or the write failed (the old
    /// token goes on working).
    pub async fn renewal(&self, identity: &Identity) -> Option<IssuedToken> {
        let claims = &identity.claims;
        let half_life = claims.iat + claims.lifetime_secs() / 2;
        if Utc::now().timestamp() < half_life {
            return None;
        }
        let fresh = match self.tokens.issue(&identity.user, &identity.session) {
            Ok(Some(fresh)) if fresh.claims.exp > claims.exp => fresh,
            Ok(_) => return None,
            Err(error) => {
                tracing::warn!(%error, "sliding renewal failed");
                return None;
            }
        };
        let (sid, exp) = (identity.session.id, fresh.claims.expires_at());
        match db::blocking(&self.pool, move |conn| {
            Ok(sessions::extend_expiry(conn, sid, exp)?)
        })
        .await
        {
            Ok(()) => Some(fresh),
            Err(error) => {
                tracing::warn!(%error, "could not record a renewed token");
                None
            }
        }
    }
}

/// The token a request carries, and where it came from.
pub fn bearer_or_cookie(req: &ServiceRequest) -> Option<(String, TokenSource)> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    if let Some(token) = bearer {
        return Some((token.to_string(), TokenSource::Bearer));
    }
    req.cookie(cookies::ACCESS_TOKEN)
        .map(|c| (c.value().to_string(), TokenSource::Cookie))
        .filter(|(token, _)| !token.is_empty())
}
