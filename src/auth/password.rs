//! bcrypt hashing and verification. Both are slow on purpose: they run on the
//! `auth::hasher` threads only, never on an async worker. Each operation is counted in
//! `HashStats`, which is how tests check that refused sign-ins cost what correct ones do.

use crate::auth::hasher::HashStats;
use crate::domain::NewPassword;
use crate::domain::password::MAX_BYTES;

/// Hashes at `cost`. `NewPassword` is at most 72 bytes, so bcrypt uses every byte.
/// (The crate's `non_truncating_*` functions count bcrypt's trailing NUL and would
/// refuse exactly 72 bytes, which the contract allows.)
pub fn hash(password: &NewPassword, cost: u32, stats: &HashStats) -> anyhow::Result<String> {
    let hashed = bcrypt::hash(password.expose(), cost)?;
    stats.record(cost);
    Ok(hashed)
}

/// A hash of a password nobody knows, at the configured cost: unknown usernames are
/// verified against it so that they take as long as wrong passwords.
pub fn dummy_hash(cost: u32) -> anyhow::Result<String> {
    Ok(bcrypt::hash(crate::random::token(24), cost)?)
}

/// Whether `password` matches `hash`. Anything unverifiable (over 72 bytes, which
/// bcrypt would silently truncate, or a broken hash) is no match, after the same work.
pub fn verify(password: &str, hash: &str, stats: &HashStats) -> bool {
    let fits = password.len() <= MAX_BYTES;
    let matches = bcrypt::verify(if fits { password } else { "" }, hash).unwrap_or(false);
    if let Some(cost) = cost_of(hash) {
        stats.record(cost);
    }
    fits && matches
}

/// The cost a stored hash was made with, to re-hash at the next sign-in when it differs.
pub fn cost_of(hash: &str) -> Option<u32> {
    hash.split('$').nth(2)?.parse().ok()
}

/// The outcome of checking a sign-in's password.
pub struct Check {
    pub matches: bool,
    /// A hash at the configured cost to store instead of `stored` (its cost differed).
    pub rehash: Option<String>,
}

/// Verifies `password` against `stored`, and when `stored` has another cost than
/// `cost`, makes one hash at `cost`: the re-hash to store when the password matched
/// and the account can sign in (`usable`), a throw-away one otherwise. So for a given
/// stored hash, a right password, a wrong one and a disabled account cost the same
/// bcrypt work; unknown users are checked against a dummy hash at `cost`, the same
/// work as every user whose hash is current.
pub fn check(password: &str, stored: &str, cost: u32, usable: bool, stats: &HashStats) -> Check {
    let matches = verify(password, stored, stats);
    if cost_of(stored) == Some(cost) {
        return Check {
            matches,
            rehash: None,
        };
    }
    let typed = NewPassword::unchecked(password).filter(|_| matches && usable);
    let throwaway = NewPassword::unchecked(&crate::random::token(24));
    let rehash = match typed.or(throwaway) {
        Some(p) => hash(&p, cost, stats).ok(),
        None => None,
    };
    Check {
        matches,
        rehash: rehash.filter(|_| matches && usable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify_and_read_the_cost() {
        let stats = HashStats::default();
        let password = NewPassword::parse("k3y-card!", "alice").unwrap();
        let hashed = hash(&password, 4, &stats).unwrap();
        assert!(verify("k3y-card!", &hashed, &stats));
        assert!(!verify("k3y-card?", &hashed, &stats));
        assert!(!verify(&"x".repeat(73), &hashed, &stats));
        let euro72 = NewPassword::parse(&"€".repeat(24), "alice").unwrap();
        let hashed = hash(&euro72, 4, &stats).unwrap();
        assert!(verify(&"€".repeat(24), &hashed, &stats));
        assert!(!verify(&format!("{}x", "€".repeat(24)), &hashed, &stats));
        assert!(!verify("k3y-card!", "not a hash", &stats));
        assert_eq!(cost_of(&hashed), Some(4));
    }

    /// The bcrypt operations (by cost) one check performs.
    fn work(password: &str, stored: &str, usable: bool) -> (bool, bool, u64, u64) {
        let stats = HashStats::default();
        let check = check(password, stored, 5, usable, &stats);
        (
            check.matches,
            check.rehash.is_some(),
            stats.done_at(4),
            stats.done_at(5),
        )
    }

    #[test]
    fn right_wrong_and_disabled_cost_the_same_work() {
        let stats = HashStats::default();
        let password = NewPassword::parse("k3y-card!", "alice").unwrap();
        let old = hash(&password, 4, &stats).unwrap();
        let current = hash(&password, 5, &stats).unwrap();

        // An old-cost hash: one verification at 4 and one hash at 5, whatever happens.
        assert_eq!(work("k3y-card!", &old, true), (true, true, 1, 1));
        assert_eq!(work("wrong-one", &old, true), (false, false, 1, 1));
        assert_eq!(work("k3y-card!", &old, false), (true, false, 1, 1));
        assert_eq!(work(&"x".repeat(100), &old, true), (false, false, 1, 1));
        // A current hash (and the dummy hash of unknown users): one verification at 5.
        assert_eq!(work("k3y-card!", &current, true), (true, false, 0, 1));
        assert_eq!(work("wrong-one", &current, true), (false, false, 0, 1));
        assert_eq!(work("k3y-card!", &current, false), (true, false, 0, 1));
    }
}
