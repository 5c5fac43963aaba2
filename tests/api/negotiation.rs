//! Contract §1 negotiation over HTTP, on `GET /`.

use crate::helpers::{BROWSER_ACCEPT, assert_problem, spawn_app};

#[tokio::test]
async fn each_accept_header_gets_the_representation_the_contract_names() {
    let app = spawn_app().await;
    let cases: &[(Option<&str>, &str)] = &[
        (Some(BROWSER_ACCEPT), "text/html"),
        (Some("*/*"), "text/html"),
        (None, "text/html"),
        (Some("application/json"), "application/json"),
        (
            Some("application/json, text/plain, */*"),
            "application/json",
        ),
        (Some("application/*"), "application/json"),
        (
            Some("text/html;q=0.5, application/json;q=0.9"),
            "application/json",
        ),
        (Some("application/json;q=0.5, text/html;q=0.9"), "text/html"),
        // Equal q: the more specific match wins, and a tie of specificity is HTML.
        (
            Some("application/json;q=0.8, */*;q=0.8"),
            "application/json",
        ),
        (Some("application/json, text/html"), "text/html"),
        (Some("application/*, text/*"), "text/html"),
        (Some("application/json;q=0, */*"), "text/html"),
        (Some("text/html;q=0, */*"), "application/json"),
    ];
    for (accept, expected) in cases {
        let mut request = app.request(reqwest::Method::GET, "/");
        if let Some(accept) = accept {
            request = request.header("Accept", *accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "Accept: {accept:?}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with(expected),
            "Accept: {accept:?} gave {content_type}"
        );
        assert_eq!(response.headers()["vary"], "Accept", "Accept: {accept:?}");
    }
}

#[tokio::test]
async fn nothing_acceptable_is_406_as_a_json_problem() {
    let app = spawn_app().await;
    for accept in [
        "text/csv",
        "application/json;q=0, text/html;q=0",
        "*/*;q=0",
        "image/png",
    ] {
        let response = app
            .request(reqwest::Method::GET, "/")
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["vary"], "Accept");
        assert!(response.headers().contains_key("x-request-id"));
        let body = assert_problem(response, 406).await;
        assert_eq!(body["title"], "Not Acceptable", "{accept}");
    }
}

#[tokio::test]
async fn the_home_page_json_names_the_service_and_no_user() {
    let app = spawn_app().await;
    let body: serde_json::Value = app.get_json("/").await.json().await.unwrap();
    assert_eq!(body["service"], "keycard");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["user"].is_null());
}

#[tokio::test]
async fn the_home_page_is_a_full_page_with_sign_in_links_and_no_store() {
    let app = spawn_app().await;
    let response = app.get_html("/").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains(r#"href="/login""#) && html.contains(r#"href="/register""#));
    assert!(html.contains("/static/style.css?v="));
}
