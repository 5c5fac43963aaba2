//! The directory: `GET /users` (pagination and search) and `GET /users/{id}`.

use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn the_list_is_paginated_by_id_with_a_total() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    for i in 0..24 {
        app.create_user(&format!("member{i:02}")).await;
    }
    let api = app.api(&token);
    let first = api.get_body("/users").await;
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 20);
    assert_eq!(first["total"], 25);
    let ids: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered by id");
    assert!(first["items"][0].get("password_hash").is_none());

    let second = api.get_body("/users?page=2").await;
    assert_eq!(second["items"].as_array().unwrap().len(), 5);
    let ten = api.get_body("/users?per_page=10&page=3").await;
    assert_eq!(ten["items"].as_array().unwrap().len(), 5);
    assert_eq!(ten["per_page"], 10);
    let one = api.get_body("/users?per_page=1").await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let all = api.get_body("/users?per_page=100").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 25);
    let past = api.get_body("/users?page=99").await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], 25);
}

#[tokio::test]
async fn bad_paging_values_are_400() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "per_page=0",
        "per_page=101",
        "per_page=1e2",
        "q=%00",
    ] {
        let response = app.api(&token).get(&format!("/users?{query}")).await;
        let body = assert_problem(response, 400).await;
        assert!(
            body["detail"].as_str().unwrap().len() > 3,
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn q_is_a_literal_case_insensitive_substring() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    for name in [
        "Alpha_one",
        "alphaXone",
        "beta.50",
        "gamma-5x0",
        "ALPHA.two",
    ] {
        app.create_user(name).await;
    }
    let api = app.api(&token);
    let names = |body: serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(api.get_body("/users?q=alpha").await),
        ["Alpha_one", "alphaXone", "ALPHA.two"]
    );
    assert_eq!(
        names(api.get_body("/users?q=a_o").await),
        ["Alpha_one"],
        "_ is literal"
    );
    assert_eq!(
        names(api.get_body("/users?q=%25").await),
        Vec::<String>::new(),
        "% is literal"
    );
    assert_eq!(
        names(api.get_body("/users?q=5%250").await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(api.get_body("/users?q=%5C").await),
        Vec::<String>::new(),
        "\\ is literal"
    );
    assert_eq!(
        names(api.get_body("/users?q=.").await),
        ["beta.50", "ALPHA.two"]
    );
    for hostile in [
        "'",
        "\"",
        "' OR 1=1 --",
        "'; DROP TABLE users; --",
        "a%' OR '1'='1",
    ] {
        let query = serde_urlencoded::to_string([("q", hostile)]).unwrap();
        let body = api.get_body(&format!("/users?{query}")).await;
        assert_eq!(body["total"], 0, "{hostile}");
    }
    assert_eq!(app.count_users().await, 6);
}

#[tokio::test]
async fn the_html_list_links_pages_and_keeps_the_search() {
    let app = spawn_app().await;
    app.browser_user().await;
    for i in 0..5 {
        app.create_user(&format!("page_user{i}")).await;
    }
    let response = app.get_html("/users?q=page_user&per_page=2").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("page_user0") && html.contains("page_user1"));
    assert!(!html.contains("page_user2"));
    assert!(
        html.contains("/users?page=2&amp;per_page=2&amp;q=page_user")
            || html.contains("/users?page=2&#38;per_page=2&#38;q=page_user"),
        "{html}"
    );
    assert!(html.contains("Page 1 of 3"));
    let bad = app.get_html("/users?page=zero").await;
    assert_eq!(bad.status().as_u16(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Page must be a whole number")
    );
}

#[tokio::test]
async fn a_profile_by_id_and_404_for_unknown_or_non_numeric_ids() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    let body = app
        .api(&token)
        .get_body(&format!("/users/{}", user["id"]))
        .await;
    assert_eq!(body, user);
    for id in ["999999", "0", "-1", "abc", "1.5", "99999999999999999999"] {
        let response = app.api(&token).get(&format!("/users/{id}")).await;
        assert_problem(response, 404).await;
    }
    app.browser_user().await;
    let html = app.get_html(&format!("/users/{}", user["id"])).await;
    assert_eq!(html.status().as_u16(), 200);
    assert!(
        html.text()
            .await
            .unwrap()
            .contains(user["username"].as_str().unwrap())
    );
    assert_eq!(app.get_html("/users/abc").await.status().as_u16(), 404);
}

#[tokio::test]
async fn hostile_display_names_are_escaped_on_every_page_that_shows_them() {
    let app = spawn_app().await;
    let hostile = r#"<script>alert("x")</script> & 'quoted'"#;
    let (victim, token) = app.user_with_token().await;
    let response = app
        .api(&token)
        .post("/me", json!({"display_name": hostile}))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    // JSON carries it as data.
    assert_eq!(
        app.api(&token).get_body("/me").await["display_name"],
        hostile
    );

    // The victim's own pages, in a browser.
    let browser = app.another_browser();
    let response = browser
        .browser_login(
            victim["username"].as_str().unwrap(),
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    browser.make_admin(&victim).await;
    for path in [
        "/".to_string(),
        "/me".to_string(),
        "/users".to_string(),
        format!("/users/{}", victim["id"]),
        "/admin".to_string(),
        "/me/sessions".to_string(),
    ] {
        let response = browser.get_html(&path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path} has a raw <script>");
        assert!(!html.contains("'quoted'"), "{path} has raw quotes");
        assert!(!html.contains("& '"), "{path} has a raw ampersand");
    }
}
