//! Recovery codes (contract §8): ten one-time codes shown once when a second factor is
//! turned on, each 80 random bits written as `xxxx-xxxx-xxxx-xxxx` from an alphabet
//! without look-alikes. Stored as SHA-256 hashes salted with the user's id: random
//! codes of this length need no slow hash, and the database never holds a usable code.

use sha2::{Digest, Sha256};

/// How many codes a user gets.
pub const COUNT: usize = 10;
/// 32 symbols (5 bits each): letters and digits without 0/o and 1/l.
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
const SYMBOLS: usize = 16;

/// `COUNT` new codes, formatted for people.
pub fn new_codes() -> Vec<String> {
    (0..COUNT).map(|_| new_code()).collect()
}

fn new_code() -> String {
    let mut bytes = [0u8; SYMBOLS];
    crate::random::fill(&mut bytes);
    let symbols: Vec<u8> = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)])
        .collect();
    symbols
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as stored (lower case, without spaces and dashes), or `None` when the text
/// cannot be a recovery code.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == SYMBOLS && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What the database keeps of a (normalized) code.
pub fn hash(user_id: i64, normalized: &str) -> Vec<u8> {
    let mut digest = Sha256::new();
    digest.update(b"keycard recovery code\0");
    digest.update(user_id.to_be_bytes());
    digest.update(normalized.as_bytes());
    digest.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_codes_are_distinct_well_formed_and_normalize_to_themselves() {
        let codes = new_codes();
        assert_eq!(codes.len(), COUNT);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            let normalized = normalize(code).unwrap();
            assert_eq!(normalized, code.replace('-', ""));
            assert_eq!(normalize(&code.to_uppercase()), Some(normalized.clone()));
            assert_eq!(normalize(&code.replace('-', " ")), Some(normalized));
        }
    }

    #[test]
    fn text_that_cannot_be_a_code_normalizes_to_nothing() {
        assert_eq!(normalize("123456"), None);
        assert_eq!(normalize("abcd-efgh-ijkm-npq"), None);
        assert_eq!(normalize("abcd-efgh-ijkm-npq0"), None);
        assert_eq!(normalize(""), None);
    }

    #[test]
    fn hashes_depend_on_the_user() {
        assert_ne!(hash(1, "abcdefghijkmnpqr"), hash(2, "abcdefghijkmnpqr"));
        assert_eq!(hash(1, "abcdefghijkmnpqr"), hash(1, "abcdefghijkmnpqr"));
    }
}
