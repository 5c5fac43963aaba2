//! Issue 10 semantics under concurrency (counts and statuses, never timings): only
//! wrong passwords count, no more guesses are checked than the limit allows, the hash
//! queue is bounded, sessions end when they can no longer be used, sign-ups are limited.

use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with, spawn_with_settings,
    unique_username,
};

async fn sign_in(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json_anonymously(
        "/login",
        &json!({"username": username, "password": password}),
    )
    .await
}

/// Runs every request at once and returns their statuses.
async fn all_statuses(
    requests: impl Iterator<Item = impl std::future::Future<Output = reqwest::Response>>,
) -> Vec<u16> {
    futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect()
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn thirty_concurrent_right_passwords_from_one_address_all_sign_in() {
    let app = spawn_app().await;
    let name = unique_username();
    app.create_user(&name).await;
    let attempts = (0..30).map(|_| sign_in(&app, &name, PASSWORD));
    let statuses = all_statuses(attempts).await;
    assert_eq!(count(&statuses, 200), 30, "{statuses:?}");
}

#[tokio::test]
async fn thirty_concurrent_wrong_guesses_check_exactly_five() {
    let app = spawn_app().await;
    let name = unique_username();
    app.create_user(&name).await;
    let before = app.hash_stats.done();
    let attempts = (0..30).map(|_| sign_in(&app, &name, "wrong-password-x"));
    let statuses = all_statuses(attempts).await;
    assert_eq!(count(&statuses, 401), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 25, "{statuses:?}");
    assert_eq!(app.hash_stats.done() - before, 5, "bcrypt checks");
}

#[tokio::test]
async fn two_instances_together_check_exactly_five_guesses() {
    let first = spawn_app().await;
    let second = spawn_with_settings(first.settings.clone()).await;
    let name = unique_username();
    first.create_user(&name).await;
    let attempts = (0..30).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        sign_in(app, &name, "wrong-password-x")
    });
    let statuses = all_statuses(attempts).await;
    assert_eq!(count(&statuses, 401), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 25, "{statuses:?}");
}

#[tokio::test]
async fn a_full_hash_queue_is_503_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.auth.hash_threads = 1;
        s.auth.hash_queue_limit = 0;
        s.auth.bcrypt_cost = 10;
    })
    .await;
    let names: Vec<String> = (0..8).map(|_| unique_username()).collect();
    for name in &names {
        app.create_user(name).await;
    }
    let attempts = names.iter().map(|name| sign_in(&app, name, PASSWORD));
    let responses = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(count(&statuses, 200) >= 1, "{statuses:?}");
    assert!(count(&statuses, 503) >= 1, "{statuses:?}");
    assert_eq!(
        count(&statuses, 200) + count(&statuses, 503),
        8,
        "{statuses:?}"
    );
    let busy = responses
        .into_iter()
        .find(|r| r.status().as_u16() == 503)
        .unwrap();
    assert_eq!(busy.headers()["retry-after"], "1");
    let problem = assert_problem(busy, 503).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("try again"),
        "{problem}"
    );
    // Nothing was recorded against the users whose check never ran.
    for name in &names {
        assert_eq!(sign_in(&app, name, PASSWORD).await.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn past_the_cap_the_least_recently_used_session_ends() {
    let app = spawn_app_with(|s| s.auth.max_sessions_per_user = 3).await;
    let name = unique_username();
    app.create_user(&name).await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(app.login_token(&name, PASSWORD).await);
    }
    assert!(
        app.whoami_bearer(&tokens[0]).await.is_none(),
        "oldest ended"
    );
    for token in &tokens[1..] {
        assert_eq!(
            app.whoami_bearer(token).await.as_deref(),
            Some(name.as_str())
        );
    }
    let listed = app.api(&tokens[3]).get_body("/me/sessions").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3, "{listed}");

    // The user's activity says why that session ended.
    let activity = app
        .api(&tokens[3])
        .get_body("/me/activity?per_page=100")
        .await;
    let ended: Vec<&serde_json::Value> = activity["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "sessions_revoked")
        .map(|e| &e["details"])
        .collect();
    assert_eq!(
        ended,
        [&json!({"sessions": 1, "kept_current": true, "reason": "max_sessions_per_user"})],
        "{activity}"
    );
}

#[tokio::test]
async fn a_session_whose_newest_token_expired_is_not_listed_and_is_removed_at_sign_in() {
    let app = spawn_app().await;
    let name = unique_username();
    app.create_user(&name).await;
    let old = app.login_token(&name, PASSWORD).await;
    let current = app.login_token(&name, PASSWORD).await;
    let (_, claims) = crate::helpers::token_parts(&old);
    let sid = claims["sid"].as_str().unwrap().to_string();
    // The old session's newest token expired more than the leeway (30 s) ago.
    app.sql(&format!(
        "UPDATE sessions SET expires_at = now() - interval '31 seconds' WHERE id = '{sid}'"
    ))
    .await;
    let listed = app.api(&current).get_body("/me/sessions").await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{listed}");
    assert!(!ids.contains(&sid.as_str()));

    let rows = |app: &TestApp, sid: String| {
        use diesel::prelude::*;
        use keycard::db::schema::sessions;
        let mut conn = app.db();
        sessions::table
            .filter(sessions::id.eq(uuid::Uuid::parse_str(&sid).unwrap()))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap()
    };
    assert_eq!(
        rows(&app, sid.clone()),
        1,
        "still there until the next sign-in"
    );
    app.login_token(&name, PASSWORD).await;
    assert_eq!(rows(&app, sid), 0, "removed at sign-in");
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = spawn_app_with(|s| s.auth.signups_per_address_per_hour = 3).await;
    for _ in 0..3 {
        app.create_user(&unique_username()).await;
    }
    let before = app.hash_stats.done();
    let refused = app
        .post_json_anonymously(
            "/users",
            &json!({"username": unique_username(), "password": PASSWORD}),
        )
        .await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3590..=3600).contains(&retry_after), "{retry_after}");
    let problem = assert_problem(refused, 429).await;
    assert!(problem["detail"].as_str().unwrap().contains("sign-ups"));
    assert_eq!(app.hash_stats.done(), before, "refused without a hash");

    // Shared by instances.
    let other = spawn_with_settings(app.settings.clone()).await;
    let also = other
        .post_json_anonymously(
            "/users",
            &json!({"username": unique_username(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(also.status().as_u16(), 429);
}
