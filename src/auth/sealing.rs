//! Secrets at rest (contract §8): TOTP secrets are sealed with XChaCha20-Poly1305 under
//! a key derived from `auth.encryption_key`, bound to their user's id (a value copied to
//! another row does not open), with a random 192-bit nonce per value.
//!
//! A sealed value is `1 ‖ key id (4 bytes) ‖ nonce (24) ‖ ciphertext and tag`. The key
//! id says which key sealed it, so `auth.previous_encryption_keys` can still open
//! values during a rotation; `keycard reseal` (or the next accepted code) moves them to
//! the current key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::settings::Secret;

const VERSION: u8 = 1;
const KEY_ID_BYTES: usize = 4;
const NONCE_BYTES: usize = 24;
const HEADER_BYTES: usize = 1 + KEY_ID_BYTES + NONCE_BYTES;
/// The shortest `auth.encryption_key` accepted, in bytes (what `gen-secret` prints is 43).
pub const MIN_KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("auth.encryption_key is not set, so secrets cannot be stored")]
    NoKey,
    #[error("a stored secret was sealed with a key that is no longer configured")]
    UnknownKey,
    #[error("a stored secret does not open with its key (altered, or moved to another row)")]
    Corrupt,
}

struct SealKey {
    id: [u8; KEY_ID_BYTES],
    cipher: XChaCha20Poly1305,
}

impl SealKey {
    fn derive(secret: &Secret) -> anyhow::Result<SealKey> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())?;
        mac.update(b"keycard: sealing stored secrets, v1");
        let key = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        let mut id_mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_slice())?;
        id_mac.update(b"key id");
        let digest = id_mac.finalize().into_bytes();
        let mut id = [0u8; KEY_ID_BYTES];
        id.copy_from_slice(&digest[..KEY_ID_BYTES]);
        Ok(SealKey {
            id,
            cipher: XChaCha20Poly1305::new(key.as_slice().into()),
        })
    }
}

/// The keys that seal and open stored secrets, built once at start-up.
pub struct SecretBox {
    current: Option<SealKey>,
    previous: Vec<SealKey>,
}

/// A value opened, and whether it should be sealed again with the current key.
pub struct Opened {
    pub plain: Zeroizing<Vec<u8>>,
    pub stale: bool,
}

fn aad(user_id: i64) -> Vec<u8> {
    let mut aad = b"keycard totp secret of user ".to_vec();
    aad.extend_from_slice(&user_id.to_be_bytes());
    aad
}

impl SecretBox {
    /// Keys shorter than `MIN_KEY_BYTES` are refused (the error names the setting,
    /// never the value).
    pub fn new(current: Option<&Secret>, previous: &[Secret]) -> anyhow::Result<SecretBox> {
        for (name, key) in current
            .map(|k| ("auth.encryption_key", k))
            .into_iter()
            .chain(
                previous
                    .iter()
                    .map(|k| ("auth.previous_encryption_keys", k)),
            )
        {
            if key.expose().len() < MIN_KEY_BYTES {
                anyhow::bail!(
                    "{name} is shorter than {MIN_KEY_BYTES} bytes (run `keycard gen-secret`)"
                );
            }
        }
        Ok(SecretBox {
            current: current.map(SealKey::derive).transpose()?,
            previous: previous
                .iter()
                .map(SealKey::derive)
                .collect::<anyhow::Result<_>>()?,
        })
    }

    pub fn can_seal(&self) -> bool {
        self.current.is_some()
    }

    pub fn seal(&self, user_id: i64, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = self.current.as_ref().ok_or(SealError::NoKey)?;
        let mut nonce = [0u8; NONCE_BYTES];
        crate::random::fill(&mut nonce);
        let aad = aad(user_id);
        let sealed = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        let mut out = Vec::with_capacity(HEADER_BYTES + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, user_id: i64, sealed: &[u8]) -> Result<Opened, SealError> {
        if sealed.len() < HEADER_BYTES || sealed[0] != VERSION {
            return Err(SealError::Corrupt);
        }
        let (id, rest) = sealed[1..].split_at(KEY_ID_BYTES);
        let (nonce, body) = rest.split_at(NONCE_BYTES);
        let current = self.current.as_ref().filter(|k| k.id == id);
        let key = current
            .or_else(|| self.previous.iter().find(|k| k.id == id))
            .ok_or(SealError::UnknownKey)?;
        let aad = aad(user_id);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        Ok(Opened {
            plain: Zeroizing::new(plain),
            stale: current.is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Secret {
        Secret::new(format!("{text}-0123456789abcdef0123456789abcdef"))
    }

    #[test]
    fn a_sealed_value_opens_for_its_user_only() {
        let keys = SecretBox::new(Some(&key("a")), &[]).unwrap();
        let sealed = keys.seal(7, b"secret bytes").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"secret bytes"));
        let opened = keys.open(7, &sealed).unwrap();
        assert_eq!(opened.plain.as_slice(), b"secret bytes");
        assert!(!opened.stale);
        assert_eq!(keys.open(8, &sealed).err(), Some(SealError::Corrupt));
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(keys.open(7, &altered).err(), Some(SealError::Corrupt));
        assert_eq!(keys.open(7, &sealed[..10]).err(), Some(SealError::Corrupt));
        // Two seals of one value differ (fresh nonces).
        assert_ne!(keys.seal(7, b"secret bytes").unwrap(), sealed);
    }

    #[test]
    fn a_previous_key_still_opens_and_says_the_value_is_stale() {
        let old = SecretBox::new(Some(&key("old")), &[]).unwrap();
        let sealed = old.seal(1, b"x").unwrap();
        let rotated = SecretBox::new(Some(&key("new")), &[key("old")]).unwrap();
        let opened = rotated.open(1, &sealed).unwrap();
        assert!(opened.stale);
        let forgotten = SecretBox::new(Some(&key("new")), &[]).unwrap();
        assert_eq!(
            forgotten.open(1, &sealed).err(),
            Some(SealError::UnknownKey)
        );
    }

    #[test]
    fn short_keys_are_refused_without_showing_them_and_no_key_cannot_seal() {
        let short = Secret::new("too-short-a-key");
        let err = SecretBox::new(Some(&short), &[]).err().unwrap().to_string();
        assert!(err.contains("auth.encryption_key") && !err.contains("too-short"));
        let none = SecretBox::new(None, &[]).unwrap();
        assert!(!none.can_seal());
        assert_eq!(none.seal(1, b"x").err(), Some(SealError::NoKey));
    }
}
