use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::*;
use crate::auth::keys::key_id;
use crate::settings::Secret;

fn settings() -> AuthSettings {
    AuthSettings::default()
}

fn claims(now: i64) -> Claims {
    Claims {
        sub: "7".into(),
        role: "user".into(),
        jti: Uuid::new_v4(),
        sid: Uuid::new_v4(),
        generation: 0,
        iat: now,
        nbf: now,
        exp: now + 3600,
        iss: "keycard".into(),
        aud: "keycard".into(),
    }
}

fn now() -> i64 {
    Utc::now().timestamp()
}

/// Re-signs `claims` with `header` using `secret`, as an attacker would.
fn forge(header: &serde_json::Value, claims: &Claims, secret: &[u8]) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_string(claims).unwrap());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{head}.{body}.{sig}")
}

#[test]
fn an_issued_token_verifies_and_names_its_key() {
    let keys = Keys::new(&settings(), b"current-secret").unwrap();
    let c = claims(now());
    let token = keys.issue(&c).unwrap();
    assert_eq!(keys.verify(&token).unwrap(), c);
    let header = decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(
        header.kid.as_deref(),
        Some(key_id(b"current-secret").unwrap().as_str())
    );
    assert_eq!(header.typ.as_deref(), Some("JWT"));
}

#[test]
fn previous_secrets_still_verify_and_removed_ones_do_not() {
    let old = Keys::new(&settings(), b"old-secret").unwrap();
    let token = old.issue(&claims(now())).unwrap();
    let mut rotated = settings();
    rotated.jwt_previous_secrets = vec![Secret::new("old-secret")];
    assert!(
        Keys::new(&rotated, b"new-secret")
            .unwrap()
            .verify(&token)
            .is_ok()
    );
    assert_eq!(
        Keys::new(&settings(), b"new-secret")
            .unwrap()
            .verify(&token),
        Err(TokenError::UnknownKey)
    );
}

#[test]
fn forged_variants_are_all_refused() {
    let secret = b"current-secret";
    let keys = Keys::new(&settings(), secret).unwrap();
    let kid = key_id(secret).unwrap();
    let c = claims(now());
    let hs256 = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid});
    assert!(
        keys.verify(&forge(&hs256, &c, secret)).is_ok(),
        "the forger itself works"
    );

    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD
            .encode(serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_string(&c).unwrap())
    );
    assert!(keys.verify(&none).is_err(), "alg none");
    let hs512 = serde_json::json!({"alg": "HS512", "typ": "JWT", "kid": kid});
    assert_eq!(
        keys.verify(&forge(&hs512, &c, secret)),
        Err(TokenError::Algorithm)
    );
    let rs256 = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    assert_eq!(
        keys.verify(&forge(&rs256, &c, secret)),
        Err(TokenError::Algorithm)
    );
    let no_kid = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    assert_eq!(
        keys.verify(&forge(&no_kid, &c, secret)),
        Err(TokenError::UnknownKey)
    );
    let other_kid = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": "0011223344556677"});
    assert_eq!(
        keys.verify(&forge(&other_kid, &c, secret)),
        Err(TokenError::UnknownKey)
    );
    assert!(
        keys.verify(&forge(&hs256, &c, b"wrong-secret")).is_err(),
        "bad signature"
    );

    let mut wrong_iss = c.clone();
    wrong_iss.iss = "someone-else".into();
    assert!(
        keys.verify(&forge(&hs256, &wrong_iss, secret)).is_err(),
        "iss"
    );
    let mut wrong_aud = c.clone();
    wrong_aud.aud = "another-service".into();
    assert!(
        keys.verify(&forge(&hs256, &wrong_aud, secret)).is_err(),
        "aud"
    );
    let mut expired = c.clone();
    expired.exp = now() - 31;
    assert!(
        keys.verify(&forge(&hs256, &expired, secret)).is_err(),
        "expired"
    );
    let mut early = c.clone();
    early.nbf = now() + 31;
    assert!(
        keys.verify(&forge(&hs256, &early, secret)).is_err(),
        "not yet valid"
    );
    assert!(keys.verify("not.a.token").is_err());
    assert!(keys.verify("").is_err());
}

#[test]
fn a_token_issued_in_the_future_is_refused_beyond_the_leeway() {
    let secret = b"current-secret";
    let keys = Keys::new(&settings(), secret).unwrap();
    let hs256 = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": key_id(secret).unwrap()});
    let mut ahead = claims(now());
    ahead.iat = now() + 120;
    assert_eq!(
        keys.verify(&forge(&hs256, &ahead, secret)),
        Err(TokenError::IssuedInFuture),
        "iat two minutes ahead"
    );
    let mut skewed = claims(now());
    skewed.iat = now() + 10;
    assert!(
        keys.verify(&forge(&hs256, &skewed, secret)).is_ok(),
        "iat within the leeway"
    );
    let mut strict = settings();
    strict.leeway_secs = 0;
    assert!(
        Keys::new(&strict, secret)
            .unwrap()
            .verify(&forge(&hs256, &skewed, secret))
            .is_err(),
        "no leeway, no skew"
    );
}

#[test]
fn the_leeway_tolerates_small_clock_skew_only() {
    let secret = b"current-secret";
    let keys = Keys::new(&settings(), secret).unwrap();
    let hs256 = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": key_id(secret).unwrap()});
    let mut just_expired = claims(now());
    just_expired.exp = now() - 10;
    assert!(keys.verify(&forge(&hs256, &just_expired, secret)).is_ok());
    let mut strict = settings();
    strict.leeway_secs = 0;
    let strict = Keys::new(&strict, secret).unwrap();
    assert!(
        strict
            .verify(&forge(&hs256, &just_expired, secret))
            .is_err()
    );
}

/// The cost of one sign and one verify per algorithm. Run once in release:
/// `cargo test --release --lib -- --ignored --nocapture signing_and_verifying_cost`.
#[test]
#[ignore]
fn signing_and_verifying_cost() {
    for algorithm in [
        JwtAlgorithm::HS256,
        JwtAlgorithm::ES256,
        JwtAlgorithm::EdDSA,
    ] {
        let mut s = settings();
        s.jwt_algorithm = algorithm;
        if !algorithm.is_hmac() {
            s.jwt_private_key = Some(Secret::new(keys::generate(algorithm).unwrap()));
        }
        let keys = Keys::new(&s, b"current-secret-0123456789abcdef0123").unwrap();
        let c = claims(now());
        let rounds = 2000;
        let started = std::time::Instant::now();
        let mut token = String::new();
        for _ in 0..rounds {
            token = keys.issue(&c).unwrap();
        }
        let sign = started.elapsed() / rounds;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            assert!(keys.verify(&token).is_ok());
        }
        let verify = started.elapsed() / rounds;
        println!(
            "{algorithm:?}: sign {sign:?}, verify {verify:?}, token {} bytes",
            token.len()
        );
    }
}
