//! Signing in (contract §4): limits first, then the password on the hashing threads,
//! then, in one transaction that re-reads the user, the session.

use std::time::Instant;

use diesel::prelude::*;

use crate::accounts::{Accounts, Client, SignedIn};
use crate::auth::password;
use crate::auth::throttle::{self, Reservation, Slot};
use crate::db::schema::users as user_rows;
use crate::db::users::{self, User, UserChanges};
use crate::error::{AppError, FieldErrors};

impl Accounts {
    /// Checks the credentials and starts a session. Unknown users, disabled users and
    /// wrong passwords get the same `401` after the same bcrypt work. A sign-in whose
    /// check began before a password change, disable or delete committed gets no
    /// session and changes nothing.
    pub async fn sign_in(
        &self,
        username: &str,
        password: String,
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
            .take_slot(throttle::username_key(username), &client.address)
            .await?;
        let outcome = self.check(&slot, password, client).await;
        let freed = self.slot_signal(&slot.username_key);
        if let Err(error) = &outcome
            && !matches!(error, AppError::BadCredentials)
        {
            // The check did not finish: the slot goes back, nothing is recorded.
            let release = slot.clone();
            if let Err(e) = self.db(move |conn| throttle::release(conn, &release)).await {
                tracing::warn!(error = %e, "could not release a sign-in slot");
            }
        }
        // One attempt waiting on this key may go now, without waiting for its pause.
        freed.notify_one();
        outcome
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
            let failed = slot.clone();
            self.db(move |conn| throttle::fail(conn, &failed)).await?;
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
                throttle::succeed(conn, &slot)?;
                let issued = accounts.start_session(conn, &user, &client)?;
                Ok(Ok(SignedIn { user, issued }))
            })
        })
        .await?
    }
}
