//! Time-based one-time passwords (RFC 6238, contract §8): SHA-1, 6 digits, 30-second
//! steps, one step of tolerance each way. The arithmetic is the `totp-rs` crate's; this
//! module decides which step a code belongs to (so a code is accepted once) and what an
//! authenticator app is told (`otpauth://` URI, the secret in groups of four).

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

/// The issuer authenticator apps show beside the account.
pub const ISSUER: &str = "keycard";
/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Bytes of a new secret: 160 bits, the size RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// A new random secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    crate::random::fill(&mut secret);
    secret
}

fn totp(secret: &[u8], account: &str) -> TOTP {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECS,
        secret.to_vec(),
        Some(ISSUER.to_string()),
        account.to_string(),
    )
}

/// The step a Unix time falls in.
pub fn step_of(unix_secs: u64) -> i64 {
    i64::try_from(unix_secs / STEP_SECS).unwrap_or(i64::MAX)
}

/// The code for `step`.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let time = u64::try_from(step).unwrap_or(0).saturating_mul(STEP_SECS);
    totp(secret, "").generate(time)
}

/// The step (now, one before or one after) whose code `code` is, compared in constant
/// time; `None` when it is none of them. Spaces and dashes people type are ignored.
pub fn matching_step(secret: &[u8], code: &str, now_unix_secs: u64) -> Option<i64> {
    let typed: String = code.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if typed.len() != DIGITS || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(now_unix_secs);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        let expected = code_at(secret, step);
        if bool::from(expected.as_bytes().ct_eq(typed.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

/// `otpauth://totp/keycard:alice?secret=…&issuer=keycard…`: what the QR code holds.
pub fn otpauth_uri(secret: &[u8], account: &str) -> String {
    totp(secret, account).get_url()
}

/// The secret in base32 (RFC 4648, no padding), as apps take it when typed.
pub fn base32(secret: &[u8]) -> String {
    totp(secret, "").get_secret_base32()
}

/// The base32 secret in groups of four, easier to read off a screen and type.
pub fn grouped(base32: &str) -> String {
    base32
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The current Unix time in seconds.
pub fn now_unix_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, the seed "12345678901234567890").
    #[test]
    fn the_generator_gives_the_rfc_6238_test_vectors() {
        let seed = b"12345678901234567890".to_vec();
        let eight = TOTP::new_unchecked(Algorithm::SHA1, 8, 1, 30, seed, None, String::new());
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(eight.generate(time), expected, "at {time}");
        }
        // Our six-digit codes are the last six digits of the same values.
        assert_eq!(code_at(b"12345678901234567890", step_of(59)), "287082");
    }

    #[test]
    fn a_code_matches_its_step_and_one_step_either_side_only() {
        let secret = new_secret();
        let now = 1_700_000_015;
        let step = step_of(now);
        for offset in [-1, 0, 1] {
            let code = code_at(&secret, step + offset);
            assert_eq!(matching_step(&secret, &code, now), Some(step + offset));
        }
        for offset in [-3, -2, 2, 3] {
            let code = code_at(&secret, step + offset);
            // A code of a far step may collide with a near one by chance (1 in 10^6).
            let found = matching_step(&secret, &code, now);
            assert!(found.is_none() || found != Some(step + offset));
        }
    }

    #[test]
    fn typed_codes_may_carry_spaces_and_dashes_but_nothing_else() {
        let secret = new_secret();
        let now = 1_700_000_015;
        let code = code_at(&secret, step_of(now));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(&secret, &spaced, now), Some(step_of(now)));
        assert_eq!(matching_step(&secret, &format!("{code}0"), now), None);
        assert_eq!(matching_step(&secret, "", now), None);
        assert_eq!(matching_step(&secret, "12345a", now), None);
        assert_eq!(matching_step(&secret, "１２３４５６", now), None);
    }

    #[test]
    fn the_uri_names_the_issuer_and_the_account() {
        let secret = b"12345678901234567890";
        let uri = otpauth_uri(secret, "alice");
        assert!(uri.starts_with("otpauth://totp/keycard:alice?"), "{uri}");
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{uri}"
        );
        assert!(uri.contains("issuer=keycard"), "{uri}");
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
