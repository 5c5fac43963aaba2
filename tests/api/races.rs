//! Issue 11: races and edge cases a security review found in sign-in, tokens, CSRF and
//! the probes. Each test fails on the code before the fix.

use serde_json::json;

use crate::helpers::{
    BROWSER_ACCEPT, PASSWORD, TestApp, assert_problem, now, sign_as_keycard, spawn_app,
    spawn_app_with, spawn_with_settings, test_settings, token_parts, unique_username,
};

async fn sign_in(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json_anonymously(
        "/login",
        &json!({"username": username, "password": password}),
    )
    .await
}

#[tokio::test]
async fn sign_ins_racing_a_password_change_get_nothing_that_works_afterwards() {
    // A higher cost widens the window between the password check and the session.
    let app = spawn_app_with(|s| {
        s.auth.bcrypt_cost = 8;
        s.auth.max_failures_per_username = 50;
        s.auth.max_failures_per_address = 100;
    })
    .await;
    let name = unique_username();
    app.create_user(&name).await;
    let owner = app.login_token(&name, PASSWORD).await;
    let new_password = "a-brand-new-passphrase";

    let racers = (0..24).map(|_| sign_in(&app, &name, PASSWORD));
    let change = async {
        app.api(&owner)
            .post(
                "/me/password",
                json!({"current_password": PASSWORD, "new_password": new_password}),
            )
            .await
    };
    let (responses, changed) = tokio::join!(futures_util::future::join_all(racers), change);
    assert_eq!(changed.status().as_u16(), 200);
    let mut tokens = Vec::new();
    for response in responses {
        match response.status().as_u16() {
            200 => {
                let body: serde_json::Value = response.json().await.unwrap();
                tokens.push(body["token"].as_str().unwrap().to_string());
            }
            401 => {}
            other => panic!("a racing sign-in answered {other}"),
        }
    }
    for token in &tokens {
        assert!(
            app.whoami_bearer(token).await.is_none(),
            "a token from before the change still works"
        );
    }
    assert_eq!(
        sign_in(&app, &name, new_password).await.status().as_u16(),
        200
    );
    assert_eq!(sign_in(&app, &name, PASSWORD).await.status().as_u16(), 401);
}

#[tokio::test]
async fn a_sign_in_whose_user_is_deleted_meanwhile_is_401_not_500() {
    let app = spawn_app_with(|s| s.auth.bcrypt_cost = 8).await;
    let (_, admin_token) = app.admin_with_token().await;
    let name = unique_username();
    let user = app.create_user(&name).await;
    let racers = (0..5).map(|_| sign_in(&app, &name, PASSWORD));
    let admin_api = app.api(&admin_token);
    let path = format!("/admin/users/{}/delete", user["id"]);
    let delete = admin_api.post(&path, json!({}));
    let (responses, deleted) = tokio::join!(futures_util::future::join_all(racers), delete);
    assert_eq!(deleted.status().as_u16(), 204);
    for response in responses {
        assert!(
            matches!(response.status().as_u16(), 200 | 401),
            "{}",
            response.status()
        );
    }
}

#[tokio::test]
async fn a_token_revoked_by_refresh_stays_revoked_through_the_leeway() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let refreshed = app.api(&token).post("/refresh", json!({})).await;
    assert_eq!(refreshed.status().as_u16(), 200);
    let (_, claims) = token_parts(&token);
    let jti = claims["jti"].as_str().unwrap().to_string();
    let exp = claims["exp"].as_i64().unwrap();

    use diesel::prelude::*;
    use keycard::db::schema::revoked_tokens;
    let until: chrono::DateTime<chrono::Utc> = revoked_tokens::table
        .filter(revoked_tokens::jti.eq(uuid::Uuid::parse_str(&jti).unwrap()))
        .select(revoked_tokens::expires_at)
        .first(&mut app.db())
        .unwrap();
    let leeway = i64::try_from(app.settings.auth.leeway_secs).unwrap();
    assert_eq!(until.timestamp(), exp + leeway, "kept until exp + leeway");
    assert!(app.whoami_bearer(&token).await.is_none());
}

#[tokio::test]
async fn a_username_no_one_can_have_is_an_ordinary_401_after_the_same_work() {
    let app = spawn_app().await;
    let long = "a".repeat(4000);
    let before = app.hash_stats.done_at(4);
    let refused = sign_in(&app, &long, "whatever-password").await;
    assert_problem(refused, 401).await;
    assert_eq!(app.hash_stats.done_at(4) - before, 1, "one dummy hash");
    let strange = sign_in(&app, "has spaces and ünïcode", "whatever-password").await;
    assert_problem(strange, 401).await;

    use diesel::prelude::*;
    use keycard::db::schema::login_failures;
    let longest: Option<i32> = login_failures::table
        .select(diesel::dsl::max(diesel::dsl::sql::<
            diesel::sql_types::Integer,
        >("length(username_key)")))
        .first(&mut app.db())
        .unwrap();
    assert!(longest.unwrap_or(0) <= 32, "nothing unbounded stored");
}

/// bcrypt operations at cost 4 and 5 during `f`.
async fn work<F: std::future::Future<Output = u16>>(app: &TestApp, f: F) -> (u16, u64, u64) {
    let (four, five) = (app.hash_stats.done_at(4), app.hash_stats.done_at(5));
    let status = f.await;
    (
        status,
        app.hash_stats.done_at(4) - four,
        app.hash_stats.done_at(5) - five,
    )
}

#[tokio::test]
async fn refused_sign_ins_cost_what_a_right_one_costs_also_with_an_old_cost_hash() {
    // The configured cost is 5; the stored hash has the older cost 4.
    let app = spawn_app_with(|s| s.auth.bcrypt_cost = 5).await;
    let name = unique_username();
    let user = app.create_user(&name).await;
    let old_hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let reset_to = |disabled: bool| {
        format!(
            "UPDATE users SET password_hash = '{old_hash}', disabled = {disabled} WHERE id = {}",
            user["id"]
        )
    };
    let reset = reset_to(false);
    let status = |password: &'static str| {
        let (app, name) = (&app, name.clone());
        async move { sign_in(app, &name, password).await.status().as_u16() }
    };

    app.sql(&reset).await;
    let right = work(&app, status(PASSWORD)).await;
    app.sql(&reset).await;
    let wrong = work(&app, status("wrong-password-x")).await;
    app.sql(&reset_to(true)).await;
    let disabled = work(&app, status(PASSWORD)).await;
    assert_eq!(right, (200, 1, 1), "verify at 4, re-hash at 5");
    assert_eq!(wrong, (401, 1, 1));
    assert_eq!(disabled, (401, 1, 1));

    // Unknown users cost one check at the configured cost, like every current hash.
    let unknown = work(&app, async {
        sign_in(&app, &unique_username(), "wrong-password-x")
            .await
            .status()
            .as_u16()
    })
    .await;
    assert_eq!(unknown, (401, 0, 1));
}

#[tokio::test]
async fn a_csrf_value_from_before_sign_in_or_another_session_is_refused() {
    let app = spawn_app().await;
    let name = unique_username();
    app.create_user(&name).await;
    let anonymous = app.csrf_token().await;
    assert_eq!(
        app.browser_login(&name, PASSWORD).await.status().as_u16(),
        303
    );
    let signed_in = app.csrf_token().await;
    assert_ne!(anonymous, signed_in, "a fresh value at sign-in");
    let access = app.cookie("access_token").unwrap();

    let other = app.another_browser();
    assert_eq!(
        other.browser_login(&name, PASSWORD).await.status().as_u16(),
        303
    );
    let foreign = other.csrf_token().await;

    let post_with = |csrf: String| {
        let cookie = format!("access_token={access}; csrf_token={csrf}");
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url("/me"))
            .header("Accept", BROWSER_ACCEPT)
            .header("Cookie", cookie)
            .form(&[("display_name", "Planted"), ("csrf_token", csrf.as_str())])
            .send()
    };
    assert_eq!(post_with(anonymous).await.unwrap().status().as_u16(), 403);
    assert_eq!(post_with(foreign).await.unwrap().status().as_u16(), 403);
    assert_eq!(post_with(signed_in).await.unwrap().status().as_u16(), 303);
}

#[tokio::test]
async fn healthz_never_looks_a_token_up() {
    // A database that is not there: authentication would answer 503.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_with_settings(test_settings(&format!(
        "postgres://postgres@127.0.0.1:{port}/none"
    )))
    .await;
    let kid = token_kid(&app).await;
    let claims = json!({
        "sub": "1", "role": "user", "jti": uuid::Uuid::new_v4(), "sid": uuid::Uuid::new_v4(),
        "gen": 0, "iat": now(), "nbf": now(), "exp": now() + 600,
        "iss": app.settings.auth.issuer, "aud": app.settings.auth.audience,
    });
    let token = sign_as_keycard(
        &json!({"alg": crate::helpers::test_algorithm(), "typ": "JWT", "kid": kid}),
        &claims,
    );
    let response = reqwest::Client::new()
        .get(app.url("/healthz"))
        .bearer_auth(&token)
        .header("Cookie", format!("access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // The same token on a page does reach the database (and so is 503 here).
    let page = reqwest::Client::new()
        .get(app.url("/"))
        .header("Accept", "application/json")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 503);
}

/// The `kid` keycard's tokens carry with the test secret (from a real sign-in on
/// another app with the same settings).
async fn token_kid(unreachable: &TestApp) -> String {
    let app = spawn_app().await;
    assert_eq!(
        app.settings.auth.jwt_secret.as_ref().unwrap().expose(),
        unreachable
            .settings
            .auth
            .jwt_secret
            .as_ref()
            .unwrap()
            .expose()
    );
    let (_, token) = app.user_with_token().await;
    token_parts(&token).0["kid"].as_str().unwrap().to_string()
}
