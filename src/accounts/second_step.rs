//! The second step of a sign-in (contract §8): a user with a second factor who gave the
//! right password and no code gets a waiting sign-in (`mfa_challenges`, its token
//! stored as a SHA-256), which `POST /login/2fa` completes with a code.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::accounts::sign_in::{Wrong, record_failure, record_sign_in, signed_in};
use crate::accounts::two_factor::password_digest;
use crate::accounts::{Accounts, Client, SignedIn};
use crate::auth::throttle::{self, Slot};
use crate::db::schema::users as user_rows;
use crate::db::two_factor as factor_rows;
use crate::db::users::User;
use crate::error::{AppError, FieldErrors};
use crate::settings::Secret;

/// How long a sign-in waits for its second factor (contract §8): as long as the
/// browser's `mfa_pending` cookie lives.
const CHALLENGE_SECS: i64 = crate::http::cookies::MFA_PENDING_MAX_AGE_SECS;
/// Wrong codes a waiting sign-in takes before it is voided (each also counts as a
/// failed sign-in for the username and address limits).
const CHALLENGE_WRONG_CODES: i32 = 5;

fn token_hash(mfa_token: &str) -> Vec<u8> {
    Sha256::digest(mfa_token.as_bytes()).to_vec()
}

impl Accounts {
    /// A sign-in waiting for its second factor: the token the client completes it with.
    pub(super) fn open_challenge(
        &self,
        conn: &mut PgConnection,
        user: &User,
    ) -> Result<Secret, AppError> {
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
