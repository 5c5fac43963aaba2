//! Metrics (contract §9): a separate listener, the Prometheus text with every family,
//! counters that move, and labels that never hold a raw path, an id or a name.

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

async fn scrape(app: &crate::helpers::TestApp) -> String {
    let url = format!("{}/metrics", app.metrics_address.as_ref().unwrap());
    let response = app.cookieless.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

/// The value of the sample `line_start` begins (a family name with its labels).
fn sample(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(line_start))
        .and_then(|line| line.rsplit(' ').next())
        .map_or(0.0, |value| value.parse().unwrap())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_only() {
    let app = spawn_app_with(|s| s.metrics.listen = "127.0.0.1:0".into()).await;
    assert_ne!(app.metrics_address.as_deref(), Some(app.address.as_str()));
    let public = app
        .cookieless
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status().as_u16(), 404, "not on the public listener");
    let text = scrape(&app).await;
    for family in [
        "keycard_http_requests_total",
        "keycard_http_request_duration_seconds",
        "keycard_db_pool_connections",
        "keycard_password_hashes",
        "keycard_build_info",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family}:\n{text}"
        );
    }
    let off = spawn_app().await;
    assert!(
        off.metrics_address.is_none(),
        "an empty metrics.listen turns it off"
    );
}

#[tokio::test]
async fn counters_move_with_sign_ins_requests_revocations_and_verifications() {
    let app = spawn_app_with(|s| s.metrics.listen = "127.0.0.1:0".into()).await;
    let (user, token) = app.user_with_token().await;
    let wrong = json!({"username": user["username"], "password": "wrong-password-1"});
    assert_eq!(
        app.post_json_anonymously("/login", &wrong)
            .await
            .status()
            .as_u16(),
        401
    );
    let profile = format!("/users/{}", user["id"]);
    assert_eq!(app.api(&token).get(&profile).await.status().as_u16(), 200);
    assert_eq!(
        app.api(&token)
            .post("/logout", json!({}))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(app.api(&token).get("/me").await.status().as_u16(), 401);

    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, r#"keycard_sign_ins_total{outcome="success"}"#),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"keycard_sign_ins_total{outcome="wrong_credentials"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, r#"keycard_revocations_total{kind="sign_out"}"#),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"keycard_http_requests_total{format="json",method="GET",route="/users/{id}",status="200"}"#
        ),
        1.0
    );
    assert!(sample(&text, r#"keycard_token_verifications_total{kid="#) >= 1.0);
    assert!(
        text.contains(r#"outcome="revoked""#),
        "the token used after sign-out"
    );
    // Labels are patterns and outcomes: no id, no name, no token.
    assert!(!text.contains(&format!("/users/{}\"", user["id"])));
    assert!(!text.contains(user["username"].as_str().unwrap()));
    assert!(!text.contains(&token[..20]));

    let body = json!({"username": user["username"], "password": PASSWORD});
    app.post_json_anonymously("/login", &body).await;
    let after = scrape(&app).await;
    assert_eq!(
        sample(&after, r#"keycard_sign_ins_total{outcome="success"}"#),
        2.0
    );
}
