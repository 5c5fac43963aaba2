//! Self-service: `/me`, `/me/password`, `/me/logout-all` (contract §3).

use serde_json::json;

use crate::helpers::{PASSWORD, assert_is_redirect_to, assert_problem, spawn_app};

#[tokio::test]
async fn me_shows_the_signed_in_user_in_both_representations() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    let body = app.api(&token).get_body("/me").await;
    assert_eq!(body, user);
    assert!(body.get("password_hash").is_none());

    let username = app.browser_user().await;
    let response = app.get_html("/me").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains(&username));
    for form in [
        r#"action="/me""#,
        r#"action="/me/password""#,
        r#"action="/me/logout-all""#,
    ] {
        assert!(html.contains(form), "{form}");
    }
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_programs_get_401() {
    let app = spawn_app().await;
    for path in ["/me", "/me/sessions", "/users", "/users/1"] {
        assert_is_redirect_to(&app.get_html(path).await, &format!("/login?next={}", path));
        let response = app.get_json(path).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_problem(response, 401).await;
    }
    for path in ["/me", "/me/password", "/me/logout-all", "/me/logout-others"] {
        let response = app.post_json(path, &json!({})).await;
        assert_problem(response, 401).await;
    }
}

#[tokio::test]
async fn the_display_name_can_be_set_changed_and_cleared() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let api = app.api(&token);
    for (sent, stored) in [
        (json!("Alice L."), json!("Alice L.")),
        (json!("  Ålice 🦀  "), json!("Ålice 🦀")),
        (json!(""), json!(null)),
        (json!("Back"), json!("Back")),
        (json!(null), json!(null)),
    ] {
        let response = api.post("/me", json!({ "display_name": sent })).await;
        assert_eq!(response.status().as_u16(), 200, "{sent}");
        assert!(
            crate::helpers::set_cookie_header(&response, "flash").is_none(),
            "flash messages are for pages, never JSON"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["display_name"], stored, "{sent}");
    }
}

#[tokio::test]
async fn bad_display_names_are_422_and_change_nothing() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let api = app.api(&token);
    api.post("/me", json!({"display_name": "Kept"})).await;
    for bad in [
        json!("x".repeat(65)),
        json!("tab\there"),
        json!("nul\u{0}byte"),
    ] {
        let body = assert_problem(api.post("/me", json!({ "display_name": bad })).await, 422).await;
        assert!(body["errors"]["display_name"].is_array(), "{body}");
    }
    let body = assert_problem(api.post("/me", json!({})).await, 422).await;
    assert!(body["errors"]["display_name"].is_array());
    let body = assert_problem(api.post("/me", json!({"display_name": 7})).await, 422).await;
    assert_eq!(body["errors"]["display_name"], json!(["must be text"]));
    assert_eq!(api.get_body("/me").await["display_name"], "Kept");
    // 64 characters of a multi-byte script are fine.
    let response = api
        .post("/me", json!({"display_name": "é".repeat(64)}))
        .await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn the_html_profile_form_saves_with_a_flash_message_once() {
    let app = spawn_app().await;
    app.browser_user().await;
    let response = app.submit("/me", &[("display_name", "Browser Name")]).await;
    assert_is_redirect_to(&response, "/me");
    let page = app.follow_redirect(&response).await;
    assert!(page.contains("Display name saved"));
    assert!(page.contains("Browser Name"));
    let again = app.get_html("/me").await.text().await.unwrap();
    assert!(!again.contains("Display name saved"), "a flash shows once");

    let response = app
        .submit("/me", &[("display_name", &"y".repeat(65))])
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("Display name must be at most 64 characters"));
    assert!(html.contains(&"y".repeat(65)), "the typed value comes back");
    assert!(html.contains(r#"aria-invalid="true""#));
}

#[tokio::test]
async fn a_forged_flash_cookie_is_not_shown() {
    let app = spawn_app().await;
    app.browser_user().await;
    app.set_cookie("flash", "SGFja2Vk.AAAA");
    let html = app.get_html("/me").await.text().await.unwrap();
    assert!(!html.contains("Hacked"));
    assert!(!html.contains(r#"class="flash""#));
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_every_other_token() {
    let app = spawn_app().await;
    let username = crate::helpers::unique_username();
    app.create_user(&username).await;
    let first = app.login_token(&username, PASSWORD).await;
    let other = app.login_token(&username, PASSWORD).await;
    let response = app
        .api(&first)
        .post(
            "/me/password",
            json!({"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let fresh = body["token"].as_str().unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(app.whoami_bearer(&first).await, None, "the old token");
    assert_eq!(app.whoami_bearer(&other).await, None, "another session");
    assert_eq!(
        app.whoami_bearer(fresh).await.as_deref(),
        Some(username.as_str())
    );
    // Same session as before, so it is still listed once.
    let sessions = app.api(fresh).get_body("/me/sessions").await;
    assert_eq!(sessions["items"].as_array().unwrap().len(), 1);
    assert_eq!(sessions["items"][0]["current"], true);
    // The new password signs in; the old one does not.
    app.login_token(&username, "a-brand-new-passphrase").await;
    let old = app
        .post_json(
            "/login",
            &json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_problem(old, 401).await;
}

#[tokio::test]
async fn a_wrong_current_password_or_a_weak_new_one_changes_nothing() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    let username = user["username"].as_str().unwrap().to_string();
    let api = app.api(&token);
    for (body, fields) in [
        (
            json!({"current_password": "not-my-password", "new_password": "a-brand-new-passphrase"}),
            vec!["current_password"],
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "short"}),
            vec!["new_password"],
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "password1"}),
            vec!["new_password"],
        ),
        (
            json!({"current_password": PASSWORD, "new_password": username}),
            vec!["new_password"],
        ),
        (
            json!({"current_password": "", "new_password": "€".repeat(25)}),
            vec!["current_password", "new_password"],
        ),
    ] {
        let problem = assert_problem(api.post("/me/password", body.clone()).await, 422).await;
        for field in fields {
            assert!(problem["errors"][field].is_array(), "{body} → {problem}");
        }
    }
    assert_eq!(
        app.whoami_bearer(&token).await.as_deref(),
        Some(username.as_str())
    );
    app.login_token(&username, PASSWORD).await;
}

#[tokio::test]
async fn the_html_password_form_sets_a_fresh_cookie_and_says_so() {
    let app = spawn_app().await;
    let username = app.browser_user().await;
    let before = app.cookie("access_token").unwrap();
    let response = app
        .submit(
            "/me/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a-brand-new-passphrase"),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/me");
    let after = app.cookie("access_token").unwrap();
    assert_ne!(before, after);
    assert_eq!(app.whoami_bearer(&before).await, None);
    assert!(
        app.follow_redirect(&response)
            .await
            .contains("Password changed")
    );
    assert_eq!(app.whoami().await.as_deref(), Some(username.as_str()));

    let wrong = app
        .submit(
            "/me/password",
            &[
                ("current_password", "nope-nope-nope"),
                ("new_password", "another-new-passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 422);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("Current password is not your current password"));
    assert!(!html.contains("nope-nope-nope") && !html.contains("another-new-passphrase"));
}

#[tokio::test]
async fn logout_all_ends_every_session_and_a_fresh_sign_in_works() {
    let app = spawn_app().await;
    let username = app.browser_user().await;
    let program = app.login_token(&username, PASSWORD).await;
    let response = app.submit("/me/logout-all", &[]).await;
    assert_is_redirect_to(&response, "/login");
    assert!(
        app.follow_redirect(&response)
            .await
            .contains("Signed out everywhere")
    );
    assert_eq!(app.whoami().await, None);
    assert_eq!(app.whoami_bearer(&program).await, None);
    let again = app.login_token(&username, PASSWORD).await;
    assert_eq!(
        app.api(&again)
            .post("/me/logout-all", json!({}))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(app.whoami_bearer(&again).await, None);
}

#[tokio::test]
async fn wrong_current_passwords_count_as_failed_sign_ins() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let api = app.api(&token);
    let guess = |current: &str| json!({"current_password": current, "new_password": "a-brand-new-passphrase"});
    for i in 0..5 {
        let body = guess(&format!("guess-number-{i}"));
        assert_problem(api.post("/me/password", body).await, 422).await;
    }
    let response = api.post("/me/password", guess(PASSWORD)).await;
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_problem(response, 429).await;
    assert!(app.whoami_bearer(&token).await.is_some(), "nothing changed");
}

/// Contract §2 (2026-12-01): no invisible or direction-changing characters in a display
/// name, but the joiners that scripts and emoji need are fine.
#[tokio::test]
async fn display_names_with_invisible_or_direction_changing_characters_are_422() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let api = app.api(&token);
    for bad in [
        "evil\u{202E}gnp.exe",
        "zero\u{200B}width",
        "\u{FEFF}bom",
        "iso\u{2066}late",
        "mark\u{200F}",
    ] {
        let body = assert_problem(api.post("/me", json!({ "display_name": bad })).await, 422).await;
        assert_eq!(
            body["errors"]["display_name"],
            json!(["must not contain invisible or direction-changing characters"]),
            "{bad:?}"
        );
    }
    assert!(api.get_body("/me").await["display_name"].is_null());
    let joined = "\u{1F469}\u{200D}\u{1F4BB} \u{0645}\u{06CC}\u{200C}\u{062E}";
    let response = api.post("/me", json!({ "display_name": joined })).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["display_name"], joined);
}
