//! Values the server signs so that it can tell its own from a client's inventions
//! (CSRF tokens, flash messages): `data.mac`, with `mac = HMAC-SHA256(key, data)` in
//! base64url, checked in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// A keyed HMAC, set up once at start-up: signing on a request path cannot fail.
#[derive(Clone)]
pub struct MacKey(HmacSha256);

impl MacKey {
    /// A key for one purpose, derived from the JWT secret with a label, so no two
    /// purposes (nor the tokens) share a key.
    pub fn derive(secret: &[u8], label: &str) -> anyhow::Result<Self> {
        let mut root = HmacSha256::new_from_slice(secret)?;
        root.update(label.as_bytes());
        let derived = root.finalize().into_bytes();
        Ok(MacKey(HmacSha256::new_from_slice(&derived)?))
    }

    fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// `data` (which must not contain `.`) with its MAC appended.
    pub fn sign(&self, data: &str) -> String {
        let mac = URL_SAFE_NO_PAD.encode(self.mac(data.as_bytes()));
        format!("{data}.{mac}")
    }

    /// The MAC of `data` alone, base64url (for values that carry only part of what
    /// was signed).
    pub fn tag(&self, data: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(data.as_bytes()))
    }

    /// Whether `tag` is the MAC of `data`, in constant time.
    pub fn verify_tag(&self, data: &str, tag: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        bool::from(self.mac(data.as_bytes()).as_slice().ct_eq(&tag))
    }

    /// The data of a value this key signed, or `None`.
    pub fn open<'a>(&self, value: &'a str) -> Option<&'a str> {
        let (data, mac) = value.rsplit_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let expected = self.mac(data.as_bytes());
        bool::from(expected.as_slice().ct_eq(&mac)).then_some(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_open_and_tampered_ones_do_not() {
        let key = MacKey::derive(b"secret", "test").unwrap();
        let other = MacKey::derive(b"secret", "other purpose").unwrap();
        let value = key.sign("hello");
        assert_eq!(key.open(&value), Some("hello"));
        assert_eq!(other.open(&value), None);
        assert_eq!(key.open(&value.replace("hello", "hellp")), None);
        assert_eq!(key.open("hello"), None);
        assert_eq!(key.open(""), None);
        assert_eq!(key.open("."), None);
    }
}
