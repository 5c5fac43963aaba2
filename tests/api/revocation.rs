//! Revocation takes effect at once, on every instance, and never blocks signing in again.

use crate::helpers::{PASSWORD, spawn_app, spawn_with_settings, unique_username};

#[tokio::test]
async fn sign_out_on_one_instance_is_refused_at_once_on_another() {
    let one = spawn_app().await;
    let two = spawn_with_settings(one.settings.clone()).await;
    let (user, token) = one.user_with_token().await;
    assert_eq!(
        two.whoami_bearer(&token).await.as_deref(),
        user["username"].as_str()
    );
    let response = one.api(&token).post("/logout", serde_json::json!({})).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(two.whoami_bearer(&token).await, None);
    assert_eq!(one.whoami_bearer(&token).await, None);
}

#[tokio::test]
async fn signing_in_again_right_after_a_revocation_works() {
    let app = spawn_app().await;
    let username = unique_username();
    app.create_user(&username).await;
    for _ in 0..3 {
        let token = app.login_token(&username, PASSWORD).await;
        assert_eq!(
            app.whoami_bearer(&token).await.as_deref(),
            Some(username.as_str())
        );
        let refreshed: serde_json::Value = app
            .api(&token)
            .post("/refresh", serde_json::json!({}))
            .await
            .json()
            .await
            .unwrap();
        let refreshed = refreshed["token"].as_str().unwrap().to_string();
        assert_eq!(app.whoami_bearer(&token).await, None);
        let out = app
            .api(&refreshed)
            .post("/logout", serde_json::json!({}))
            .await;
        assert_eq!(out.status().as_u16(), 204);
        assert_eq!(app.whoami_bearer(&refreshed).await, None);
        // Within the same second as the revocation: a fresh sign-in works.
        let again = app.login_token(&username, PASSWORD).await;
        assert_eq!(
            app.whoami_bearer(&again).await.as_deref(),
            Some(username.as_str())
        );
    }
}

#[tokio::test]
async fn a_disabled_or_deleted_users_token_stops_working_at_once() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    app.sql(&format!(
        "UPDATE users SET disabled = true WHERE id = {}",
        user["id"]
    ))
    .await;
    assert_eq!(app.whoami_bearer(&token).await, None);

    let (user, token) = app.user_with_token().await;
    app.sql(&format!("DELETE FROM users WHERE id = {}", user["id"]))
        .await;
    assert_eq!(app.whoami_bearer(&token).await, None);
}
