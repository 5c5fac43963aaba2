//! `/static/*`: files with ETag/Last-Modified and 304s; no listing; no way out of the folder.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app;

/// Sends `target` exactly as given (no client-side normalisation of `..` or `%2e`).
async fn raw_get(address: &str, target: &str) -> (u16, String) {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn the_stylesheet_is_served_with_validators_and_answers_304() {
    let app = spawn_app().await;
    let response = app.get_html("/static/style.css").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let modified = response.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();

    let by_etag = app
        .request(reqwest::Method::GET, "/static/style.css")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(by_etag.status().as_u16(), 304);
    let by_date = app
        .request(reqwest::Method::GET, "/static/style.css")
        .header("If-Modified-Since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status().as_u16(), 304);
}

#[tokio::test]
async fn versioned_assets_are_cached_for_a_year() {
    let app = spawn_app().await;
    let response = app.get_html("/static/style.css?v=abc").await;
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn there_is_no_directory_listing() {
    let app = spawn_app().await;
    for path in ["/static/", "/static"] {
        let (status, body) = raw_get(&app.address, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains("href=\"/static/style.css\""),
            "{path} listed the folder"
        );
    }
}

#[tokio::test]
async fn traversal_attempts_never_leave_the_folder() {
    let app = spawn_app().await;
    let attempts = [
        "/static/../Cargo.toml",
        "/static/../../etc/passwd",
        "/static/%2e%2e/Cargo.toml",
        "/static/%2E%2E/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/..%2FCargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/..%5cCargo.toml",
        "/static/..\\Cargo.toml",
        "/static/....//Cargo.toml",
        "/static/%252e%252e/Cargo.toml",
        "/static/.%2e/Cargo.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/style.css%00.txt",
        "/static/.gitignore",
    ];
    for target in attempts {
        let (status, body) = raw_get(&app.address, target).await;
        assert!(matches!(status, 400 | 404), "{target} gave {status}");
        assert!(!body.contains("[package]"), "{target} leaked Cargo.toml");
        assert!(!body.contains("root:"), "{target} leaked /etc/passwd");
    }
}
