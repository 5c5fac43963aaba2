//! The second factor (contract §8): setting it up, turning it on and off, recovery
//! codes, an admin's reset, and the check of a code that sign-in and those changes
//! share. A wrong code is a failed sign-in for the limits, like a wrong password.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::accounts::audit::own;
use crate::accounts::sign_in::{Wrong, record_failure};
use crate::accounts::{Accounts, Client};
use crate::auth::identity::Identity;
use crate::auth::sealing::SealError;
use crate::auth::{password, recovery, throttle, totp};
use crate::db::audit;
use crate::db::users::User;
use crate::db::{sessions, two_factor as rows};
use crate::domain::EventKind;
use crate::error::{AppError, FieldErrors};

/// `GET /me/2fa` and the answer to turning it off.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub recovery_codes_left: i64,
}

/// A secret set up but not yet confirmed, as the user's authenticator takes it.
/// No `Debug`: the secret must never reach a log.
#[derive(Clone, Default, serde::Serialize)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
}

/// Which second factor a code was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    /// A recovery code, now used up; this many are left.
    RecoveryCode {
        left: i64,
    },
}

const WRONG_CODE: &str = "is not a current code of your authenticator or an unused recovery code";
const WRONG_PASSWORD: &str = "is not your password";

/// The SHA-256 of a stored password hash: a waiting sign-in remembers it, so that a
/// password change in between voids it.
pub(crate) fn password_digest(stored_hash: &str) -> Vec<u8> {
    Sha256::digest(stored_hash.as_bytes()).to_vec()
}

fn sealing_failed(error: SealError) -> AppError {
    AppError::internal(anyhow::anyhow!(error))
}

impl Accounts {
    pub async fn two_factor_status(&self, user: &User) -> Result<TwoFactorStatus, AppError> {
        let (id, enabled) = (user.id, user.two_factor);
        let left = if enabled {
            self.db(move |conn| Ok(rows::recovery_codes_left(conn, id)?))
                .await?
        } else {
            0
        };
        Ok(TwoFactorStatus {
            enabled,
            recovery_codes_left: left,
        })
    }

    /// A new pending secret, after the password: nothing changes until `enable`.
    pub async fn set_up_two_factor(
        &self,
        identity: &Identity,
        client: &Client,
        password: String,
    ) -> Result<Enrolment, AppError> {
        let user = &identity.user;
        if user.two_factor {
            return Err(AppError::Conflict(
                "two-factor authentication is already on; turn it off first".into(),
            ));
        }
        if !self.secrets.can_seal() {
            return Err(AppError::Conflict(
                "two-factor authentication is not available on this server (auth.encryption_key is not set)".into(),
            ));
        }
        if password.is_empty() {
            return Err(AppError::Validation(FieldErrors::single(
                "password",
                "is required",
            )));
        }
        if !self
            .current_password_matches(identity, client, password)
            .await?
        {
            return Err(AppError::Validation(FieldErrors::single(
                "password",
                WRONG_PASSWORD,
            )));
        }
        let secret = totp::new_secret();
        let sealed = self
            .secrets
            .seal(user.id, &secret)
            .map_err(sealing_failed)?;
        let id = user.id;
        self.db(move |conn| Ok(rows::set_pending(conn, id, &sealed)?))
            .await?;
        Ok(enrolment(&secret, &user.username))
    }

    /// The pending secret again (the setup page after a wrong confirmation code).
    pub async fn pending_enrolment(&self, user: &User) -> Result<Option<Enrolment>, AppError> {
        let id = user.id;
        let state = self
            .db(move |conn| conn.transaction(|conn| Ok(rows::state_for_update(conn, id)?)))
            .await?;
        let Some(sealed) = state.and_then(|s| s.pending) else {
            return Ok(None);
        };
        let secret = self.secrets.open(id, &sealed).map_err(sealing_failed)?;
        Ok(Some(enrolment(&secret.plain, &user.username)))
    }

    /// Confirms the pending secret with a current code: the second factor is on, the
    /// user's other sessions end, and these are the recovery codes (shown once).
    pub async fn enable_two_factor(
        &self,
        identity: &Identity,
        client: &Client,
        code: &str,
    ) -> Result<Vec<String>, AppError> {
        if code.trim().is_empty() {
            return Err(AppError::Validation(FieldErrors::single(
                "code",
                "is required",
            )));
        }
        let (id, sid, code) = (identity.user.id, identity.session.id, code.to_string());
        let (user, client) = (identity.user.clone(), client.clone());
        let secrets = self.secrets.clone();
        self.db(move |conn| {
            conn.transaction(|conn| {
                let state = rows::state_for_update(conn, id)?
                    .ok_or_else(|| AppError::NotFound("no such user".into()))?;
                if state.secret.is_some() {
                    return Err(AppError::Conflict(
                        "two-factor authentication is already on".into(),
                    ));
                }
                let Some(sealed) = state.pending else {
                    return Err(AppError::Conflict(
                        "set up two-factor authentication first (POST /me/2fa/setup)".into(),
                    ));
                };
                let secret = secrets.open(id, &sealed).map_err(sealing_failed)?;
                let step = totp::matching_step(&secret.plain, &code, totp::now_unix_secs())
                    .ok_or_else(|| {
                        AppError::Validation(FieldErrors::single(
                            "code",
                            "is not the current code of your authenticator",
                        ))
                    })?;
                rows::enable(conn, id, &sealed, step)?;
                let codes = store_new_recovery_codes(conn, id)?;
                sessions::end_all_of_user(conn, id, Some(sid))?;
                audit::record(conn, &own(EventKind::TwoFactorEnabled, &user, &client))?;
                Ok(codes)
            })
        })
        .await
    }

    /// Turns the second factor off (password and a code needed); other sessions end.
    pub async fn disable_two_factor(
        &self,
        identity: &Identity,
        client: &Client,
        password: String,
        code: String,
    ) -> Result<TwoFactorStatus, AppError> {
        let (sid, user) = (identity.session.id, identity.user.clone());
        self.with_password_and_code(identity, client, password, code, move |conn, id, client| {
            rows::disable(conn, id)?;
            sessions::end_all_of_user(conn, id, Some(sid))?;
            audit::record(conn, &own(EventKind::TwoFactorDisabled, &user, client))?;
            Ok(TwoFactorStatus {
                enabled: false,
                recovery_codes_left: 0,
            })
        })
        .await
    }

    /// New recovery codes (password and a code needed); the old ones stop working.
    pub async fn new_recovery_codes(
        &self,
        identity: &Identity,
        client: &Client,
        password: String,
        code: String,
    ) -> Result<Vec<String>, AppError> {
        let user = identity.user.clone();
        self.with_password_and_code(identity, client, password, code, move |conn, id, client| {
            let codes = store_new_recovery_codes(conn, id)?;
            audit::record(conn, &own(EventKind::RecoveryCodesReplaced, &user, client))?;
            Ok(codes)
        })
        .await
    }

    /// Checks `code` against the user's second factor inside the caller's transaction,
    /// and uses it up: a TOTP code's step is recorded (a code is accepted once), a
    /// recovery code is marked used. `None` for a wrong, reused or used-up code.
    pub(crate) fn accept_code(
        &self,
        conn: &mut PgConnection,
        user_id: i64,
        code: &str,
    ) -> Result<Option<Factor>, AppError> {
        let Some(state) = rows::state_for_update(conn, user_id)? else {
            return Ok(None);
        };
        let Some(sealed) = state.secret else {
            return Ok(None);
        };
        let secret = self
            .secrets
            .open(user_id, &sealed)
            .map_err(sealing_failed)?;
        if let Some(step) = totp::matching_step(&secret.plain, code, totp::now_unix_secs()) {
            if !rows::accept_step(conn, user_id, step)? {
                return Ok(None);
            }
            if secret.stale {
                let resealed = self
                    .secrets
                    .seal(user_id, &secret.plain)
                    .map_err(sealing_failed)?;
                rows::reseal(conn, user_id, &resealed)?;
            }
            return Ok(Some(Factor::Totp));
        }
        let Some(normalized) = recovery::normalize(code) else {
            return Ok(None);
        };
        if !rows::use_recovery_code(conn, user_id, &recovery::hash(user_id, &normalized))? {
            return Ok(None);
        }
        let left = rows::recovery_codes_left(conn, user_id)?;
        Ok(Some(Factor::RecoveryCode { left }))
    }

    /// The password and a code, checked like a sign-in (a slot; a failure recorded when
    /// either is wrong), then `apply` in the same transaction as the code's use.
    async fn with_password_and_code<T, F>(
        &self,
        identity: &Identity,
        client: &Client,
        password: String,
        code: String,
        apply: F,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection, i64, &Client) -> Result<T, AppError> + Send + 'static,
    {
        let mut missing = FieldErrors::default();
        if password.is_empty() {
            missing.add("password", "is required");
        }
        if code.trim().is_empty() {
            missing.add("code", "is required");
        }
        missing.into_result(()).map_err(AppError::Validation)?;
        if !identity.user.two_factor {
            return Err(AppError::Conflict(
                "two-factor authentication is off".into(),
            ));
        }
        let slot = self
            .take_sign_in_slot(throttle::username_key(&identity.user.username), client)
            .await?;
        let key = slot.username_key.clone();
        let stored = identity.user.password_hash.clone();
        let checked = self
            .hasher
            .run(move |stats| password::verify(&password, &stored, stats))
            .await;
        let (id, accounts, client) = (identity.user.id, self.clone(), client.clone());
        let finished = self
            .db(move |conn| {
                let password_ok = match checked {
                    Ok(ok) => ok,
                    Err(error) => return throttle::release(conn, &slot).and(Err(error)),
                };
                let outcome = conn.transaction(|conn| {
                    if !password_ok {
                        record_failure(conn, &slot, &client, Wrong::Password)?;
                        return Ok(Err(FieldErrors::single("password", WRONG_PASSWORD)));
                    }
                    if accounts.accept_code(conn, id, &code)?.is_none() {
                        record_failure(conn, &slot, &client, Wrong::Code)?;
                        return Ok(Err(FieldErrors::single("code", WRONG_CODE)));
                    }
                    throttle::succeed(conn, &slot)?;
                    apply(conn, id, &client).map(Ok)
                });
                if outcome.is_err() {
                    // Rolled back: the slot goes back, nothing is recorded.
                    let _ = throttle::release(conn, &slot);
                }
                outcome?.map_err(AppError::Validation)
            })
            .await;
        self.slot_signal(&key).notify_one();
        finished
    }
}

/// Ten new recovery codes for the user, replacing any older ones; the codes themselves
/// leave only in the answer.
fn store_new_recovery_codes(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Vec<String>, AppError> {
    let codes = recovery::new_codes();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .filter_map(|code| recovery::normalize(code))
        .map(|normalized| recovery::hash(user_id, &normalized))
        .collect();
    rows::replace_recovery_codes(conn, user_id, &hashes)?;
    Ok(codes)
}

fn enrolment(secret: &[u8], username: &str) -> Enrolment {
    Enrolment {
        secret: totp::base32(secret),
        otpauth_uri: totp::otpauth_uri(secret, username),
    }
}
