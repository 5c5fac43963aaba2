//! The caller's sessions: list, revoke one, sign out the others (contract §3, §4).

use serde_json::json;

use crate::helpers::{PASSWORD, assert_is_redirect_to, assert_problem, spawn_app, unique_username};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

async fn login_with_agent(app: &crate::helpers::TestApp, username: &str, agent: &str) -> String {
    let response = reqwest::Client::new()
        .post(app.url("/login"))
        .header("Accept", "application/json")
        .header("User-Agent", agent)
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn two_sign_ins_are_two_sessions_and_revoking_one_ends_only_its_tokens() {
    let app = spawn_app().await;
    let username = unique_username();
    app.create_user(&username).await;
    let laptop = login_with_agent(&app, &username, FIREFOX).await;
    let phone = login_with_agent(&app, &username, "curl/8.5.0").await;

    let list = app.api(&laptop).get_body("/me/sessions").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        for key in [
            "id",
            "created_at",
            "last_used_at",
            "client_address",
            "user_agent",
            "current",
        ] {
            assert!(item.get(key).is_some(), "{key} in {item}");
        }
        assert_eq!(item["client_address"], "127.0.0.1");
    }
    let current: Vec<_> = items.iter().filter(|i| i["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], FIREFOX);
    let phone_id = items
        .iter()
        .find(|i| i["user_agent"] == "curl/8.5.0")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let response = app
        .api(&laptop)
        .post(&format!("/me/sessions/{phone_id}/revoke"), json!({}))
        .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(app.whoami_bearer(&phone).await, None);
    assert_eq!(
        app.whoami_bearer(&laptop).await.as_deref(),
        Some(username.as_str())
    );
    let list = app.api(&laptop).get_body("/me/sessions").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Revoking it again: it is gone.
    let again = app
        .api(&laptop)
        .post(&format!("/me/sessions/{phone_id}/revoke"), json!({}))
        .await;
    assert_problem(again, 404).await;
}

#[tokio::test]
async fn another_users_or_an_unknown_session_is_404() {
    let app = spawn_app().await;
    let (_, mine) = app.user_with_token().await;
    let (_, theirs) = app.user_with_token().await;
    let their_id = app.api(&theirs).get_body("/me/sessions").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [
        their_id.as_str(),
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
        "1",
    ] {
        let response = app
            .api(&mine)
            .post(&format!("/me/sessions/{id}/revoke"), json!({}))
            .await;
        assert_problem(response, 404).await;
    }
    assert!(
        app.whoami_bearer(&theirs).await.is_some(),
        "their session lives on"
    );
}

#[tokio::test]
async fn logout_others_keeps_only_the_current_session() {
    let app = spawn_app().await;
    let username = unique_username();
    app.create_user(&username).await;
    let keep = app.login_token(&username, PASSWORD).await;
    let others = [
        app.login_token(&username, PASSWORD).await,
        app.login_token(&username, PASSWORD).await,
    ];
    let response = app.api(&keep).post("/me/logout-others", json!({})).await;
    assert_eq!(response.status().as_u16(), 204);
    for token in &others {
        assert_eq!(app.whoami_bearer(token).await, None);
    }
    assert_eq!(
        app.whoami_bearer(&keep).await.as_deref(),
        Some(username.as_str())
    );
    let list = app.api(&keep).get_body("/me/sessions").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["current"], true);
}

#[tokio::test]
async fn the_sessions_page_names_devices_marks_this_one_and_revokes_from_a_form() {
    let app = spawn_app().await;
    let username = app.browser_user().await;
    let other = login_with_agent(&app, &username, FIREFOX).await;
    let response = app.get_html("/me/sessions").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("Firefox on Linux"));
    assert!(html.contains("This session"));
    assert!(html.contains("127.0.0.1"));
    assert!(html.contains(r#"action="/me/logout-others""#));

    let other_id = app.api(&other).get_body("/me/sessions").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(html.contains(&format!("/me/sessions/{other_id}/revoke")));
    let response = app
        .submit(&format!("/me/sessions/{other_id}/revoke"), &[])
        .await;
    assert_is_redirect_to(&response, "/me/sessions");
    assert!(
        app.follow_redirect(&response)
            .await
            .contains("Session revoked")
    );
    assert_eq!(app.whoami_bearer(&other).await, None);
    assert_eq!(app.whoami().await.as_deref(), Some(username.as_str()));
}

#[tokio::test]
async fn revoking_this_session_signs_out_and_goes_to_sign_in() {
    let app = spawn_app().await;
    app.browser_user().await;
    let list: serde_json::Value = app.get_json("/me/sessions").await.json().await.unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/me/sessions/{id}/revoke");
    let forged = app.post_form(&path, &[("csrf_token", "made.up")]).await;
    assert_eq!(
        forged.status().as_u16(),
        403,
        "no CSRF token, no revocation"
    );
    assert!(app.whoami().await.is_some());
    let response = app.submit(&path, &[]).await;
    assert_is_redirect_to(&response, "/login");
    assert_eq!(app.whoami().await, None);
}

#[tokio::test]
async fn last_used_is_brought_up_to_the_minute_by_the_next_request() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    app.sql(&format!(
        "UPDATE sessions SET last_used_at = now() - interval '10 minutes' WHERE user_id = {}",
        user["id"]
    ))
    .await;
    let list = app.api(&token).get_body("/me/sessions").await;
    let last_used = list["items"][0]["last_used_at"]
        .as_str()
        .unwrap()
        .to_string();
    let age = chrono::Utc::now()
        - chrono::DateTime::parse_from_rfc3339(&last_used)
            .unwrap()
            .to_utc();
    assert!(age.num_seconds() < 60, "last used {last_used}, {age} ago");
    // A second request within the minute writes nothing: the value stays.
    let again = app.api(&token).get_body("/me/sessions").await;
    assert_eq!(again["items"][0]["last_used_at"], last_used.as_str());
}

/// Contract §4: behind a trusted proxy, `X-Forwarded-For` entries may carry a port or
/// brackets; the session list shows the bare address. A malformed entry stops the walk
/// at the last good one, never at the proxy's own address.
#[tokio::test]
async fn forwarded_addresses_with_ports_or_brackets_are_the_client_address() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.trusted_proxies = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
    })
    .await;
    let username = unique_username();
    app.create_user(&username).await;
    let cases = [
        ("203.0.113.5:4711", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::2]", "2001:db8::2"),
        (
            "198.51.100.1, 198.51.100.2:80, 10.0.0.7:3128",
            "198.51.100.2",
        ),
        ("198.51.100.3, not-an-address, 10.0.0.8", "10.0.0.8"),
        ("not-an-address", "unknown"),
    ];
    let mut token = String::new();
    for (forwarded, _) in cases {
        let response = reqwest::Client::new()
            .post(app.url("/login"))
            .header("Accept", "application/json")
            .header("User-Agent", forwarded)
            .header("X-Forwarded-For", forwarded)
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{forwarded}");
        let body: serde_json::Value = response.json().await.unwrap();
        token = body["token"].as_str().unwrap().to_string();
    }
    let list = app.api(&token).get_body("/me/sessions").await;
    let items = list["items"].as_array().unwrap();
    for (forwarded, expected) in cases {
        let item = items
            .iter()
            .find(|i| i["user_agent"] == forwarded)
            .unwrap_or_else(|| panic!("a session for {forwarded}"));
        assert_eq!(item["client_address"], expected, "{forwarded}");
    }
}
