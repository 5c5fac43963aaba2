//! Request bodies (contract §1): form or JSON only, 64 KiB, malformed is 400, a wrong
//! field type is 422 on that field, and a bug is a 500 that shows the request id and
//! nothing internal.

use reqwest::Method;
use serde_json::json;

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

/// Contract §1 (2026-12-01): a well-formed body that gives a field the wrong type is a
/// `422` on that field, like any other invalid value, in JSON and in HTML alike.
#[tokio::test]
async fn a_wrong_json_type_is_422_on_that_field_in_both_representations() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let (user, _) = app.user_with_token().await;
    let cases = [
        (
            "/users",
            json!({"username": 123, "password": PASSWORD}),
            "username",
        ),
        (
            "/users",
            json!({"username": "typed", "password": ["x"]}),
            "password",
        ),
        (
            "/users",
            json!({"username": null, "password": PASSWORD}),
            "username",
        ),
        (
            "/users",
            json!({"username": "typed", "password": PASSWORD, "display_name": 5}),
            "display_name",
        ),
        (
            "/login",
            json!({"username": 5, "password": PASSWORD}),
            "username",
        ),
        (
            "/login",
            json!({"username": "typed", "password": ["x"]}),
            "password",
        ),
        (
            "/login",
            json!({"username": "typed", "password": {"a": 1}}),
            "password",
        ),
    ];
    for (path, body, field) in cases {
        let problem = assert_problem(app.post_json_anonymously(path, &body).await, 422).await;
        assert_eq!(
            problem["errors"][field],
            json!(["must be text"]),
            "{path} {body}"
        );
    }
    let role = format!("/admin/users/{}/role", user["id"]);
    for wrong in [json!(null), json!(1), json!(["admin"]), json!(true)] {
        let response = app.api(&admin).post(&role, json!({ "role": wrong })).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(
            problem["errors"]["role"],
            json!(["must be text"]),
            "{wrong}"
        );
    }
    assert_eq!(
        app.api(&admin)
            .get_body(&format!("/users/{}", user["id"]))
            .await["role"],
        "user"
    );
    assert_eq!(app.count_users().await, 2, "nothing was created");

    // The same body from a browser-like Accept: the error page names the field.
    let html = app
        .request(Method::POST, "/users")
        .header("Accept", BROWSER_ACCEPT)
        .header("Content-Type", "application/json")
        .body(r#"{"username": 123, "password": "k3ycard-correct-horse"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(html.status().as_u16(), 422);
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = html.text().await.unwrap();
    assert!(
        page.contains("Username") && page.contains("must be text"),
        "{page}"
    );
}
