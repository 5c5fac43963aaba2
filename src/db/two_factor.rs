//! Second-factor rows (contract §8): the sealed TOTP secrets on `users`, the
//! `recovery_codes` hashes and the `mfa_challenges` of sign-ins waiting for a code.
//! Nothing here sees a secret in the clear: sealing is `auth::sealing`'s business.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{mfa_challenges, recovery_codes, users};

/// A user's sealed secrets and the newest step a code was accepted for.
#[derive(Debug, Queryable)]
pub struct TotpState {
    pub secret: Option<Vec<u8>>,
    pub pending: Option<Vec<u8>>,
    pub last_step: Option<i64>,
}

/// The second-factor state of `user_id`, locked until the transaction ends (so two
/// uses of one code cannot both pass).
pub fn state_for_update(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<TotpState>> {
    users::table
        .find(user_id)
        .select((
            users::totp_secret,
            users::totp_pending,
            users::totp_last_step,
        ))
        .for_update()
        .first(conn)
        .optional()
}

pub fn set_pending(conn: &mut PgConnection, user_id: i64, sealed: &[u8]) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::totp_pending.eq(sealed))
        .execute(conn)
}

/// The pending secret becomes the secret; `step` is the step of the code that confirmed
/// it (accepted once, like any other).
pub fn enable(conn: &mut PgConnection, user_id: i64, sealed: &[u8], step: i64) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::totp_secret.eq(sealed),
            users::totp_pending.eq(None::<Vec<u8>>),
            users::totp_last_step.eq(step),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Turns the second factor off: secret, pending secret, recovery codes and waiting
/// sign-ins go.
pub fn disable(conn: &mut PgConnection, user_id: i64) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::totp_secret.eq(None::<Vec<u8>>),
            users::totp_pending.eq(None::<Vec<u8>>),
            users::totp_last_step.eq(None::<i64>),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(mfa_challenges::table.filter(mfa_challenges::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(())
}

/// Records that a code of `step` was accepted; `false` when a code of that step or a
/// later one already was (a replay).
pub fn accept_step(conn: &mut PgConnection, user_id: i64, step: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table.find(user_id).filter(
            users::totp_last_step
                .is_null()
                .or(users::totp_last_step.lt(step)),
        ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Stores the secret sealed again (with the current key, during a key rotation).
pub fn reseal(conn: &mut PgConnection, user_id: i64, sealed: &[u8]) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::totp_secret.eq(sealed))
        .execute(conn)
}

/// Replaces `old` with `new` unless the row changed meanwhile (`keycard reseal`).
pub fn reseal_if_unchanged(
    conn: &mut PgConnection,
    user_id: i64,
    old: &[u8],
    new: &[u8],
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::totp_secret.eq(old)),
    )
    .set(users::totp_secret.eq(new))
    .execute(conn)
}

/// Every user with a secret, for `keycard reseal`.
pub fn all_secrets(conn: &mut PgConnection) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    users::table
        .filter(users::totp_secret.is_not_null())
        .select((users::id, users::totp_secret.assume_not_null()))
        .load(conn)
}

/// Whether any user has a second factor on (production then needs the key).
pub fn anyone_enabled(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::two_factor.eq(true)),
    ))
    .get_result(conn)
}

/// Replaces the user's recovery codes with these hashes.
pub fn replace_recovery_codes(
    conn: &mut PgConnection,
    user_id: i64,
    hashes: &[Vec<u8>],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|hash| {
            (
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
            )
        })
        .collect();
    diesel::insert_into(recovery_codes::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

/// Uses up an unused recovery code; `false` when there is none with this hash.
pub fn use_recovery_code(conn: &mut PgConnection, user_id: i64, hash: &[u8]) -> QueryResult<bool> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(diesel::dsl::now))
    .execute(conn)?;
    Ok(used == 1)
}

pub fn recovery_codes_left(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// A sign-in waiting for its second factor.
#[derive(Queryable, Selectable)]
#[diesel(table_name = mfa_challenges, check_for_backend(diesel::pg::Pg))]
pub struct Challenge {
    pub user_id: i64,
    pub password_digest: Vec<u8>,
    pub expires_at: DateTime<Utc>,
    pub wrong_codes: i32,
}

pub fn insert_challenge(
    conn: &mut PgConnection,
    token_hash: &[u8],
    user_id: i64,
    password_digest: &[u8],
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(mfa_challenges::table)
        .values((
            mfa_challenges::token_hash.eq(token_hash),
            mfa_challenges::user_id.eq(user_id),
            mfa_challenges::password_digest.eq(password_digest),
            mfa_challenges::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The challenge with this token hash, locked until the transaction ends.
pub fn challenge_for_update(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<Challenge>> {
    mfa_challenges::table
        .find(token_hash)
        .select(Challenge::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn delete_challenge(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<usize> {
    diesel::delete(mfa_challenges::table.find(token_hash)).execute(conn)
}

pub fn count_wrong_code(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<usize> {
    diesel::update(mfa_challenges::table.find(token_hash))
        .set(mfa_challenges::wrong_codes.eq(mfa_challenges::wrong_codes + 1))
        .execute(conn)
}

/// Every sign-in of this user waiting for a code ends (their password was reset).
pub fn void_waiting_sign_ins(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(mfa_challenges::table.filter(mfa_challenges::user_id.eq(user_id))).execute(conn)
}

/// The periodic sweep: challenges past their time.
pub fn purge_expired_challenges(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(mfa_challenges::table.filter(mfa_challenges::expires_at.lt(diesel::dsl::now)))
        .execute(conn)
}
