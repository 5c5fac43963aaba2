//! Sign-in, sign-out and refresh (contract §3 and §4).

use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, assert_is_redirect_to, assert_problem, set_cookie_header, spawn_app, token_parts,
    unique_username,
};

#[tokio::test]
async fn json_sign_in_returns_the_token_shape_and_sets_both_cookies() {
    let app = spawn_app().await;
    let username = unique_username();
    app.create_user(&username).await;
    let response = app
        .post_json(
            "/login",
            &json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let access = set_cookie_header(&response, "access_token").unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
        assert!(access.contains(flag), "{flag} missing: {access}");
    }
    assert!(!access.contains("Secure"), "cookie.secure is off in tests");
    let csrf = set_cookie_header(&response, "csrf_token").unwrap();
    assert!(
        !csrf.contains("HttpOnly") && csrf.contains("SameSite=Lax"),
        "{csrf}"
    );

    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["username"], username.as_str());
    let (header, claims) = token_parts(body["token"].as_str().unwrap());
    assert_eq!(header["alg"], crate::helpers::test_algorithm());
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
    for claim in ["sub", "role", "jti", "sid", "iat", "exp", "iss", "aud"] {
        assert!(!claims[claim].is_null(), "claim {claim} missing: {claims}");
    }
    assert_eq!(claims["sub"], body["user"]["id"].to_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires_at.timestamp(), claims["exp"].as_i64().unwrap());
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("known").await;
    let wrong = app
        .post_json(
            "/login",
            &json!({"username": "known", "password": "wrong-password-1"}),
        )
        .await;
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    let wrong = assert_problem(wrong, 401).await;
    let unknown = assert_problem(
        app.post_json(
            "/login",
            &json!({"username": "nobody", "password": "wrong-password-1"}),
        )
        .await,
        401,
    )
    .await;
    assert_eq!(wrong, unknown);
    let missing = assert_problem(
        app.post_json("/login", &json!({"username": "known"})).await,
        422,
    )
    .await;
    assert!(missing["errors"]["password"].is_array());
}

#[tokio::test]
async fn a_form_sign_in_goes_to_a_local_next_only() {
    let app = spawn_app().await;
    app.create_user("walker").await;
    for (next, expected) in [
        ("/users?page=2", "/users?page=2"),
        ("//evil.example/x", "/me"),
        ("https://evil.example/", "/me"),
        ("/\\evil.example", "/me"),
        ("", "/me"),
    ] {
        let browser = app.another_browser();
        let csrf = browser.csrf_token().await;
        let response = browser
            .post_form(
                "/login",
                &[
                    ("username", "walker"),
                    ("password", PASSWORD),
                    ("next", next),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_is_redirect_to(&response, expected);
        assert!(set_cookie_header(&response, "access_token").is_some());
        assert_eq!(browser.whoami().await.as_deref(), Some("walker"));
    }
}

#[tokio::test]
async fn a_wrong_form_sign_in_is_401_with_the_form_and_the_username_kept() {
    let app = spawn_app().await;
    app.create_user("formuser").await;
    let response = app.browser_login("formuser", "not-the-password").await;
    assert_eq!(response.status().as_u16(), 401);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"value="formuser""#) && html.contains("wrong username or password"));
    assert!(!html.contains("not-the-password"));
    assert_eq!(app.whoami().await, None);
}

#[tokio::test]
async fn the_login_page_keeps_a_local_next_and_refuses_json() {
    let app = spawn_app().await;
    let html = app
        .get_html("/login?next=/users%3Fq%3Da")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"name="next" value="/users?q=a""#), "{html}");
    let html = app
        .get_html("/login?next=//evil.example")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("evil.example"));
    let body = assert_problem(app.get_json("/login").await, 406).await;
    assert!(body["detail"].as_str().unwrap().contains("POST /login"));
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in() {
    let app = spawn_app().await;
    app.create_user("sleepy").await;
    app.sql("UPDATE users SET disabled = true WHERE username = 'sleepy'")
        .await;
    assert_problem(
        app.post_json(
            "/login",
            &json!({"username": "sleepy", "password": PASSWORD}),
        )
        .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn a_hash_of_another_cost_is_replaced_at_the_next_sign_in() {
    let app = spawn_app().await;
    app.create_user("oldhash").await;
    let hash = bcrypt::hash(PASSWORD, 5).unwrap();
    app.sql(&format!(
        "UPDATE users SET password_hash = '{hash}' WHERE username = 'oldhash'"
    ))
    .await;
    app.login_token("oldhash", PASSWORD).await;
    let url = app.database_url.clone();
    let stored: String = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use keycard::db::schema::users;
        let mut conn = PgConnection::establish(&url).unwrap();
        users::table
            .filter(users::username.eq("oldhash"))
            .select(users::password_hash)
            .first(&mut conn)
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        stored.starts_with("$2b$04$"),
        "re-hashed at the configured cost 4: {stored}"
    );
    app.login_token("oldhash", PASSWORD).await;
}

#[tokio::test]
async fn sign_out_ends_the_session_and_clears_the_cookies() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let response = app.api(&token).post("/logout", serde_json::json!({})).await;
    assert_eq!(response.status().as_u16(), 204);
    assert!(
        set_cookie_header(&response, "access_token")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(app.whoami_bearer(&token).await, None);

    app.create_user("htmlout").await;
    app.browser_login("htmlout", PASSWORD).await;
    assert_eq!(app.whoami().await.as_deref(), Some("htmlout"));
    let csrf = app.csrf_token().await;
    let response = app.post_form("/logout", &[("csrf_token", &csrf)]).await;
    assert_is_redirect_to(&response, "/");
    assert_eq!(app.whoami().await, None);
}

#[tokio::test]
async fn refresh_issues_a_new_token_in_the_same_session_and_revokes_the_old_one() {
    let app = spawn_app().await;
    let (user, old) = app.user_with_token().await;
    let response = app.api(&old).post("/refresh", serde_json::json!({})).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    let new = body["token"].as_str().unwrap();
    assert_eq!(body["user"]["id"], user["id"]);
    assert_eq!(token_parts(new).1["sid"], token_parts(&old).1["sid"]);
    assert_ne!(token_parts(new).1["jti"], token_parts(&old).1["jti"]);
    assert_eq!(app.whoami_bearer(&old).await, None);
    assert_eq!(
        app.whoami_bearer(new).await.as_deref(),
        user["username"].as_str()
    );

    // A client without the cookies the JSON refresh set.
    let anonymous = reqwest::Client::new()
        .post(app.url("/refresh"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_problem(anonymous, 401).await;
    let browser = app.another_browser();
    let html = browser
        .post_form("/refresh", &[("csrf_token", &browser.csrf_token().await)])
        .await;
    assert_is_redirect_to(&html, "/login?next=/me");
}

#[tokio::test]
async fn an_html_refresh_sets_a_new_cookie_in_the_same_session_and_goes_to_me() {
    let app = spawn_app().await;
    let username = app.browser_user().await;
    let old = app.cookie("access_token").unwrap();
    let response = app.submit("/refresh", &[]).await;
    assert_is_redirect_to(&response, "/me");
    let new = app.cookie("access_token").unwrap();
    assert_ne!(new, old);
    assert_eq!(token_parts(&new).1["sid"], token_parts(&old).1["sid"]);
    assert_eq!(
        app.whoami_bearer(&old).await,
        None,
        "the replaced token is revoked"
    );
    assert_eq!(app.whoami().await.as_deref(), Some(username.as_str()));
}

#[tokio::test]
async fn with_cookie_secure_every_cookie_is_secure() {
    let app = crate::helpers::spawn_app_with(|s| s.cookie.secure = true).await;
    let username = unique_username();
    app.create_user(&username).await;
    let response = app
        .post_json(
            "/login",
            &json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    for name in ["access_token", "csrf_token"] {
        let cookie = set_cookie_header(&response, name).unwrap();
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    let token: Value = response.json().await.unwrap();
    let token = token["token"].as_str().unwrap();
    let logout = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/logout"))
        .header("Accept", crate::helpers::BROWSER_ACCEPT)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&logout, "/");
    for name in ["access_token", "csrf_token", "flash"] {
        let cookie = set_cookie_header(&logout, name).unwrap();
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
}
