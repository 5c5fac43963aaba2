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
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_of_rfc_7638s_example_key_is_the_one_it_gives() {
        // RFC 7638 §3.1: an RSA key; the members are the required ones, {e, kty, n}.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let members = [("kty", "RSA"), ("n", n), ("e", "AQAB")];
        assert_eq!(
            thumbprint(&members),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    fn jsonwebtoken_thumbprint(jwk: &PublicJwk) -> String {
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(jwk).unwrap()).unwrap();
        jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap()
    }

    #[test]
    fn generated_keys_parse_and_their_kid_is_their_thumbprint() {
        for algorithm in [JwtAlgorithm::ES256, JwtAlgorithm::EdDSA] {
            let pem = generate(algorithm).unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
            let key = private_key(algorithm, &pem, "auth.jwt_private_key").unwrap();
            let jwk = key.verifying.jwk.clone().unwrap();
            assert_eq!(key.kid(), jwk.kid);
            assert_eq!(jsonwebtoken_thumbprint(&jwk), jwk.kid, "{algorithm:?}");
            assert_eq!(key.kid().len(), 43);
            // The same key as a "previous" one (private PEM) has the same kid.
            let previous = public_key(algorithm, &pem, "auth.jwt_previous_keys").unwrap();
            assert_eq!(previous.kid, key.kid());
            assert_ne!(generate(algorithm).unwrap(), pem, "fresh every time");
        }
    }

    /// A fresh key's published JWK, and its member names in order.
    fn published(algorithm: JwtAlgorithm) -> (serde_json::Value, Vec<String>) {
        let key = private_key(algorithm, &generate(algorithm).unwrap(), "k").unwrap();
        let value = serde_json::to_value(key.verifying.jwk.unwrap()).unwrap();
        let mut names: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        names.sort_unstable();
        (value, names)
    }

    #[test]
    fn the_published_jwk_has_no_private_part_and_the_contract_members() {
        let (value, names) = published(JwtAlgorithm::ES256);
        assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
        assert_eq!(value["kty"], "EC");
        assert_eq!(value["crv"], "P-256");
        assert_eq!(value["alg"], "ES256");
        assert_eq!(value["use"], "sig");
        let (value, names) = published(JwtAlgorithm::EdDSA);
        assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x"]);
        assert_eq!(value["kty"], "OKP");
        assert_eq!(value["crv"], "Ed25519");
        assert_eq!(value["alg"], "EdDSA");
    }

    // openssl ecparam -name prime256v1 -genkey -noout (SEC1) and its public key.
    const SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIMsJNlkSBrK7n9TyhtVDL/13a6wv/Sv9XDIJ5WpQl+vYoAoGCCqGSM49
AwEHoUQDQgAEsFQELjAr4MsnMRPpNRlj3+VILtrUv+0E7n1+oiCfB4KqFtzwmSHV
kTH3khrkZ8OPTga7pZLRkvbf3vfFv1wO+g==
-----END EC PRIVATE KEY-----";
    const SEC1_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsFQELjAr4MsnMRPpNRlj3+VILtrU
v+0E7n1+oiCfB4KqFtzwmSHVkTH3khrkZ8OPTga7pZLRkvbf3vfFv1wO+g==
-----END PUBLIC KEY-----";

    #[test]
    fn sec1_private_and_spki_public_pems_are_the_same_key() {
        let private = private_key(JwtAlgorithm::ES256, SEC1, "auth.jwt_private_key").unwrap();
        let public =
            public_key(JwtAlgorithm::ES256, SEC1_PUBLIC, "auth.jwt_previous_keys").unwrap();
        assert_eq!(private.kid(), public.kid);
        // As a secret store may hand it over: CRLF, escaped newlines, blanks around.
        let mangled = format!("  {}\r\n", SEC1.replace('\n', "\\n"));
        let again = private_key(JwtAlgorithm::ES256, &mangled, "auth.jwt_private_key").unwrap();
        assert_eq!(again.kid(), public.kid);
        let crlf = SEC1_PUBLIC.replace('\n', "\r\n");
        assert_eq!(
            public_key(JwtAlgorithm::ES256, &crlf, "x").unwrap().kid,
            public.kid
        );
    }

    #[test]
    fn a_key_of_the_wrong_kind_is_one_line_naming_the_setting_and_not_the_key() {
        let ed = generate(JwtAlgorithm::EdDSA).unwrap();
        let es = generate(JwtAlgorithm::ES256).unwrap();
        let cases = [
            private_key(JwtAlgorithm::ES256, &ed, "auth.jwt_private_key").err(),
            private_key(JwtAlgorithm::EdDSA, &es, "auth.jwt_private_key").err(),
            private_key(JwtAlgorithm::ES256, SEC1_PUBLIC, "auth.jwt_private_key").err(),
            private_key(JwtAlgorithm::ES256, "hunter2", "auth.jwt_private_key").err(),
            private_key(
                JwtAlgorithm::ES256,
                "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----",
                "auth.jwt_private_key",
            )
            .err(),
            public_key(
                JwtAlgorithm::EdDSA,
                SEC1_PUBLIC,
                "auth.jwt_previous_keys[0]",
            )
            .err(),
            public_key(JwtAlgorithm::ES256, &ed, "auth.jwt_previous_keys[0]").err(),
        ];
        for error in cases {
            let error = error.expect("refused");
            assert!(error.starts_with("auth.jwt_"), "{error}");
            assert!(!error.contains('\n'), "{error}");
            assert!(
                !error.contains("MHcCAQEEIMsJ") && !error.contains("hunter2"),
                "{error}"
            );
        }
    }

    #[test]
    fn hmac_key_ids_are_unchanged() {
        // The kid HS256 tokens have carried since the first release.
        assert_eq!(key_id(b"current-secret").unwrap().len(), 16);
        assert_eq!(
            hmac(b"current-secret").unwrap().kid(),
            key_id(b"current-secret").unwrap()
        );
    }
}
