//! bcrypt hashing and verification. Both are slow on purpose: call them from the
//! blocking pool (`web::block`), never from an async worker.

use crate::domain::NewPassword;
use crate::domain::password::MAX_BYTES;

/// Hashes at `cost`. `NewPassword` is at most 72 bytes, so bcrypt uses every byte.
/// (The crate's `non_truncating_*` functions count bcrypt's trailing NUL and would
/// refuse exactly 72 bytes, which the contract allows.)
pub fn hash(password: &NewPassword, cost: u32) -> anyhow::Result<String> {
    Ok(bcrypt::hash(password.expose(), cost)?)
}

/// A hash of a password nobody knows, at the configured cost: unknown usernames are
/// verified against it so that they take as long as wrong passwords.
pub fn dummy_hash(cost: u32) -> anyhow::Result<String> {
    Ok(bcrypt::hash(crate::random::token(24), cost)?)
}

/// Whether `password` matches `hash`. Anything unverifiable (over 72 bytes, which
/// bcrypt would silently truncate, or a broken hash) is simply no match.
pub fn verify(password: &str, hash: &str) -> bool {
    password.len() <= MAX_BYTES && bcrypt::verify(password, hash).unwrap_or(false)
}

/// The cost a stored hash was made with, to re-hash at the next sign-in when it differs.
pub fn cost_of(hash: &str) -> Option<u32> {
    hash.split('$').nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify_and_read_the_cost() {
        let password = NewPassword::parse("k3y-card!", "alice").unwrap();
        let hashed = hash(&password, 4).unwrap();
        assert!(verify("k3y-card!", &hashed));
        assert!(!verify("k3y-card?", &hashed));
        assert!(!verify(&"x".repeat(73), &hashed));
        let euro72 = NewPassword::parse(&"€".repeat(24), "alice").unwrap();
        let hashed = hash(&euro72, 4).unwrap();
        assert!(verify(&"€".repeat(24), &hashed));
        assert!(!verify(&format!("{}x", "€".repeat(24)), &hashed));
        assert!(!verify("k3y-card!", "not a hash"));
        assert_eq!(cost_of(&hashed), Some(4));
    }
}
