//! Forged tokens, key rotation and sliding renewal, over HTTP (contract §4).

use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, now, set_cookie_header, sign_as_keycard, sign_hs256, spawn_app,
    spawn_with_settings, test_settings, token_parts, unique_username,
};

/// Every variant of a real token with one thing changed is no token at all.
#[tokio::test]
async fn forged_tokens_are_treated_as_no_token() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    let (header, claims) = token_parts(&token);
    assert_eq!(
        app.whoami_bearer(&sign_as_keycard(&header, &claims)).await,
        user["username"].as_str().map(String::from),
        "the forger reproduces a real token"
    );

    let with = |key: &str, value: serde_json::Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    let header_with = |key: &str, value: serde_json::Value| {
        let mut h = header.clone();
        h[key] = value;
        h
    };
    let mut variants = vec![
        (
            "bad signature",
            sign_hs256(&header, &claims, b"guessed-secret"),
        ),
        (
            "another user",
            sign_hs256(&header, &with("sub", json!("999999")), b"guessed-secret"),
        ),
        (
            "wrong iss",
            sign_as_keycard(&header, &with("iss", json!("evil"))),
        ),
        (
            "wrong aud",
            sign_as_keycard(&header, &with("aud", json!("other"))),
        ),
        (
            "expired",
            sign_as_keycard(&header, &with("exp", json!(now() - 120))),
        ),
        (
            "not yet valid",
            sign_as_keycard(&header, &with("nbf", json!(now() + 120))),
        ),
        (
            "unknown kid",
            sign_as_keycard(&header_with("kid", json!("00112233aabbccdd")), &claims),
        ),
        (
            "no kid",
            sign_as_keycard(
                &{
                    let mut h = header.clone();
                    h.as_object_mut().unwrap().remove("kid");
                    h
                },
                &claims,
            ),
        ),
        (
            "alg HS512 label",
            sign_as_keycard(&header_with("alg", json!("HS512")), &claims),
        ),
        // HS256 "signed" with what would be a public key, labelled RS256: the classic confusion.
        (
            "alg RS256",
            sign_hs256(
                &header_with("alg", json!("RS256")),
                &claims,
                b"-----BEGIN PUBLIC KEY-----",
            ),
        ),
        (
            "unknown session",
            sign_as_keycard(&header, &with("sid", json!(uuid::Uuid::new_v4()))),
        ),
        (
            "old generation",
            sign_as_keycard(&header, &with("gen", json!(7))),
        ),
        ("garbage", "not.a.jwt".to_string()),
        ("empty", String::new()),
    ];
    let parts: Vec<&str> = token.split('.').collect();
    use base64::Engine;
    let none_header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(header_with("alg", json!("none")).to_string());
    variants.push(("alg none", format!("{none_header}.{}.", parts[1])));
    variants.push(("signature stripped", format!("{}.{}.", parts[0], parts[1])));

    for (name, forged) in variants {
        assert_eq!(
            app.whoami_bearer(&forged).await,
            None,
            "{name} was accepted"
        );
        // As a cookie: no 500, the request goes on anonymously, and the cookie is cleared.
        let browser = app.another_browser();
        if !forged.is_empty() {
            browser.set_cookie("access_token", &forged);
            let response = browser.get_json("/").await;
            assert_eq!(response.status().as_u16(), 200, "{name}");
            let cleared = set_cookie_header(&response, "access_token").unwrap_or_default();
            assert!(
                cleared.contains("Max-Age=0"),
                "{name}: cookie not cleared: {cleared}"
            );
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(body["user"].is_null(), "{name}");
        }
    }
}

#[tokio::test]
async fn a_bearer_token_works_where_the_cookie_does_and_needs_no_csrf() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let response = reqwest::Client::new()
        .post(app.url("/refresh"))
        .header("Accept", "application/json")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

async fn app_with_secrets(database_url: &str, current: &str, previous: &[&str]) -> TestApp {
    let mut settings = test_settings(database_url);
    settings.auth.jwt_secret = Some(keycard::settings::Secret::new(current));
    settings.auth.jwt_previous_secrets = previous
        .iter()
        .map(|s| keycard::settings::Secret::new(*s))
        .collect();
    let settings = keycard::settings::finalize(settings).unwrap().0;
    spawn_with_settings(settings).await
}

#[tokio::test]
async fn rotating_the_secret_keeps_old_tokens_until_the_old_secret_is_dropped() {
    if crate::helpers::test_signing_key().is_some() {
        // HS256-only: with ES256/EdDSA the secret signs nothing (tests/api/keys.rs
        // rotates keys instead).
        return;
    }
    let database_url = crate::helpers::fresh_database().await;
    let old_key = "old-signing-key-0123456789abcdef0123456789";
    let new_key = "new-signing-key-0123456789abcdef0123456789";
    let before = app_with_secrets(&database_url, old_key, &[]).await;
    let username = unique_username();
    before.create_user(&username).await;
    let old_token = before.login_token(&username, PASSWORD).await;

    let rotated = app_with_secrets(&database_url, new_key, &[old_key]).await;
    assert_eq!(
        rotated.whoami_bearer(&old_token).await.as_deref(),
        Some(username.as_str())
    );
    let new_token = rotated.login_token(&username, PASSWORD).await;
    assert_ne!(
        token_parts(&new_token).0["kid"],
        token_parts(&old_token).0["kid"]
    );

    let after = app_with_secrets(&database_url, new_key, &[]).await;
    assert_eq!(
        after.whoami_bearer(&old_token).await,
        None,
        "a dropped secret signs its holders out"
    );
    assert_eq!(
        after.whoami_bearer(&new_token).await.as_deref(),
        Some(username.as_str())
    );
}

/// A real token made older by re-signing it with the test secret (the test knows it).
fn aged(token: &str, issued_secs_ago: i64, expires_in: i64) -> String {
    let (header, mut claims) = token_parts(token);
    claims["iat"] = json!(now() - issued_secs_ago);
    claims["nbf"] = json!(now() - issued_secs_ago);
    claims["exp"] = json!(now() + expires_in);
    sign_as_keycard(&header, &claims)
}

#[tokio::test]
async fn a_cookie_token_past_half_its_life_is_renewed_and_the_old_one_keeps_working() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;

    let young = aged(&token, 100, 3500);
    let browser = app.another_browser();
    browser.set_cookie("access_token", &young);
    let response = browser.get_json("/").await;
    assert!(
        set_cookie_header(&response, "access_token").is_none(),
        "a young token is kept"
    );

    let old = aged(&token, 2000, 1600);
    let browser = app.another_browser();
    browser.set_cookie("access_token", &old);
    let response = browser.get_json("/").await;
    let renewed = set_cookie_header(&response, "access_token").expect("renewed");
    let fresh = renewed
        .trim_start_matches("access_token=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (_, fresh_claims) = token_parts(&fresh);
    assert_eq!(
        fresh_claims["sid"],
        token_parts(&token).1["sid"],
        "same session"
    );
    assert!(fresh_claims["exp"].as_i64().unwrap() > now() + 3500);
    assert_eq!(
        app.whoami_bearer(&old).await,
        user["username"].as_str().map(String::from),
        "the replaced token still works"
    );
    assert_eq!(
        app.whoami_bearer(&fresh).await,
        user["username"].as_str().map(String::from)
    );

    // Bearer tokens are never renewed on the response.
    let response = reqwest::Client::new()
        .get(app.url("/"))
        .header("Accept", "application/json")
        .bearer_auth(&old)
        .send()
        .await
        .unwrap();
    assert!(set_cookie_header(&response, "access_token").is_none());
}

#[tokio::test]
async fn renewal_stops_at_the_absolute_session_length() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let sid = token_parts(&token).1["sid"].as_str().unwrap().to_string();
    let max = app.settings.auth.session_max_secs as i64;
    // The session started max - 600 seconds ago: a renewal may last 600 more seconds at most.
    app.sql(&format!(
        "UPDATE sessions SET created_at = now() - interval '{} seconds' WHERE id = '{sid}'",
        max - 600
    ))
    .await;
    let browser = app.another_browser();
    browser.set_cookie("access_token", &aged(&token, 2000, 500));
    let renewed = set_cookie_header(&browser.get_json("/").await, "access_token").expect("renewed");
    let fresh = renewed
        .trim_start_matches("access_token=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let exp = token_parts(&fresh).1["exp"].as_i64().unwrap();
    assert!(
        (now() + 590..=now() + 601).contains(&exp),
        "capped at the session's end: {}",
        exp - now()
    );

    // Past the absolute length, the session's tokens stop working altogether.
    app.sql(&format!(
        "UPDATE sessions SET created_at = now() - interval '{} seconds' WHERE id = '{sid}'",
        max + 1
    ))
    .await;
    assert_eq!(app.whoami_bearer(&token).await, None);
}

/// Contract §4: a token "issued in the future" (beyond `auth.leeway_secs`) is refused
/// like one that is not yet valid, even though it is well signed and its `nbf` is fine.
#[tokio::test]
async fn a_token_issued_in_the_future_is_treated_as_no_token() {
    // Arrange: a real token re-signed with an `iat` ten minutes ahead.
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let (header, mut claims) = token_parts(&token);
    claims["iat"] = json!(now() + 600);
    let ahead = sign_as_keycard(&header, &claims);
    claims["iat"] = json!(now() + 5);
    let skewed = sign_as_keycard(&header, &claims);

    // Act
    let refused = app.api(&ahead).get("/me").await;
    let tolerated = app.api(&skewed).get("/me").await;

    // Assert
    assert_eq!(
        refused.headers()["www-authenticate"].to_str().unwrap(),
        "Bearer"
    );
    crate::helpers::assert_problem(refused, 401).await;
    assert_eq!(tolerated.status().as_u16(), 200, "within the leeway");
}
