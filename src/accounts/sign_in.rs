//! Signing in (contract §4, §8): limits first, then the password on the hashing
//! threads, then, in one transaction that re-reads the user, the second factor (when
//! the user has one) and the session. A user with a second factor who sent no code
//! gets a waiting sign-in that `accounts::second_step` finishes.

use std::time::Instant;

use diesel::prelude::*;

use crate::accounts::audit;
use crate::accounts::two_factor::Factor;
use crate::accounts::{Accounts, Client, SignedIn};
use crate::auth::password;
use crate::auth::throttle::{self, Reservation, Slot};
use crate::auth::waiting_lines;
use crate::db::audit as audit_rows;
use crate::db::schema::users as user_rows;
use crate::db::users::{self, User, UserChanges};
use crate::domain::EventKind;
use crate::error::{AppError, FieldErrors};

/// Failures this module records itself: the slot must not be released after them.
fn recorded(error: &AppError) -> bool {
    matches!(error, AppError::BadCredentials | AppError::WrongCode)
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
    pub(super) async fn finish_slot<T>(&self, slot: &Slot, outcome: &Result<T, AppError>) {
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
        // Only the attempt at the head of its line asks; the turn ends when this function
        // returns (a slot, a refusal) or the request goes away.
        let _turn = match waiting_lines::line_for(&username_key, address) {
            Some(line) => Some(self.waiting_lines.wait_for_turn(&line).await),
            None => None,
        };
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
pub(super) fn record_sign_in(
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

pub(super) fn signed_in(
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
