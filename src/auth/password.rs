//! bcrypt hashing and verification. Both are slow on purpose: call them from the
//! blocking pool (`web::block`), never from an async worker.

use crate::domain::NewPassword;

/// Hashes at `cost`, refusing (never truncating) input over 72 bytes.
pub fn hash(password: &NewPassword, cost: u32) -> anyhow::Result<String> {
    Ok(bcrypt::non_truncating_hash(password.expose(), cost)?)
}
