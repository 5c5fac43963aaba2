//! Self-service (contract §3 `/me`): the display name and the password.

use diesel::Connection;

use crate::accounts::audit::own;
use crate::accounts::sign_in::{Wrong, record_failure};
use crate::accounts::{Accounts, Client, SignedIn};
use crate::auth::identity::Identity;
use crate::auth::{password, throttle};
use crate::db::audit;
use crate::db::sessions;
use crate::db::users::{self, User, UserChanges};
use crate::domain::EventKind;
use crate::domain::{DisplayName, NewPassword};
use crate::error::{AppError, FieldErrors};

impl Accounts {
    /// Sets (or, with an empty value, clears) the display name.
    pub async fn set_display_name(&self, user_id: i64, value: &str) -> Result<User, AppError> {
        let name = DisplayName::parse(value)
            .map_err(|e| AppError::Validation(FieldErrors::single("display_name", e)))?;
        self.db(move |conn| {
            let changes = UserChanges {
                display_name: Some(name.as_ref().map(DisplayName::as_str)),
                ..Default::default()
            };
            Ok(users::update(conn, user_id, &changes)?)
        })
        .await
    }

    /// Checks the current password and every rule for the new one (all messages at
    /// once), then stores the new hash and ends every other session. The current
    /// session moves to its next generation, so its earlier tokens stop working too,
    /// and gets a fresh token. A wrong current password changes nothing.
    ///
    /// Wrong current passwords count as failed sign-ins (the same limits, so a stolen
    /// session cannot be used to guess the password at bcrypt speed): past the limit
    /// the answer is `429` before any hashing.
    pub async fn change_password(
        &self,
        identity: &Identity,
        client: &Client,
        current: String,
        new: &str,
    ) -> Result<SignedIn, AppError> {
        let mut errors = FieldErrors::default();
        let new = NewPassword::parse(new, &identity.user.username)
            .map_err(|e| errors.add("new_password", e))
            .ok();
        if current.is_empty() {
            errors.add("current_password", "is required");
        } else if !self
            .current_password_matches(identity, client, current)
            .await?
        {
            errors.add("current_password", "is not your current password");
        }
        let new = match new {
            Some(new) if errors.is_empty() => new,
            _ => return Err(AppError::Validation(errors)),
        };
        let hash = self.hash_new_password(new).await?;
        let (user_id, sid) = (identity.user.id, identity.session.id);
        let (accounts, client) = (self.clone(), client.clone());
        self.db(move |conn| {
            conn.transaction(|conn| {
                let changes = UserChanges {
                    password_hash: Some(&hash),
                    ..Default::default()
                };
                let user = users::update(conn, user_id, &changes)?;
                sessions::end_all_of_user(conn, user_id, Some(sid))?;
                crate::db::password_resets::void_all_of_user(conn, user_id)?;
                audit::record(conn, &own(EventKind::PasswordChanged, &user, &client))?;
                let session = sessions::next_generation(conn, sid)?;
                let issued = accounts.issue_in(conn, &user, &session)?;
                Ok(SignedIn::new(user, issued))
            })
        })
        .await
    }

    /// The current password, checked like a sign-in (a slot, a failure when wrong).
    pub(super) async fn current_password_matches(
        &self,
        identity: &Identity,
        client: &Client,
        current: String,
    ) -> Result<bool, AppError> {
        let slot = self
            .take_sign_in_slot(throttle::username_key(&identity.user.username), client)
            .await?;
        let stored = identity.user.password_hash.clone();
        let checked = self
            .hasher
            .run(move |stats| password::verify(&current, &stored, stats))
            .await;
        let (key, client) = (slot.username_key.clone(), client.clone());
        let finished = self
            .db(move |conn| match checked {
                Ok(true) => throttle::succeed(conn, &slot).map(|()| true),
                Ok(false) => conn
                    .transaction(|conn| record_failure(conn, &slot, &client, Wrong::Password))
                    .map(|()| false),
                Err(error) => throttle::release(conn, &slot).and(Err(error)),
            })
            .await;
        self.slot_signal(&key).notify_one();
        finished
    }
}
