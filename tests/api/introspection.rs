//! `POST /introspect` (contract §7, RFC 7662): who may ask, what they learn, and that
//! it sees revocations at once.

use keycard::settings::{JwtAlgorithm, Secret};
use reqwest::Response;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, spawn_app_with, unique_username};

const CLIENT: &str = "billing";
const SECRET: &str = "billing-introspection-secret-0123456789";

async fn app(algorithm: Option<JwtAlgorithm>) -> TestApp {
    spawn_app_with(|s| {
        if let Some(algorithm) = algorithm {
            s.auth.jwt_algorithm = algorithm;
            s.auth.jwt_private_key =
                Some(Secret::new(keycard::commands::gen_key(algorithm).unwrap()));
        }
        s.introspection
            .clients
            .insert(CLIENT.into(), Secret::new(SECRET));
        s.introspection.clients.insert(
            "reports".into(),
            Secret::new("reports-introspection-secret-0123"),
        );
    })
    .await
}

/// A form-body introspection, as RFC 7662 clients send it, with no cookie.
async fn introspect_as(app: &TestApp, user: &str, password: &str, token: &str) -> Response {
    reqwest::Client::new()
        .post(app.url("/introspect"))
        .basic_auth(user, Some(password))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

async fn introspect(app: &TestApp, token: &str) -> serde_json::Value {
    let response = introspect_as(app, CLIENT, SECRET, token).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_active_token_is_described_and_goes_inactive_at_sign_out() {
    for algorithm in [None, Some(JwtAlgorithm::ES256), Some(JwtAlgorithm::EdDSA)] {
        let app = app(algorithm).await;
        let (user, token) = app.user_with_token().await;
        let body = introspect(&app, &token).await;
        let (_, claims) = crate::helpers::token_parts(&token);
        let mut members: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        assert_eq!(
            members,
            [
                "active",
                "aud",
                "exp",
                "iat",
                "iss",
                "jti",
                "role",
                "sid",
                "sub",
                "token_type",
                "username"
            ]
        );
        assert_eq!(body["active"], true);
        assert_eq!(body["sub"], user["id"].to_string());
        assert_eq!(body["username"], user["username"]);
        assert_eq!(body["role"], "user");
        assert_eq!(body["token_type"], "Bearer");
        for claim in ["sid", "jti", "iat", "exp", "iss", "aud"] {
            assert_eq!(body[claim], claims[claim], "{claim}");
        }

        // JSON bodies work too.
        let response = reqwest::Client::new()
            .post(app.url("/introspect"))
            .basic_auth(CLIENT, Some(SECRET))
            .header("Accept", "text/html")
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap()["active"],
            true
        );

        // Signed out: inactive at once (an offline verifier would wait for `exp`).
        let out = app.api(&token).post("/logout", json!({})).await;
        assert_eq!(out.status().as_u16(), 204);
        assert_eq!(introspect(&app, &token).await, json!({"active": false}));
    }
}

#[tokio::test]
async fn every_token_me_would_refuse_is_inactive_and_nothing_more() {
    let app = app(Some(JwtAlgorithm::ES256)).await;
    let (user, token) = app.user_with_token().await;
    let (_, other) = app.user_with_token().await;
    assert_eq!(introspect(&app, &other).await["active"], true);

    for junk in [
        "garbage",
        "a.b.c",
        &format!("{token}x"),
        &token.replace('.', ""),
    ] {
        assert_eq!(
            introspect(&app, junk).await,
            json!({"active": false}),
            "{junk}"
        );
    }

    app.sql(&format!(
        "UPDATE users SET disabled = true WHERE id = {}",
        user["id"]
    ))
    .await;
    assert_eq!(
        introspect(&app, &token).await,
        json!({"active": false}),
        "disabled"
    );
    assert_eq!(app.api(&token).get("/me").await.status().as_u16(), 401);
    app.sql(&format!("DELETE FROM users WHERE id = {}", user["id"]))
        .await;
    assert_eq!(
        introspect(&app, &token).await,
        json!({"active": false}),
        "deleted"
    );

    // A token whose holder's session ended everywhere (revoke-all style).
    let revoke = app.api(&other).post("/me/logout-all", json!({})).await;
    assert_eq!(revoke.status().as_u16(), 204);
    assert_eq!(introspect(&app, &other).await, json!({"active": false}));
}

#[tokio::test]
async fn only_a_configured_client_with_its_own_secret_may_ask() {
    let app = app(None).await;
    let (_, token) = app.user_with_token().await;
    let attempts = [
        introspect_as(&app, CLIENT, "wrong-secret", &token).await,
        introspect_as(&app, "nobody", SECRET, &token).await,
        introspect_as(&app, "reports", SECRET, &token).await,
        reqwest::Client::new()
            .post(app.url("/introspect"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap(),
        reqwest::Client::new()
            .post(app.url("/introspect"))
            .bearer_auth(&token)
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap(),
    ];
    for response in attempts {
        assert_eq!(
            response.headers()["www-authenticate"].to_str().unwrap(),
            "Basic realm=\"keycard\", charset=\"UTF-8\""
        );
        let body = assert_problem(response, 401).await;
        assert!(!body.to_string().contains(&token));
    }
    assert_eq!(introspect(&app, &token).await["active"], true);
    let reports = introspect_as(&app, "reports", "reports-introspection-secret-0123", &token).await;
    assert_eq!(reports.status().as_u16(), 200);

    // No token: 422 on the field; a body keycard cannot read: 415.
    let empty = introspect_as(&app, CLIENT, SECRET, "").await;
    let body = assert_problem(empty, 422).await;
    assert!(body["errors"]["token"].is_array(), "{body}");
    let xml = reqwest::Client::new()
        .post(app.url("/introspect"))
        .basic_auth(CLIENT, Some(SECRET))
        .header("Content-Type", "application/xml")
        .body("<token/>")
        .send()
        .await
        .unwrap();
    assert_problem(xml, 415).await;
    let get = reqwest::get(app.url("/introspect")).await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
}

#[tokio::test]
async fn no_cookie_counts_there_and_no_csrf_value_is_asked_for() {
    let app = app(None).await;
    let username = app.browser_user().await;
    assert_eq!(app.whoami().await.as_deref(), Some(username.as_str()));
    // A browser's session cookie is not a client credential...
    let response = app
        .request(reqwest::Method::POST, "/introspect")
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
    // ...and with a client's credentials the form needs no CSRF value.
    let response = app
        .request(reqwest::Method::POST, "/introspect")
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn wrong_client_secrets_are_limited_without_touching_sign_ins() {
    let app = spawn_app_with(|s| {
        s.auth.max_failures_per_username = 3;
        s.auth.max_failures_per_address = 5;
        s.introspection
            .clients
            .insert(CLIENT.into(), Secret::new(SECRET));
    })
    .await;
    let (_, token) = app.user_with_token().await;
    for _ in 0..3 {
        let response = introspect_as(&app, CLIENT, "guess", &token).await;
        assert_eq!(response.status().as_u16(), 401);
    }
    // The limit is reached: the right secret too gets 429 now, so a guesser never
    // learns which guess was right.
    let limited = introspect_as(&app, CLIENT, SECRET, &token).await;
    assert!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let body = assert_problem(limited, 429).await;
    assert!(
        body["detail"].as_str().unwrap().contains("introspection"),
        "{body}"
    );

    // Unknown names count against the address: 2 more, then every name is refused.
    for _ in 0..2 {
        let response = introspect_as(&app, &unique_username(), "guess", &token).await;
        assert_eq!(response.status().as_u16(), 401);
    }
    assert_eq!(
        introspect_as(&app, "someone", "guess", &token)
            .await
            .status()
            .as_u16(),
        429
    );

    // Sign-ins from the same address are not affected.
    let username = unique_username();
    app.create_user(&username).await;
    app.login_token(&username, crate::helpers::PASSWORD).await;
}
