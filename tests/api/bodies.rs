//! Request bodies (contract §1): form or JSON only, 64 KiB, malformed is 400, and a bug
//! is a 500 that shows the request id and nothing internal.

use reqwest::Method;

use crate::helpers::{BROWSER_ACCEPT, PASSWORD, assert_problem, spawn_app};

#[tokio::test]
async fn a_body_over_64_kib_is_413_also_when_chunked() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"username": "{}", "password": "x"}}"#,
        "a".repeat(70 * 1024)
    );
    let response = app
        .request(Method::POST, "/login")
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;

    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .into_bytes()
        .chunks(4096)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let response = app
        .request(Method::POST, "/login")
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;
    let html = app
        .request(Method::POST, "/users")
        .header("Accept", BROWSER_ACCEPT)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("username={}", "b".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status().as_u16(), 413);
    assert!(html.text().await.unwrap().contains("64 KiB"));
}

#[tokio::test]
async fn other_body_types_are_415_and_malformed_bodies_400() {
    let app = spawn_app().await;
    for content_type in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let response = app
            .request(Method::POST, "/login")
            .header("Accept", "application/json")
            .header("Content-Type", content_type)
            .body("username=a")
            .send()
            .await
            .unwrap();
        assert_problem(response, 415).await;
    }
    let no_type = app
        .request(Method::POST, "/login")
        .header("Accept", "application/json")
        .body("x=1")
        .send()
        .await
        .unwrap();
    assert_problem(no_type, 415).await;
    for malformed in ["{", "[1,2]", "\"text\"", "{\"username\": }"] {
        let response = app
            .request(Method::POST, "/login")
            .header("Accept", "application/json")
            .header("Content-Type", "application/json; charset=utf-8")
            .body(malformed)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400).await;
    }
    let wrong_types = app
        .post_json(
            "/login",
            &serde_json::json!({"username": 5, "password": ["x"]}),
        )
        .await;
    assert_problem(wrong_types, 400).await;
    // The response follows Accept, not the body's type.
    let html = app
        .request(Method::POST, "/login")
        .header("Accept", BROWSER_ACCEPT)
        .header("Content-Type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status().as_u16(), 400);
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn a_bug_is_a_500_with_the_request_id_and_nothing_internal() {
    let app = spawn_app().await;
    app.create_user("victim").await;
    app.sql("DROP TABLE sessions CASCADE").await;
    let response = app
        .post_json(
            "/login",
            &serde_json::json!({"username": "victim", "password": PASSWORD}),
        )
        .await;
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body = assert_problem(response, 500).await;
    assert_eq!(body["request_id"], id.as_str());
    let text = body.to_string().to_lowercase();
    for leak in ["sessions", "relation", "sql", "diesel", "panicked", ".rs"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
    let html = app
        .post_form(
            "/login",
            &[
                ("username", "victim"),
                ("password", PASSWORD),
                ("csrf_token", &app.csrf_token().await),
            ],
        )
        .await;
    assert_eq!(html.status().as_u16(), 500);
    let page = html.text().await.unwrap();
    assert!(page.contains("request id") && !page.contains("relation"));
}
