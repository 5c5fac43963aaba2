//! Values the server signs so that it can tell its own from a client's inventions
//! (CSRF tokens, flash messages): `data.mac`, with `mac = HMAC-SHA256(key, data)` in
//! base64url, checked in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

#[derive(Clone)]
pub struct MacKey([u8; 32]);

impl MacKey {
    /// A key for one purpose, derived from the JWT secret with a label, so no two
    /// purposes (nor the tokens) share a key.
    pub fn derive(secret: &[u8], label: &str) -> Self {
        MacKey(hmac_sha256(secret, label.as_bytes()))
    }

    /// `data` (which must not contain `.`) with its MAC appended.
    pub fn sign(&self, data: &str) -> String {
        let mac = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.0, data.as_bytes()));
        format!("{data}.{mac}")
    }

    /// The data of a value this key signed, or `None`.
    pub fn open<'a>(&self, value: &'a str) -> Option<&'a str> {
        let (data, mac) = value.rsplit_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let expected = hmac_sha256(&self.0, data.as_bytes());
        bool::from(expected.as_slice().ct_eq(&mac)).then_some(data)
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail; an empty MAC key
    // would still be correct code, just never reached.
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_open_and_tampered_ones_do_not() {
        let key = MacKey::derive(b"secret", "test");
        let other = MacKey::derive(b"secret", "other purpose");
        let value = key.sign("hello");
        assert_eq!(key.open(&value), Some("hello"));
        assert_eq!(other.open(&value), None);
        assert_eq!(key.open(&value.replace("hello", "hellp")), None);
        assert_eq!(key.open("hello"), None);
        assert_eq!(key.open(""), None);
        assert_eq!(key.open("."), None);
    }
}
