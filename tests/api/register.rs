//! Sign-up (contract §2 and `POST /users`): every rule at and past its bounds.

use serde_json::{Value, json};

use crate::helpers::{
    BROWSER_ACCEPT, PASSWORD, assert_is_redirect_to, assert_problem, spawn_app, spawn_app_with,
};

async fn sign_up(app: &crate::helpers::TestApp, body: Value) -> reqwest::Response {
    app.post_json("/users", &body).await
}

#[tokio::test]
async fn json_sign_up_answers_201_with_location_and_the_user_without_secrets() {
    let app = spawn_app().await;
    let response = sign_up(
        &app,
        json!({"username": "Alice.L", "display_name": "Alice L.", "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let user: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/users/{}", user["id"]));
    assert_eq!(user["username"], "Alice.L");
    assert_eq!(user["display_name"], "Alice L.");
    assert_eq!(user["role"], "user");
    assert_eq!(user["disabled"], false);
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "created_at",
            "disabled",
            "display_name",
            "id",
            "role",
            "two_factor",
            "username"
        ]
    );
    assert_eq!(user["two_factor"], false);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn usernames_are_checked_at_and_past_their_bounds() {
    let app = spawn_app().await;
    for ok in ["abc", &"b".repeat(32), "a_b.c-d"] {
        let response = sign_up(&app, json!({"username": ok, "password": PASSWORD})).await;
        assert_eq!(response.status().as_u16(), 201, "{ok}");
    }
    for bad in ["ab", &"c".repeat(33), "bad name", "émile", "a/b", ""] {
        let body = assert_problem(
            sign_up(&app, json!({"username": bad, "password": PASSWORD})).await,
            422,
        )
        .await;
        assert!(body["errors"]["username"].is_array(), "{bad}: {body}");
    }
}

#[tokio::test]
async fn passwords_are_checked_in_bytes_and_never_truncated() {
    let app = spawn_app().await;
    let euro72 = "€".repeat(24); // 72 bytes of UTF-8
    assert_eq!(
        sign_up(&app, json!({"username": "euro72", "password": euro72}))
            .await
            .status()
            .as_u16(),
        201
    );
    let euro73 = format!("{euro72}a");
    let cases = [
        ("euro73", euro73.as_str()),
        ("short", "k3y-car"),
        ("samename", "SameName"),
        ("common", "password123"),
        ("empty", ""),
    ];
    for (username, password) in cases {
        let body = assert_problem(
            sign_up(&app, json!({"username": username, "password": password})).await,
            422,
        )
        .await;
        assert!(body["errors"]["password"].is_array(), "{username}: {body}");
    }
    // The 72-byte password works in full, and a prefix of it does not.
    let token = app.login_token("euro72", &euro72).await;
    assert!(!token.is_empty());
    let prefix = "€".repeat(23);
    let response = app
        .post_json("/login", &json!({"username": "euro72", "password": prefix}))
        .await;
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn every_field_error_is_reported_at_once_and_nothing_is_created() {
    let app = spawn_app().await;
    let body = json!({"username": "x", "display_name": "a\u{7}b", "password": "short"});
    let problem = assert_problem(sign_up(&app, body).await, 422).await;
    for field in ["username", "display_name", "password"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    assert_eq!(
        assert_problem(sign_up(&app, json!({"username": "y".repeat(3), "display_name": "d".repeat(65), "password": PASSWORD})).await, 422)
            .await["errors"]["display_name"][0],
        "must be at most 64 characters"
    );
    assert_eq!(app.count_users().await, 0);
}

#[tokio::test]
async fn nul_characters_are_refused_in_every_field() {
    let app = spawn_app().await;
    for field in ["username", "display_name", "password"] {
        let mut body = json!({"username": "nully", "display_name": "N", "password": PASSWORD});
        body[field] = json!(format!("ab\u{0}cdefghij"));
        let problem = assert_problem(sign_up(&app, body).await, 422).await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let csrf = app.csrf_token().await;
    let form = app
        .post_form(
            "/users",
            &[
                ("username", "nul\0ly"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(form.status().as_u16(), 422);
    assert_eq!(app.count_users().await, 0);
}

#[tokio::test]
async fn usernames_differing_only_in_case_conflict() {
    let app = spawn_app().await;
    app.create_user("Casey").await;
    for other in ["casey", "CASEY", "cAsEy"] {
        let body = assert_problem(
            sign_up(&app, json!({"username": other, "password": PASSWORD})).await,
            409,
        )
        .await;
        assert!(
            !body["detail"].as_str().unwrap().contains("users_"),
            "no constraint names: {body}"
        );
    }
    assert_eq!(app.count_users().await, 1);
}

#[tokio::test]
async fn racing_sign_ups_of_one_name_have_exactly_one_winner() {
    let app = spawn_app().await;
    let attempts = (0..8).map(|i| {
        let name = if i % 2 == 0 { "Racer" } else { "racer" };
        sign_up(&app, json!({"username": name, "password": PASSWORD}))
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn the_html_form_comes_back_with_typed_values_and_messages_but_never_the_password() {
    let app = spawn_app().await;
    let csrf = app.csrf_token().await;
    let response = app
        .post_form(
            "/users",
            &[
                ("username", "ok_name"),
                ("display_name", "<b>Bold</b>"),
                ("password", "Secret!"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"value="ok_name""#), "username kept");
    assert!(
        html.contains("&#60;b&#62;Bold&#60;/b&#62;") && !html.contains("<b>Bold</b>"),
        "display name escaped"
    );
    assert!(!html.contains("Secret!"), "password never echoed");
    assert!(html.contains("Password must be at least 8 characters"));
    assert!(html.contains(r#"aria-invalid="true""#));
}

#[tokio::test]
async fn an_html_sign_up_signs_in_and_goes_to_me() {
    let app = spawn_app().await;
    let csrf = app.csrf_token().await;
    let response = app
        .post_form(
            "/users",
            &[
                ("username", "browser_bob"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/me");
    assert_eq!(app.whoami().await.as_deref(), Some("browser_bob"));

    let taken = app
        .post_form(
            "/users",
            &[
                ("username", "BROWSER_BOB"),
                ("password", PASSWORD),
                ("csrf_token", &app.csrf_token().await),
            ],
        )
        .await;
    assert_eq!(taken.status().as_u16(), 409);
    assert!(taken.text().await.unwrap().contains("already taken"));
}

#[tokio::test]
async fn closed_registration_is_403_and_the_form_page_is_not_json() {
    let app = spawn_app_with(|s| s.auth.registration_open = false).await;
    assert_problem(
        sign_up(&app, json!({"username": "closed", "password": PASSWORD})).await,
        403,
    )
    .await;
    assert_eq!(app.get_html("/register").await.status().as_u16(), 403);
    assert_eq!(app.count_users().await, 0);

    let open = spawn_app().await;
    let body = assert_problem(open.get_json("/register").await, 406).await;
    assert!(body["detail"].as_str().unwrap().contains("POST /users"));
    let page = open
        .request(reqwest::Method::GET, "/register")
        .header("Accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"name="csrf_token""#) && html.contains(r#"autocomplete="new-password""#)
    );
}

#[tokio::test]
async fn a_sign_up_that_asks_for_a_role_or_a_disabled_flag_still_gets_an_enabled_user() {
    let app = spawn_app().await;
    let response = sign_up(
        &app,
        json!({"username": "climber", "password": PASSWORD, "role": "admin", "disabled": true}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 201);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["role"], "user");
    assert_eq!(user["disabled"], false);
}

#[tokio::test]
async fn sign_up_refuses_invisible_or_direction_changing_display_names() {
    let app = spawn_app().await;
    let body = json!({"username": "bidi", "display_name": "admin\u{202E}", "password": PASSWORD});
    let problem = assert_problem(sign_up(&app, body).await, 422).await;
    assert_eq!(
        problem["errors"]["display_name"],
        json!(["must not contain invisible or direction-changing characters"])
    );
    assert_eq!(app.count_users().await, 0);
}
