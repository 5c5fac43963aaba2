//! Signing in (contract §4, §8): limits first, then the password on the hashing
//! threads, then, in one transaction that re-reads the user, the second factor (when
//! the user has one) and the session. A user with a second factor who sent no code
//! gets a waiting sign-in (`mfa_challenges`) that `complete_sign_in` finishes.

use std::time::Instant;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::accounts::audit;
use crate::accounts::two_factor::{Factor, password_digest};
use crate::accounts::{Accounts, Client, SignedIn};
use crate::auth::password;
use crate::auth::throttle::{self, Reservation, Slot};
use crate::db::audit as audit_rows;
use crate::db::schema::users as user_rows;
use crate::db::two_factor as factor_rows;
use crate::db::users::{self, User, UserChanges};
use crate::domain::EventKind;
use crate::error::{AppError, FieldErrors};
use crate::settings::Secret;

/// How long a sign-in waits for its second factor (contract §8): as long as the
/// browser's `mfa_pending` cookie lives.
const CHALLENGE_SECS: i64 = crate::http::cookies::MFA_PENDING_MAX_AGE_SECS;
/// Wrong codes a waiting sign-in takes before it is voided (each also counts as a
/// failed sign-in for the username and address limits).
const CHALLENGE_WRONG_CODES: i32 = 5;

/// Failures this module records itself: the slot must not be released after them.
fn recorded(error: &AppError) -> bool {
    matches!(error, AppError::BadCredentials | AppError::WrongCode)
}

fn token_hash(mfa_token: &str) -> Vec<u8> {
    Sha256::digest(mfa_token.as_bytes()).to_vec()
}

impl Accounts {
    /// Checks the credentials and starts a session. Unknown users, disabled users and
    /// wrong passwords get the same `401` after the same bcrypt work. A sign-in whose
    /// check began before a password change, disable or delete committed gets no
    /// session and changes nothing.
    pub async fn sign_in(
        &self,
        username: &str,
        password: String,
        code: Option<String>,
        client: &Client,
    ) -> Result<SignedIn, AppError> {
        let mut missing = FieldErrors::default();
        if username.is_empty() {
            missing.add("username", "is required");
        }
        if password.is_empty() {
            missing.add("password", "is required");
        }
        missing.into_result(()).map_err(AppError::Validation)?;

        let slot = self
            .take_sign_in_slot(throttle::username_key(username), client)
            .await?;
        let outcome = self.check(&slot, password, code, client).await;
        self.finish_slot(&slot, &outcome).await;
        outcome
    }

    /// A slot to check a password or code of a sign-in (`take_slot`); a refusal by the
    /// limit is recorded in the audit log (aggregated, like failures).
    pub(crate) async fn take_sign_in_slot(
        &self,
        username_key: String,
        client: &Client,
    ) -> Result<Slot, AppError> {
        let taken = self.take_slot(username_key.clone(), &client.address).await;
        if let Err(AppError::TooManyRequests { .. }) = &taken {
            let client = client.clone();
            let recorded = self
                .db(move |conn| {
                    Ok(audit::count_failure(
                        conn,
                        EventKind::SignInThrottled,
                        "",
                        &username_key,
                        &client,
                    )?)
                })
                .await;
            if let Err(error) = recorded {
                tracing::warn!(%error, "could not record a throttled sign-in");
            }
        }
        taken
    }

    /// After a check: the slot goes back unless the check recorded a failure in it (or
    /// succeeded), and an attempt waiting on this key may go.
    async fn finish_slot<T>(&self, slot: &Slot, outcome: &Result<T, AppError>) {
        let freed = self.slot_signal(&slot.username_key);
        if let Err(error) = outcome
            && !recorded(error)
        {
            // The check did not finish: the slot goes back, nothing is recorded.
            let release = slot.clone();
            if let Err(e) = self.db(move |conn| throttle::release(conn, &release)).await {
                tracing::warn!(error = %e, "could not release a sign-in slot");
            }
        }
        // One attempt waiting on this key may go now, without waiting for its pause.
        freed.notify_one();
    }

    /// A slot to check a password for these keys: waits while every slot is taken by a
    /// check in flight, `429` once the limit of recorded failures is reached.
    pub(crate) async fn take_slot(
        &self,
        username_key: String,
        address: &str,
    ) -> Result<Slot, AppError> {
        let started = Instant::now();
        for tries in 0.. {
            let (settings, key, address) = (
                self.settings.clone(),
                username_key.clone(),
                address.to_string(),
            );
            let reservation = self
                .db(move |conn| throttle::reserve(conn, &settings, &key, &address))
                .await?;
            match reservation {
                Reservation::Granted(slot) => return Ok(slot),
                Reservation::Full if started.elapsed() < throttle::MAX_WAIT => {
                    // Woken when a slot of this key is given back here, or after the
                    // pause (a slot given back by another instance).
                    let freed = self.slot_signal(&username_key).notified();
                    let _ = actix_web::rt::time::timeout(throttle::pause(tries), freed).await;
                }
                Reservation::Full => break,
            }
        }
        Err(AppError::Busy(
            "too many sign-ins for this account at once; try again in a moment".into(),
        ))
    }

    /// The password check and, on success, the session. A wrong password (or a
    /// disabled account) records a failure in `slot`; a success frees it.
    async fn check(
        &self,
        slot: &Slot,
        password: String,
        code: Option<String>,
        client: &Client,
    ) -> Result<SignedIn, AppError> {
        let key = slot.username_key.clone();
        // Text that cannot be a username never reaches a query.
        let user = if key.is_empty() {
            None
        } else {
            self.db(move |conn| Ok(User::find_by_username(conn, &key)?))
                .await?
        };
        let stored = user
            .as_ref()
            .map_or_else(|| self.dummy_hash.to_string(), |u| u.password_hash.clone());
        let usable = user.as_ref().is_some_and(|u| !u.disabled);
        let cost = self.settings.bcrypt_cost;
        let checked_hash = stored.clone();
        let check = self
            .hasher
            .run(move |stats| password::check(&password, &checked_hash, cost, usable, stats))
            .await?;

        let Some(user) = user.filter(|_| check.matches && usable) else {
            let (failed, client) = (slot.clone(), client.clone());
            self.db(move |conn| {
                conn.transaction(|conn| record_failure(conn, &failed, &client, Wrong::Password))
            })
            .await?;
            return Err(AppError::BadCredentials);
        };
        let (slot, client) = (slot.clone(), client.clone());
        let accounts = self.clone();
        self.db(move |conn| {
            conn.transaction(|conn| {
                // Still the same password, still enabled, still there? Else nothing.
                let current: Option<User> = user_rows::table
                    .find(user.id)
                    .select(User::as_select())
                    .for_update()
                    .first(conn)
                    .optional()?;
                let Some(current) = current.filter(|u| u.password_hash == stored && !u.disabled)
                else {
                    throttle::release(conn, &slot)?;
                    return Ok(Err(AppError::BadCredentials));
                };
                let user = match &check.rehash {
                    Some(hash) => {
                        let changes = UserChanges {
                            password_hash: Some(hash),
                            ..Default::default()
                        };
                        users::update(conn, current.id, &changes)?
                    }
                    None => current,
                };
                let mut factor = None;
                if user.two_factor {
                    let code = code.as_deref().map(str::trim).filter(|c| !c.is_empty());
                    let Some(code) = code else {
                        // The password was right: the slot goes back, but the
                        // username's failures are forgiven only once a code passes.
                        throttle::release(conn, &slot)?;
                        let mfa_token = accounts.open_challenge(conn, &user)?;
                        return Ok(Err(AppError::SecondFactorRequired { mfa_token }));
                    };
                    factor = accounts.accept_code(conn, user.id, code)?;
                    if factor.is_none() {
                        record_failure(conn, &slot, &client, Wrong::Code)?;
                        return Ok(Err(AppError::WrongCode));
                    }
                }
                throttle::succeed(conn, &slot)?;
                let issued = accounts.start_session(conn, &user, &client, factor.is_some())?;
                record_sign_in(conn, &user, &client, factor.is_some())?;
                Ok(Ok(signed_in(user, issued, factor)))
            })
        })
        .await?
    }

    /// A sign-in waiting for its second factor: the token the client completes it with.
    fn open_challenge(&self, conn: &mut PgConnection, user: &User) -> Result<Secret, AppError> {
        let mfa_token = crate::random::token(32);
        factor_rows::insert_challenge(
            conn,
            &token_hash(&mfa_token),
            user.id,
            &password_digest(&user.password_hash),
            Utc::now() + Duration::seconds(CHALLENGE_SECS),
        )?;
        Ok(Secret::new(mfa_token))
    }

    /// `POST /login/2fa`: completes a waiting sign-in with a code. A wrong code is a
    /// failed sign-in (a slot, like a password check); after
    /// `CHALLENGE_WRONG_CODES` of them, or once it expired, or when the password changed
    /// or the account was disabled meanwhile, the waiting sign-in is gone.
    pub async fn complete_sign_in(
        &self,
        mfa_token: &str,
        code: &str,
        client: &Client,
    ) -> Result<SignedIn, AppError> {
        let mut missing = FieldErrors::default();
        if mfa_token.is_empty() {
            missing.add("mfa_token", "is required");
        }
        if code.trim().is_empty() {
            missing.add("code", "is required");
        }
        missing.into_result(()).map_err(AppError::Validation)?;
        let hash = token_hash(mfa_token);
        let lookup = hash.clone();
        let (user_id, username) = self
            .db(move |conn| {
                use crate::db::schema::{mfa_challenges, users};
                Ok(mfa_challenges::table
                    .inner_join(users::table)
                    .filter(mfa_challenges::token_hash.eq(lookup))
                    .select((users::id, users::username))
                    .first::<(i64, String)>(conn)
                    .optional()?)
            })
            .await?
            .ok_or(AppError::SignInExpired)?;
        let slot = self
            .take_sign_in_slot(throttle::username_key(&username), client)
            .await?;
        let (accounts, held, client, code) = (
            self.clone(),
            slot.clone(),
            client.clone(),
            code.trim().to_string(),
        );
        let outcome = self
            .db(move |conn| {
                conn.transaction(|conn| {
                    accounts.complete_in(conn, user_id, &hash, &held, &client, &code)
                })
            })
            .await
            .and_then(|outcome| outcome);
        self.finish_slot(&slot, &outcome).await;
        outcome
    }

    /// The transaction of `complete_sign_in`; an `Ok(Err)` commits what it recorded.
    /// Locks the user's row before the challenge's, the order of every path that ends a
    /// user's waiting sign-ins (turning the second factor off, a reset, a delete), so
    /// the two never wait for each other.
    fn complete_in(
        &self,
        conn: &mut PgConnection,
        user_id: i64,
        hash: &[u8],
        slot: &Slot,
        client: &Client,
        code: &str,
    ) -> Result<Result<SignedIn, AppError>, AppError> {
        let user: Option<User> = user_rows::table
            .find(user_id)
            .select(User::as_select())
            .for_update()
            .first(conn)
            .optional()?;
        let challenge = factor_rows::challenge_for_update(conn, hash)?;
        let Some(challenge) =
            challenge.filter(|c| c.expires_at > Utc::now() && c.user_id == user_id)
        else {
            factor_rows::delete_challenge(conn, hash)?;
            return Ok(Err(AppError::SignInExpired));
        };
        let Some(user) = user.filter(|u| {
            !u.disabled
                && u.two_factor
                && password_digest(&u.password_hash) == challenge.password_digest
        }) else {
            factor_rows::delete_challenge(conn, hash)?;
            return Ok(Err(AppError::SignInExpired));
        };
        let Some(factor) = self.accept_code(conn, user.id, code)? else {
            record_failure(conn, slot, client, Wrong::Code)?;
            if challenge.wrong_codes + 1 >= CHALLENGE_WRONG_CODES {
                factor_rows::delete_challenge(conn, hash)?;
            } else {
                factor_rows::count_wrong_code(conn, hash)?;
            }
            return Ok(Err(AppError::WrongCode));
        };
        factor_rows::delete_challenge(conn, hash)?;
        throttle::succeed(conn, slot)?;
        let issued = self.start_session(conn, &user, client, true)?;
        record_sign_in(conn, &user, client, true)?;
        Ok(Ok(signed_in(user, issued, Some(factor))))
    }
}

/// What a failed check got wrong.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wrong {
    Password,
    Code,
}

/// A wrong password or code: the slot becomes a recorded failure, and the audit log
/// counts it (one row per username, address, stage and five minutes).
pub(crate) fn record_failure(
    conn: &mut PgConnection,
    slot: &Slot,
    client: &Client,
    wrong: Wrong,
) -> Result<(), AppError> {
    throttle::fail(conn, slot)?;
    let stage = match wrong {
        Wrong::Password => "password",
        Wrong::Code => "code",
    };
    audit::count_failure(
        conn,
        EventKind::SignInFailed,
        stage,
        &slot.username_key,
        client,
    )?;
    Ok(())
}

/// A session started by a sign-in: the audit event (with the device and whether a
/// second factor was used) and the user's last sign-in time.
fn record_sign_in(
    conn: &mut PgConnection,
    user: &User,
    client: &Client,
    mfa: bool,
) -> Result<(), AppError> {
    let mut event = audit::own(EventKind::SignIn, user, client);
    event.details = serde_json::json!({"user_agent": client.user_agent, "mfa": mfa});
    audit_rows::record(conn, &event)?;
    users::record_sign_in(conn, user.id)?;
    Ok(())
}

fn signed_in(
    user: User,
    issued: crate::auth::tokens::IssuedToken,
    factor: Option<Factor>,
) -> SignedIn {
    SignedIn {
        recovery_codes_left: match factor {
            Some(Factor::RecoveryCode { left }) => Some(left),
            _ => None,
        },
        ..SignedIn::new(user, issued)
    }
}
