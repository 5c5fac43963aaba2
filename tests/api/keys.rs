//! Tokens other services verify (contract §7): ES256 and EdDSA signing, the published
//! key set, previous keys, algorithm confusion, start-up refusals and `gen-key`.

use std::process::Command;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use keycard::settings::{JwtAlgorithm, Secret};
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, fresh_database, now, sign_hs256, spawn_app_with, spawn_with_settings,
    test_settings, token_parts, unique_username,
};

const ASYMMETRIC: [JwtAlgorithm; 2] = [JwtAlgorithm::ES256, JwtAlgorithm::EdDSA];

fn new_key(algorithm: JwtAlgorithm) -> String {
    keycard::commands::gen_key(algorithm).unwrap()
}

fn jwt_algorithm(algorithm: JwtAlgorithm) -> Algorithm {
    match algorithm {
        JwtAlgorithm::ES256 => Algorithm::ES256,
        JwtAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => Algorithm::HS256,
    }
}

/// The public half of a private PEM, as a `PUBLIC KEY` PEM.
fn public_pem(algorithm: JwtAlgorithm, private: &str) -> String {
    use p256::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
    match algorithm {
        JwtAlgorithm::ES256 => p256::SecretKey::from_pkcs8_pem(private)
            .unwrap()
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
        _ => ed25519_dalek::SigningKey::from_pkcs8_pem(private)
            .unwrap()
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    }
}

async fn app_with_keys(
    database_url: &str,
    algorithm: JwtAlgorithm,
    current: &str,
    previous: &[&str],
) -> TestApp {
    let mut settings = test_settings(database_url);
    settings.auth.jwt_algorithm = algorithm;
    settings.auth.jwt_private_key = Some(Secret::new(current));
    settings.auth.jwt_previous_keys = previous.iter().map(|k| Secret::new(*k)).collect();
    spawn_with_settings(settings).await
}

async fn key_set(app: &TestApp) -> serde_json::Value {
    let response = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

fn validation(app: &TestApp, algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[&app.settings.auth.issuer]);
    validation.set_audience(&[&app.settings.auth.audience]);
    validation
}

#[tokio::test]
async fn a_token_verifies_with_the_published_key_its_kid_names() {
    for algorithm in ASYMMETRIC {
        let app = app_with_keys(&fresh_database().await, algorithm, &new_key(algorithm), &[]).await;
        let (user, token) = app.user_with_token().await;
        let (header, _) = token_parts(&token);
        assert_eq!(header["alg"], format!("{algorithm:?}"));
        assert_eq!(header["typ"], "JWT");
        let kid = header["kid"].as_str().unwrap();

        let set: JwkSet = serde_json::from_value(key_set(&app).await).unwrap();
        let jwk = set.find(kid).expect("the key set holds the token's kid");
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &key,
            &validation(&app, jwt_algorithm(algorithm)),
        )
        .expect("verifies with the published key");
        assert_eq!(data.claims["sub"], user["id"].to_string());
        // And keycard itself still takes it.
        assert!(app.whoami_bearer(&token).await.is_some());
    }
}

#[tokio::test]
async fn the_key_set_is_public_cacheable_json_with_only_public_members() {
    for algorithm in ASYMMETRIC {
        let private = new_key(algorithm);
        let old = new_key(algorithm);
        let app = app_with_keys(&fresh_database().await, algorithm, &private, &[&old]).await;
        for accept in [
            None,
            Some("text/html"),
            Some("text/csv"),
            Some("application/json"),
        ] {
            let mut request = reqwest::Client::new().get(app.url("/.well-known/jwks.json"));
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{accept:?}");
            assert_eq!(response.headers()["content-type"], "application/json");
            assert_eq!(
                response.headers()["cache-control"],
                "public, max-age=300",
                "{accept:?}"
            );
            let body: serde_json::Value = response.json().await.unwrap();
            let keys = body["keys"].as_array().unwrap();
            assert_eq!(keys.len(), 2);
            for key in keys {
                let mut members: Vec<&str> = key
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                members.sort_unstable();
                let expected: &[&str] = match algorithm {
                    JwtAlgorithm::ES256 => &["alg", "crv", "kid", "kty", "use", "x", "y"],
                    _ => &["alg", "crv", "kid", "kty", "use", "x"],
                };
                assert_eq!(members, expected, "never `d` or anything private");
                assert_eq!(key["use"], "sig");
                assert_eq!(key["alg"], format!("{algorithm:?}"));
            }
        }
        let text = reqwest::get(app.url("/.well-known/jwks.json"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("\"d\""), "{text}");
        let head = reqwest::Client::new()
            .head(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn with_hs256_the_key_set_is_empty_and_a_wrong_method_is_a_json_405() {
    let app = spawn_app_with(|s| s.auth.jwt_algorithm = JwtAlgorithm::HS256).await;
    let response = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"keys": []})
    );
    let post = reqwest::Client::new()
        .post(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);
    assert_eq!(post.headers()["content-type"], "application/problem+json");
    assert_eq!(post.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn previous_keys_verify_and_are_published_after_the_current_one_until_dropped() {
    for algorithm in ASYMMETRIC {
        let database_url = fresh_database().await;
        let (old, new) = (new_key(algorithm), new_key(algorithm));
        let before = app_with_keys(&database_url, algorithm, &old, &[]).await;
        let username = unique_username();
        before.create_user(&username).await;
        let old_token = before.login_token(&username, PASSWORD).await;
        let old_kid = token_parts(&old_token).0["kid"].clone();

        // The old key as a public PEM this time (private works as well: the first test).
        let rotated = app_with_keys(
            &database_url,
            algorithm,
            &new,
            &[&public_pem(algorithm, &old)],
        )
        .await;
        assert_eq!(
            rotated.whoami_bearer(&old_token).await.as_deref(),
            Some(username.as_str())
        );
        let new_token = rotated.login_token(&username, PASSWORD).await;
        let new_kid = token_parts(&new_token).0["kid"].clone();
        assert_ne!(new_kid, old_kid);
        let kids: Vec<serde_json::Value> = key_set(&rotated).await["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].clone())
            .collect();
        assert_eq!(kids, [new_kid, old_kid], "current first");

        let after = app_with_keys(&database_url, algorithm, &new, &[]).await;
        assert_eq!(after.whoami_bearer(&old_token).await, None, "dropped key");
        assert!(after.whoami_bearer(&new_token).await.is_some());
    }
}

#[tokio::test]
async fn tokens_of_another_algorithm_are_no_token_whatever_their_key() {
    let es_key = new_key(JwtAlgorithm::ES256);
    let app = app_with_keys(&fresh_database().await, JwtAlgorithm::ES256, &es_key, &[]).await;
    let (_, token) = app.user_with_token().await;
    let (header, claims) = token_parts(&token);
    let kid = header["kid"].clone();
    let jwk = key_set(&app).await["keys"][0].clone();
    let public = public_pem(JwtAlgorithm::ES256, &es_key);

    // HS256 keyed with what a verifier can read: the PEM, the x coordinate, the JWK.
    let hs256 = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
    for secret in [
        public.as_bytes().to_vec(),
        jwk["x"].as_str().unwrap().as_bytes().to_vec(),
        jwk.to_string().into_bytes(),
    ] {
        let forged = sign_hs256(&hs256, &claims, &secret);
        assert_eq!(app.whoami_bearer(&forged).await, None, "HS256 confusion");
    }

    // A well-signed EdDSA token with ES256 configured, and the reverse.
    let ed_key = new_key(JwtAlgorithm::EdDSA);
    let eddsa = {
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = kid.as_str().map(String::from);
        jsonwebtoken::encode(
            &header,
            &claims,
            &encoding_key(JwtAlgorithm::EdDSA, &ed_key),
        )
        .unwrap()
    };
    assert_eq!(
        app.whoami_bearer(&eddsa).await,
        None,
        "EdDSA on an ES256 site"
    );
    let ed_app = app_with_keys(&app.database_url, JwtAlgorithm::EdDSA, &ed_key, &[]).await;
    assert_eq!(
        ed_app.whoami_bearer(&token).await,
        None,
        "ES256 on an EdDSA site"
    );

    // Signed by another P-256 key under the real kid: a bad signature.
    let other = {
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = kid.as_str().map(String::from);
        let key = encoding_key(JwtAlgorithm::ES256, &new_key(JwtAlgorithm::ES256));
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    assert_eq!(app.whoami_bearer(&other).await, None, "another key");

    // `none`, and the real signature under a changed claim.
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    let none = json!({"alg": "none", "typ": "JWT", "kid": kid});
    let unsigned = format!("{}.{}.", engine.encode(none.to_string()), parts[1]);
    assert_eq!(app.whoami_bearer(&unsigned).await, None, "alg none");
    let mut changed = claims.clone();
    changed["exp"] = json!(now() + 86_400);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        engine.encode(changed.to_string()),
        parts[2]
    );
    assert_eq!(app.whoami_bearer(&tampered).await, None, "tampered claims");
    assert!(
        app.whoami_bearer(&token).await.is_some(),
        "the real one works"
    );
}

fn encoding_key(algorithm: JwtAlgorithm, pem: &str) -> jsonwebtoken::EncodingKey {
    use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    match algorithm {
        JwtAlgorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_der(
            p256::SecretKey::from_pkcs8_pem(pem)
                .unwrap()
                .to_pkcs8_der()
                .unwrap()
                .as_bytes(),
        ),
        _ => jsonwebtoken::EncodingKey::from_ed_der(
            ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
                .unwrap()
                .to_pkcs8_der()
                .unwrap()
                .as_bytes(),
        ),
    }
}

#[tokio::test]
async fn keycard_will_not_start_without_a_key_of_the_right_kind() {
    let database_url = fresh_database().await;
    let es = new_key(JwtAlgorithm::ES256);
    let cases: [(JwtAlgorithm, Option<String>, &[String], &str); 5] = [
        (JwtAlgorithm::ES256, None, &[], "auth.jwt_private_key"),
        (
            JwtAlgorithm::ES256,
            Some(new_key(JwtAlgorithm::EdDSA)),
            &[],
            "auth.jwt_private_key",
        ),
        (
            JwtAlgorithm::EdDSA,
            Some(es.clone()),
            &[],
            "auth.jwt_private_key",
        ),
        (
            JwtAlgorithm::ES256,
            Some("not a pem".into()),
            &[],
            "auth.jwt_private_key",
        ),
        (
            JwtAlgorithm::ES256,
            Some(es.clone()),
            &[String::new()],
            "auth.jwt_previous_keys[0]",
        ),
    ];
    for (algorithm, key, previous, setting) in cases {
        let mut settings = test_settings(&database_url);
        settings.auth.jwt_algorithm = algorithm;
        settings.auth.jwt_private_key = key.map(Secret::new);
        settings.auth.jwt_previous_keys = previous.iter().map(Secret::new).collect();
        let error = match keycard::startup::Application::build(settings) {
            Ok(_) => panic!("{setting}: started"),
            Err(error) => format!("{error:#}"),
        };
        assert!(error.starts_with(setting), "{error}");
        assert!(!error.contains("MIG"), "no key material: {error}");
    }
}

fn keycard(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keycard"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KEYCARD_ENV", "test")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[test]
fn gen_key_prints_a_pkcs8_pem_and_nothing_else() {
    for alg in ["ES256", "EdDSA", "es256", "eddsa"] {
        let output = keycard(&["gen-key", "--alg", alg], &[]);
        assert!(output.status.success(), "{output:?}");
        assert!(output.stderr.is_empty(), "{output:?}");
        let pem = String::from_utf8(output.stdout).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{pem}");
        assert_eq!(pem.matches("-----BEGIN").count(), 1);
    }
    assert!(
        !keycard(&["gen-key", "--alg", "HS256"], &[])
            .status
            .success()
    );
    assert!(!keycard(&["gen-key"], &[]).status.success());
}

#[test]
fn check_config_shows_the_algorithm_and_kids_but_no_key_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let (current, old) = (new_key(JwtAlgorithm::ES256), new_key(JwtAlgorithm::ES256));
    let path = dir.path().join("key.pem");
    std::fs::write(&path, &current).unwrap();
    let output = keycard(
        &["check-config"],
        &[
            ("KEYCARD__AUTH__JWT_ALGORITHM", "ES256"),
            (
                "KEYCARD__AUTH__JWT_PRIVATE_KEY_FILE",
                path.to_str().unwrap(),
            ),
            ("KEYCARD__AUTH__JWT_PREVIOUS_KEYS", &old),
            (
                "KEYCARD__INTROSPECTION__CLIENTS__BILLING",
                "billing-client-secret",
            ),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("jwt_private_key = [redacted]"), "{text}");
    assert!(
        text.contains("jwt_previous_keys = [redacted] (1 set)"),
        "{text}"
    );
    assert!(text.contains("# algorithm = \"ES256\""), "{text}");
    assert!(text.contains("\"billing\" = [redacted]"), "{text}");
    let body = |pem: &str| pem.lines().nth(1).unwrap().to_string();
    for hidden in [body(&current), body(&old), "billing-client-secret".into()] {
        assert!(!text.contains(&hidden), "leaked: {text}");
    }
    let kid_line = text
        .lines()
        .find(|l| l.starts_with("# signing kid"))
        .unwrap();
    assert_eq!(
        kid_line.len(),
        "# signing kid = \"\"".len() + 43,
        "{kid_line}"
    );
    assert!(text.contains("# previous kids = [\""), "{text}");

    let wrong = keycard(
        &["check-config"],
        &[
            ("KEYCARD__AUTH__JWT_ALGORITHM", "EdDSA"),
            ("KEYCARD__AUTH__JWT_PRIVATE_KEY", &current),
        ],
    );
    assert!(!wrong.status.success());
    let stderr = String::from_utf8(wrong.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: auth.jwt_private_key"),
        "{stderr}"
    );
    assert!(!stderr.contains(&body(&current)), "{stderr}");
    let missing = keycard(
        &["check-config"],
        &[
            ("KEYCARD__AUTH__JWT_ALGORITHM", "ES256"),
            (
                "KEYCARD__AUTH__JWT_PRIVATE_KEY_FILE",
                "/nonexistent/key.pem",
            ),
        ],
    );
    assert!(!missing.status.success());
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert!(
        stderr.contains("KEYCARD__AUTH__JWT_PRIVATE_KEY_FILE"),
        "{stderr}"
    );
}
