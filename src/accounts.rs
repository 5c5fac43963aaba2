//! The use cases, one module per area: what keycard does, whoever asked and however
//! the answer is shown. Handlers parse a request, call one method of `Accounts`, and
//! answer; every database call and every password hash happens in here (Diesel on the
//! blocking pool through `db::blocking`, bcrypt on the `auth::hasher` threads).

pub mod admin;
pub mod audit;
pub mod directory;
pub mod introspection;
pub mod lockouts;
pub mod profile;
pub mod registration;
pub mod reset_links;
pub mod second_step;
pub mod sessions;
pub mod sign_in;
pub mod two_factor;

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use tokio::sync::Notify;

use crate::auth::hasher::Hasher;
use crate::auth::sealing::SecretBox;
use crate::auth::tokens::{IssuedToken, Tokens, secs};
use crate::auth::waiting_lines::WaitingLines;
use crate::db::audit as audit_rows;
use crate::db::sessions::{self as session_rows, NewSession, Session};
use crate::db::users::User;
use crate::db::{self, DbPool};
use crate::domain::EventKind;
use crate::error::AppError;
use crate::settings::AuthSettings;

/// Who is calling from where: for limits, the session list and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub address: String,
    pub user_agent: String,
    /// The request's `X-Request-Id`, recorded with audit events.
    pub request_id: String,
}

/// A session just started (or renewed on purpose), with the token that carries it.
pub struct SignedIn {
    pub user: User,
    pub issued: IssuedToken,
    /// When a recovery code signed this session in: how many the user has left.
    pub recovery_codes_left: Option<i64>,
}

impl SignedIn {
    pub fn new(user: User, issued: IssuedToken) -> Self {
        SignedIn {
            user,
            issued,
            recovery_codes_left: None,
        }
    }
}

/// Everything the use cases share, built once at start-up. Cloning is cheap (shared
/// handles), so a clone can travel into a blocking closure.
#[derive(Clone)]
pub struct Accounts {
    pool: DbPool,
    settings: Arc<AuthSettings>,
    tokens: Arc<Tokens>,
    hasher: Hasher,
    /// Seals and opens second-factor secrets (`auth.encryption_key`).
    secrets: Arc<SecretBox>,
    /// `audit.retention_days`.
    audit_retention_days: u32,
    /// A bcrypt hash of a random password at the configured cost, verified against
    /// for unknown usernames so that they cost the same work as wrong passwords.
    dummy_hash: Arc<str>,
    /// Wakes an attempt waiting for a sign-in slot when one on its key is given back
    /// here (sharded by username key); attempts also look again after a pause, for slots
    /// that other instances give back.
    slot_freed: Arc<[Notify; SLOT_SIGNALS]>,
    /// Attempts on one username ask for a slot in the order they came.
    waiting_lines: Arc<WaitingLines>,
}

const SLOT_SIGNALS: usize = 64;

/// The longest `User-Agent` kept for a session.
const USER_AGENT_CHARS: usize = 512;

impl Accounts {
    pub fn new(
        pool: DbPool,
        settings: Arc<AuthSettings>,
        tokens: Arc<Tokens>,
        hasher: Hasher,
        secrets: Arc<SecretBox>,
        audit_retention_days: u32,
        dummy_hash: String,
    ) -> Self {
        Accounts {
            pool,
            settings,
            tokens,
            hasher,
            secrets,
            audit_retention_days,
            dummy_hash: dummy_hash.into(),
            slot_freed: Arc::new(std::array::from_fn(|_| Notify::new())),
            waiting_lines: Arc::default(),
        }
    }

    /// The signal for attempts waiting on slots of `username_key`.
    pub(crate) fn slot_signal(&self, username_key: &str) -> &Notify {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        username_key.hash(&mut hasher);
        let shard = usize::try_from(hasher.finish() % SLOT_SIGNALS as u64).unwrap_or(0);
        &self.slot_freed[shard]
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    {
        db::blocking(&self.pool, f).await
    }

    /// A new password's bcrypt hash at `auth.bcrypt_cost`, on the hashing threads.
    async fn hash_new_password(&self, new: crate::domain::NewPassword) -> Result<String, AppError> {
        let cost = self.settings.bcrypt_cost;
        self.hasher
            .run(move |stats| crate::auth::password::hash(&new, cost, stats))
            .await?
            .map_err(AppError::Internal)
    }

    /// `SELECT 1`: whether the database answers (`/readyz`).
    pub async fn ping(&self) -> Result<(), AppError> {
        self.db(|conn| Ok(db::ping(conn)?)).await
    }

    /// The moment before which a session's newest token is past all use.
    fn ended_before(&self) -> chrono::DateTime<Utc> {
        Utc::now() - Duration::seconds(secs(self.settings.leeway_secs))
    }

    fn started_before(&self) -> chrono::DateTime<Utc> {
        Utc::now() - Duration::seconds(secs(self.settings.session_max_secs))
    }

    /// Starts a session for `user` and issues its first token, inside the caller's
    /// transaction. The user's sessions that can no longer be used go first; past
    /// `auth.max_sessions_per_user`, the least recently used ones end. `mfa`: the
    /// sign-in passed a second factor.
    fn start_session(
        &self,
        conn: &mut PgConnection,
        user: &User,
        client: &Client,
        mfa: bool,
    ) -> Result<IssuedToken, AppError> {
        session_rows::purge_ended_of_user(
            conn,
            user.id,
            self.ended_before(),
            self.started_before(),
        )?;
        let user_agent: String = client.user_agent.chars().take(USER_AGENT_CHARS).collect();
        let lifetime = secs(
            self.settings
                .token_ttl_secs
                .min(self.settings.session_max_secs),
        );
        let session = NewSession {
            id: uuid::Uuid::new_v4(),
            user_id: user.id,
            client_address: &client.address,
            user_agent: &user_agent,
            expires_at: Utc::now() + Duration::seconds(lifetime),
            mfa,
        }
        .insert(conn)?;
        let cap = i64::from(self.settings.max_sessions_per_user.max(1));
        let ended = session_rows::cap_for_user(conn, user.id, cap)?;
        if ended > 0 {
            let mut event = audit::own(EventKind::SessionsRevoked, user, client);
            event.details = serde_json::json!({
                "sessions": ended,
                "kept_current": true,
                "reason": "max_sessions_per_user",
            });
            audit_rows::record(conn, &event)?;
        }
        self.issue_in(conn, user, &session)
    }

    /// Issues a token in `session` and records its expiry on the session row.
    fn issue_in(
        &self,
        conn: &mut PgConnection,
        user: &User,
        session: &Session,
    ) -> Result<IssuedToken, AppError> {
        let issued = self.tokens.issue_now(user, session)?;
        session_rows::extend_expiry(conn, session.id, issued.claims.expires_at())?;
        Ok(issued)
    }

    /// The periodic clean-up: sessions that can no longer be used, denylist entries
    /// past their token's life. Returns how many sessions ended.
    pub async fn sweep(&self) -> Result<usize, AppError> {
        let (ended, started) = (self.ended_before(), self.started_before());
        let self_for_sweep = self.clone();
        self.db(move |conn| {
            crate::db::revoked_tokens::purge_expired(conn)?;
            crate::db::two_factor::purge_expired_challenges(conn)?;
            crate::db::password_resets::purge_expired(conn)?;
            self_for_sweep.purge_old_events(conn, Utc::now())?;
            Ok(session_rows::purge_ended(conn, ended, started)?)
        })
        .await
    }
}
