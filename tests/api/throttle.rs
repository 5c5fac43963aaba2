//! Failed sign-in limits (contract §4): per username, per address, exact under
//! concurrency, shared through the database, with `Retry-After` in whole seconds.

use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with, spawn_with_settings,
};

async fn attempt(
    app: &TestApp,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(app.url("/login"))
        .header("Accept", "application/json")
        .json(&json!({"username": username, "password": password}));
    if let Some(value) = forwarded_for {
        request = request.header("X-Forwarded-For", value);
    }
    request.send().await.unwrap()
}

/// The status of one sign-in attempt without a forwarded address.
async fn status(app: &TestApp, username: &str, password: &str) -> u16 {
    attempt(app, username, password, None)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn five_failures_for_a_username_then_429_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_user("target").await;
    for _ in 0..5 {
        assert_eq!(status(&app, "target", "wrong-password-x").await, 401);
    }
    let refused = attempt(&app, "TARGET", PASSWORD, None).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (895..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_problem(refused, 429).await;

    // Another instance on the same database agrees.
    let other = spawn_with_settings(app.settings.clone()).await;
    assert_eq!(status(&other, "target", PASSWORD).await, 429);
}

#[tokio::test]
async fn a_success_forgives_the_usernames_earlier_failures() {
    let app = spawn_app().await;
    app.create_user("forgiven").await;
    for _ in 0..4 {
        attempt(&app, "forgiven", "wrong-password-x", None).await;
    }
    assert_eq!(status(&app, "forgiven", PASSWORD).await, 200);
    for _ in 0..4 {
        assert_eq!(status(&app, "forgiven", "wrong-password-x").await, 401);
    }
    assert_eq!(status(&app, "forgiven", PASSWORD).await, 200);
}

#[tokio::test]
async fn an_address_is_limited_across_usernames_and_a_made_up_header_does_not_help() {
    let app = spawn_app_with(|s| s.auth.max_failures_per_address = 3).await;
    for i in 0..3 {
        let forged = format!("198.51.100.{i}");
        let status = attempt(
            &app,
            &format!("nobody{i}"),
            "wrong-password-x",
            Some(&forged),
        )
        .await
        .status();
        assert_eq!(status.as_u16(), 401);
    }
    assert_problem(
        attempt(
            &app,
            "someone_else",
            "wrong-password-x",
            Some("203.0.113.50"),
        )
        .await,
        429,
    )
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = spawn_app_with(|s| {
        s.auth.max_failures_per_address = 2;
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        attempt(&app, "ghost", "wrong-password-x", Some("198.51.100.7")).await;
    }
    assert_eq!(
        attempt(&app, "ghost2", "wrong-password-x", Some("198.51.100.7"))
            .await
            .status()
            .as_u16(),
        429
    );
    assert_eq!(
        attempt(&app, "ghost3", "wrong-password-x", Some("198.51.100.8"))
            .await
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn concurrent_wrong_attempts_never_exceed_the_limit() {
    let app = spawn_app().await;
    app.create_user("stampede").await;
    let attempts = (0..12).map(|_| attempt(&app, "stampede", "wrong-password-x", None));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        7,
        "{statuses:?}"
    );
}

/// Contract §4: for limits an IPv6 client counts by its /64 network, so rotating through
/// the addresses of one network (which any IPv6 host can) buys no extra guesses.
#[tokio::test]
async fn ipv6_clients_are_limited_by_their_64_network() {
    // Arrange: behind a trusted proxy, the default limit of 20 per address.
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    assert_eq!(app.settings.auth.max_failures_per_address, 20);

    // Act: 20 wrong sign-ins for different usernames, each from another address of one /64.
    for i in 1..=20 {
        let address = format!("2001:db8:1:2:{i:x}::{i:x}");
        let status = attempt(
            &app,
            &format!("v6user{i}"),
            "wrong-password-x",
            Some(&address),
        )
        .await
        .status();
        assert_eq!(status.as_u16(), 401, "attempt {i}");
    }
    let same_network = attempt(
        &app,
        "v6user21",
        "wrong-password-x",
        Some("2001:db8:1:2:ffff::1"),
    )
    .await;
    let next_network = attempt(
        &app,
        "v6user22",
        "wrong-password-x",
        Some("2001:db8:1:3::1"),
    )
    .await;

    // Assert
    assert_problem(same_network, 429).await;
    assert_eq!(
        next_network.status().as_u16(),
        401,
        "another /64 has its own count"
    );
}

/// An attempt waiting for its own address's slots holds up no attempt for the same
/// username from another address (sign-ins wait in a line per username and address).
#[tokio::test]
async fn a_sign_in_waiting_for_its_address_holds_up_no_other_address() {
    let app = spawn_app_with(|s| {
        s.auth.max_failures_per_address = 1;
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.create_user("shared").await;
    // A check in flight from 198.51.100.7 takes that address's one slot.
    app.sql(
        "INSERT INTO login_failures (username_key, client_address, pending) \
         VALUES ('someone', '198.51.100.7', true)",
    )
    .await;
    let waiting = std::pin::pin!(attempt(&app, "shared", PASSWORD, Some("198.51.100.7")));
    let elsewhere = std::pin::pin!(attempt(&app, "shared", PASSWORD, Some("198.51.100.8")));

    // Whichever answers first: the attempt from the full address waits for a slot.
    match futures_util::future::select(waiting, elsewhere).await {
        futures_util::future::Either::Right((answer, _still_waiting)) => {
            assert_eq!(answer.status().as_u16(), 200);
        }
        futures_util::future::Either::Left((answer, _)) => panic!(
            "the attempt from the full address answered {} before the other one",
            answer.status()
        ),
    }
}
