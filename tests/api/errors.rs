//! Contract §1 errors that exist without signing in: 404, 405 with `Allow`, request ids.

use crate::helpers::{BROWSER_ACCEPT, assert_problem, spawn_app};

#[tokio::test]
async fn an_unknown_path_is_404_in_both_representations() {
    let app = spawn_app().await;
    let body = assert_problem(app.get_json("/no/such/page").await, 404).await;
    assert_eq!(body["title"], "Not Found");

    let response = app.get_html("/no/such/page").await;
    assert_eq!(response.status().as_u16(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<!doctype html>") && html.contains("Not Found") && html.contains("keycard")
    );
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/readyz"] {
        let response = app
            .request(reqwest::Method::DELETE, path)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], "GET", "{path}");
        assert_problem(response, 405).await;
    }
    let response = app
        .request(reqwest::Method::PUT, "/")
        .header("Accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Method Not Allowed")
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_one_is_kept() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/nope", "/static/style.css"] {
        let response = app.get_html(path).await;
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{path}: {id}");
    }
    let kept = app
        .request(reqwest::Method::GET, "/")
        .header("X-Request-Id", "trace-abc_123.x")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-abc_123.x");
    let long = "a".repeat(65);
    for insane in ["has space", "<script>", long.as_str(), "semi;colon"] {
        let replaced = app
            .request(reqwest::Method::GET, "/nope")
            .header("X-Request-Id", insane)
            .send()
            .await
            .unwrap();
        let id = replaced.headers()["x-request-id"].to_str().unwrap();
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "{insane} was kept as {id}"
        );
    }
}
