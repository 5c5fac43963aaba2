//! Tokens (contract §4, §7): JWTs signed with the configured algorithm: HMAC (HS256 by
//! default) or, for tokens other services verify, ES256 or EdDSA (keys in `auth::keys`).
//! The header names the key (`kid`) so that previous secrets or keys still verify after
//! a rotation; a key removed from both settings signs its holders out.
//! Verification accepts only the configured algorithm, a known `kid`, our `iss` and
//! `aud`, and an unexpired, already-valid token that was not issued in the future (each
//! within `auth.leeway_secs`).

use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::keys::{self, PublicJwk, SigningKey, VerifyingKey};
use crate::settings::{AuthSettings, JwtAlgorithm};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id, as a string.
    pub sub: String,
    pub role: String,
    pub jti: Uuid,
    /// The session this token belongs to.
    pub sid: Uuid,
    /// The session generation it was issued in (a password change moves it on).
    #[serde(rename = "gen")]
    pub generation: i32,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

impl Claims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.exp, 0)
            .single()
            .unwrap_or_else(Utc::now)
    }

    pub fn lifetime_secs(&self) -> i64 {
        self.exp - self.iat
    }
}

/// Why a token was refused. Every variant means "no token" to the caller; the variant
/// only helps tests and debug logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("algorithm not accepted")]
    Algorithm,
    #[error("unknown key id")]
    UnknownKey,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("issued in the future")]
    IssuedInFuture,
}

/// The signing key and the keys that still verify, built once at startup.
pub struct Keys {
    algorithm: Algorithm,
    current: SigningKey,
    previous: Vec<VerifyingKey>,
    validation: Validation,
}

impl Keys {
    /// HS256/384/512 sign with `secret` (`auth.jwt_secret`) and still verify with
    /// `auth.jwt_previous_secrets`; ES256 and EdDSA sign with `auth.jwt_private_key` and
    /// still verify with `auth.jwt_previous_keys`. Fails at start-up, never on a request,
    /// with one line naming the setting: a missing key, a key that is not PEM, or a key
    /// of another kind than the algorithm's.
    pub fn new(settings: &AuthSettings, secret: &[u8]) -> anyhow::Result<Keys> {
        let algorithm = match settings.jwt_algorithm {
            JwtAlgorithm::HS256 => Algorithm::HS256,
            JwtAlgorithm::HS384 => Algorithm::HS384,
            JwtAlgorithm::HS512 => Algorithm::HS512,
            JwtAlgorithm::ES256 => Algorithm::ES256,
            JwtAlgorithm::EdDSA => Algorithm::EdDSA,
        };
        let (current, previous) = if settings.jwt_algorithm.is_hmac() {
            let previous = settings
                .jwt_previous_secrets
                .iter()
                .map(|s| keys::hmac_verifying(s.expose().as_bytes()))
                .collect::<anyhow::Result<_>>()?;
            (keys::hmac(secret)?, previous)
        } else {
            let pem = settings.jwt_private_key.as_ref().ok_or_else(|| {
                anyhow::anyhow!(
                    "auth.jwt_private_key is not set; auth.jwt_algorithm = {:?} needs one",
                    settings.jwt_algorithm
                )
            })?;
            let current =
                keys::private_key(settings.jwt_algorithm, pem.expose(), "auth.jwt_private_key")
                    .map_err(anyhow::Error::msg)?;
            let previous = settings
                .jwt_previous_keys
                .iter()
                .enumerate()
                .map(|(i, pem)| {
                    let setting = format!("auth.jwt_previous_keys[{i}]");
                    keys::public_key(settings.jwt_algorithm, pem.expose(), &setting)
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(anyhow::Error::msg)?;
            (current, previous)
        };
        // A previous key that is the current one (a rotation half done) is listed once.
        let mut seen = vec![current.kid().to_string()];
        let previous = previous
            .into_iter()
            .filter(|key| {
                let fresh = !seen.contains(&key.kid);
                seen.push(key.kid.clone());
                fresh
            })
            .collect();
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.leeway = settings.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        Ok(Keys {
            algorithm,
            current,
            previous,
            validation,
        })
    }

    /// The algorithm every token is signed with, and the only one accepted.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The `kid` that signs, then those that still verify.
    pub fn key_ids(&self) -> (&str, Vec<&str>) {
        (
            self.current.kid(),
            self.previous.iter().map(|k| k.kid.as_str()).collect(),
        )
    }

    /// The public keys as a key set publishes them, current first (none for HMAC).
    pub fn public_jwks(&self) -> Vec<&PublicJwk> {
        std::iter::once(&self.current.verifying)
            .chain(&self.previous)
            .filter_map(|key| key.jwk.as_ref())
            .collect()
    }

    pub fn issue(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.current.kid().to_string());
        Ok(encode(&header, claims, &self.current.encoding)?)
    }

    /// The token's `kid` when it names one of these keys (a label metrics may use: a
    /// client can write anything in a header).
    pub fn known_kid(&self, token: &str) -> Option<&str> {
        let kid = decode_header(token).ok()?.kid?;
        std::iter::once(&self.current.verifying)
            .chain(&self.previous)
            .find(|key| key.kid == kid)
            .map(|key| key.kid.as_str())
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != self.algorithm {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = std::iter::once(&self.current.verifying)
            .chain(&self.previous)
            .find(|key| key.kid == kid)
            .ok_or(TokenError::UnknownKey)?;
        let claims = decode::<Claims>(token, &key.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        // jsonwebtoken checks `exp` and `nbf` but never `iat`. A token "issued" later
        // than now (beyond the clock-skew leeway) was not issued by a sane clock: refuse
        // it like one that is not yet valid, so a forged or mis-dated `iat` cannot push
        // sliding renewal or lifetime arithmetic into the future.
        let leeway = i64::try_from(self.validation.leeway).unwrap_or(i64::MAX);
        if claims.iat > Utc::now().timestamp().saturating_add(leeway) {
            return Err(TokenError::IssuedInFuture);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests;
