//! Signing keys (contract §4, §7): the HMAC secrets of HS256/384/512, and the ES256
//! (P-256) and EdDSA (Ed25519) key pairs read from PEM. Each key has a public name, its
//! `kid`: for HMAC an opaque HMAC of the secret (unchanged since the first release), for
//! the asymmetric keys the RFC 7638 JWK thumbprint, so a verifier can recompute it from
//! the published key. Also the JWK each public key is published as, and `gen-key`.
//!
//! Errors are one line naming the setting, never the key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use hmac::{Hmac, Mac};
use jsonwebtoken::{DecodingKey, EncodingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::LineEnding;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::settings::JwtAlgorithm;

/// One public key as the key set (`/.well-known/jwks.json`) publishes it (RFC 7517):
/// never a private part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicJwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub key_use: &'static str,
}

/// A key that verifies: its `kid`, the key jsonwebtoken checks with, and (for the
/// asymmetric algorithms) the JWK that publishes it.
pub struct VerifyingKey {
    pub kid: String,
    pub decoding: DecodingKey,
    pub jwk: Option<PublicJwk>,
}

/// The key that signs, and its public half.
pub struct SigningKey {
    pub encoding: EncodingKey,
    pub verifying: VerifyingKey,
}

impl SigningKey {
    pub fn kid(&self) -> &str {
        &self.verifying.kid
    }
}

/// An HMAC secret: signs and verifies with itself.
pub fn hmac(secret: &[u8]) -> anyhow::Result<SigningKey> {
    Ok(SigningKey {
        encoding: EncodingKey::from_secret(secret),
        verifying: hmac_verifying(secret)?,
    })
}

pub fn hmac_verifying(secret: &[u8]) -> anyhow::Result<VerifyingKey> {
    Ok(VerifyingKey {
        kid: key_id(secret)?,
        decoding: DecodingKey::from_secret(secret),
        jwk: None,
    })
}

/// A public name for an HMAC secret: 8 bytes of HMAC-SHA256(secret, label), hex. It
/// tells keys apart without telling anything about them.
pub fn key_id(secret: &[u8]) -> anyhow::Result<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)?;
    mac.update(b"keycard key id v1");
    Ok(mac
        .finalize()
        .into_bytes()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The RFC 7638 thumbprint of a JWK given its required members: SHA-256 of the JSON
/// object of those members in lexicographic order without whitespace, base64url.
pub fn thumbprint(members: &[(&str, &str)]) -> String {
    let canonical: std::collections::BTreeMap<&str, &str> = members.iter().copied().collect();
    // A map of strings always serializes.
    let json = serde_json::to_string(&canonical).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(Sha256::digest(json.as_bytes()))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Tolerates what secret stores do to PEM text: surrounding blanks, CRLF line ends, and
/// `\n` written as two characters (a PEM never holds a backslash).
fn normalise(pem: &str) -> String {
    pem.replace("\\n", "\n")
        .replace("\r\n", "\n")
        .trim()
        .to_string()
        + "\n"
}

fn not_pem(setting: &str, pem: &str) -> Option<String> {
    (!pem.contains("-----BEGIN "))
        .then(|| format!("{setting} is not a PEM key (it should start with -----BEGIN ...-----)"))
}

fn wrong_type(setting: &str, algorithm: JwtAlgorithm, private: bool) -> String {
    let what = match (algorithm, private) {
        (JwtAlgorithm::ES256, true) => {
            "a P-256 private key in PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`)"
        }
        (JwtAlgorithm::ES256, false) => "a P-256 key in PEM (`PUBLIC KEY` or a private key)",
        (_, true) => "an Ed25519 private key in PEM (PKCS#8 `PRIVATE KEY`)",
        (_, false) => "an Ed25519 key in PEM (`PUBLIC KEY` or a private key)",
    };
    format!(
        "{setting} is not a key for {algorithm:?}: expected {what} (make one with `keycard gen-key --alg {algorithm:?}`)"
    )
}

/// The signing key for ES256 or EdDSA from `setting`'s PEM text.
pub fn private_key(
    algorithm: JwtAlgorithm,
    pem: &str,
    setting: &str,
) -> Result<SigningKey, String> {
    if let Some(error) = not_pem(setting, pem) {
        return Err(error);
    }
    let pem = normalise(pem);
    if pem.starts_with("-----BEGIN PUBLIC KEY-----") {
        return Err(format!(
            "{setting} is a public key; it needs the private key (the public one is published)"
        ));
    }
    let wrong = || wrong_type(setting, algorithm, true);
    match algorithm {
        JwtAlgorithm::ES256 => {
            let secret = p256::SecretKey::from_pkcs8_pem(&pem)
                .or_else(|_| p256::SecretKey::from_sec1_pem(&pem))
                .map_err(|_| wrong())?;
            let der = secret
                .to_pkcs8_der()
                .map_err(|_| format!("{setting} could not be re-encoded"))?;
            Ok(SigningKey {
                encoding: EncodingKey::from_ec_der(der.as_bytes()),
                verifying: es256_verifying(&secret.public_key(), setting)?,
            })
        }
        JwtAlgorithm::EdDSA => {
            let secret = ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).map_err(|_| wrong())?;
            let der = secret
                .to_pkcs8_der()
                .map_err(|_| format!("{setting} could not be re-encoded"))?;
            Ok(SigningKey {
                encoding: EncodingKey::from_ed_der(der.as_bytes()),
                verifying: ed25519_verifying(&secret.verifying_key(), setting)?,
            })
        }
        other => Err(format!(
            "{other:?} signs with auth.jwt_secret, not a PEM key"
        )),
    }
}

/// A key that still verifies, from `setting`'s PEM text: a public key, or a private one
/// (of which only the public half is kept).
pub fn public_key(
    algorithm: JwtAlgorithm,
    pem: &str,
    setting: &str,
) -> Result<VerifyingKey, String> {
    if let Some(error) = not_pem(setting, pem) {
        return Err(error);
    }
    let pem = normalise(pem);
    let wrong = || wrong_type(setting, algorithm, false);
    match algorithm {
        JwtAlgorithm::ES256 => {
            use p256::pkcs8::DecodePublicKey as _;
            let public = p256::PublicKey::from_public_key_pem(&pem)
                .or_else(|_| p256::SecretKey::from_pkcs8_pem(&pem).map(|s| s.public_key()))
                .or_else(|_| p256::SecretKey::from_sec1_pem(&pem).map(|s| s.public_key()))
                .map_err(|_| wrong())?;
            es256_verifying(&public, setting)
        }
        JwtAlgorithm::EdDSA => {
            let public = ed25519_dalek::VerifyingKey::from_public_key_pem(&pem)
                .or_else(|_| {
                    ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).map(|s| s.verifying_key())
                })
                .map_err(|_| wrong())?;
            ed25519_verifying(&public, setting)
        }
        other => Err(format!(
            "{other:?} verifies with auth.jwt_previous_secrets, not PEM keys"
        )),
    }
}

fn es256_verifying(public: &p256::PublicKey, setting: &str) -> Result<VerifyingKey, String> {
    let point = public.to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(format!("{setting} holds the point at infinity"));
    };
    let (x, y) = (b64(x), b64(y));
    let kid = thumbprint(&[("crv", "P-256"), ("kty", "EC"), ("x", &x), ("y", &y)]);
    let decoding = DecodingKey::from_ec_components(&x, &y)
        .map_err(|_| format!("{setting} could not be used to verify"))?;
    Ok(VerifyingKey {
        jwk: Some(PublicJwk {
            kty: "EC",
            crv: "P-256",
            x,
            y: Some(y),
            kid: kid.clone(),
            alg: "ES256",
            key_use: "sig",
        }),
        kid,
        decoding,
    })
}

fn ed25519_verifying(
    public: &ed25519_dalek::VerifyingKey,
    setting: &str,
) -> Result<VerifyingKey, String> {
    let x = b64(public.as_bytes());
    let kid = thumbprint(&[("crv", "Ed25519"), ("kty", "OKP"), ("x", &x)]);
    let decoding = DecodingKey::from_ed_components(&x)
        .map_err(|_| format!("{setting} could not be used to verify"))?;
    Ok(VerifyingKey {
        jwk: Some(PublicJwk {
            kty: "OKP",
            crv: "Ed25519",
            x,
            y: None,
            kid: kid.clone(),
            alg: "EdDSA",
            key_use: "sig",
        }),
        kid,
        decoding,
    })
}

/// A new private key for `algorithm` in PEM (PKCS#8), from the OS generator: what
/// `keycard gen-key` prints.
pub fn generate(algorithm: JwtAlgorithm) -> Result<String, String> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    match algorithm {
        JwtAlgorithm::ES256 => {
            // A random 32-byte string is a valid P-256 scalar unless it is 0 or at least
            // the group order (about 2^-32 of them): draw again then.
            for _ in 0..64 {
                crate::random::fill(seed.as_mut());
                if let Ok(secret) = p256::SecretKey::from_slice(seed.as_ref()) {
                    use p256::pkcs8::EncodePrivateKey as _;
                    return secret
                        .to_pkcs8_pem(LineEnding::LF)
                        .map(|pem| pem.to_string())
                        .map_err(|e| format!("cannot encode the key: {e}"));
                }
            }
            Err("the random generator gave no usable P-256 key".into())
        }
        JwtAlgorithm::EdDSA => {
            crate::random::fill(seed.as_mut());
            ed25519_dalek::SigningKey::from_bytes(&seed)
                .to_pkcs8_pem(LineEnding::LF)
                .map(|pem| pem.to_string())
                .map_err(|e| format!("cannot encode the key: {e}"))
        }
        other => Err(format!(
            "{other:?} uses a shared secret: make one with `keycard gen-secret`"
        )),
    }
}

#[cfg(test)]
mod tests;
