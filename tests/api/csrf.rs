//! CSRF, signed double submit, and the `Origin` check (contract §4).

use reqwest::Method;

use crate::helpers::{BROWSER_ACCEPT, PASSWORD, TestApp, assert_problem, spawn_app};

/// The unsafe routes a signed-in browser can reach, with the fields of a good request;
/// each must refuse a missing or bad token and change nothing.
pub const COOKIE_ROUTES: &[(&str, &[(&str, &str)])] = &[
    ("/logout", &[]),
    ("/refresh", &[]),
    ("/me", &[("display_name", "Changed")]),
    (
        "/me/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a-brand-new-passphrase"),
        ],
    ),
    ("/me/logout-all", &[]),
    ("/me/logout-others", &[]),
];

async fn signed_in_browser(app: &TestApp, username: &str) {
    app.create_user(username).await;
    assert_eq!(
        app.browser_login(username, PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
}

async fn post(
    app: &TestApp,
    path: &str,
    header: Option<&str>,
    field: Option<&str>,
    origin: Option<&str>,
) -> reqwest::Response {
    post_with(app, path, &[], header, field, origin).await
}

async fn post_with(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    header: Option<&str>,
    field: Option<&str>,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .request(Method::POST, path)
        .header("Accept", "application/json");
    if let Some(value) = header {
        request = request.header("X-CSRF-Token", value);
    }
    if let Some(value) = origin {
        request = request.header("Origin", value);
    }
    let mut body = fields.to_vec();
    if let Some(value) = field {
        body.push(("csrf_token", value));
    }
    if body.is_empty() {
        request
    } else {
        request.form(&body)
    }
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn cookie_authenticated_unsafe_requests_need_the_matching_token() {
    for (path, fields) in COOKIE_ROUTES {
        let app = spawn_app().await;
        signed_in_browser(&app, "csrfuser").await;
        let good = app.csrf_token().await;
        let (nonce, _) = good.split_once('.').unwrap();
        let forged_mac = format!("{nonce}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        for (case, header, field) in [
            ("missing", None, None),
            ("empty header", Some(""), None),
            ("empty field", None, Some("")),
            ("wrong header", Some("abc.def"), None),
            ("wrong field", None, Some(forged_mac.as_str())),
            ("nonce only", Some(nonce), None),
        ] {
            let response = post_with(&app, path, fields, header, field, None).await;
            assert_problem(response, 403).await;
            assert_eq!(
                app.whoami().await.as_deref(),
                Some("csrfuser"),
                "{path} {case} changed something"
            );
            let me: serde_json::Value = app.get_json("/me").await.json().await.unwrap();
            assert!(
                me["display_name"].is_null(),
                "{path} {case} changed the profile"
            );
        }
        // The password is unchanged (this asserts a successful sign-in).
        app.login_token("csrfuser", PASSWORD).await;
        let response = post_with(&app, path, fields, Some(&good), None, Some(&app.address)).await;
        assert!(
            response.status().is_success(),
            "{path} with the header: {}",
            response.status()
        );
    }
}

#[tokio::test]
async fn the_field_works_as_well_as_the_header() {
    let app = spawn_app().await;
    signed_in_browser(&app, "fielduser").await;
    let token = app.csrf_token().await;
    let response = post(&app, "/logout", None, Some(&token), None).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(app.whoami().await, None);
}

#[tokio::test]
async fn a_value_the_server_did_not_mint_is_refused_even_when_cookie_and_field_agree() {
    let app = spawn_app().await;
    signed_in_browser(&app, "mintuser").await;
    app.set_cookie("csrf_token", "attacker.chosen");
    let response = post(&app, "/logout", Some("attacker.chosen"), None, None).await;
    assert_problem(response, 403).await;
    assert_eq!(app.whoami().await.as_deref(), Some("mintuser"));
}

#[tokio::test]
async fn a_foreign_origin_is_refused_even_with_a_good_token() {
    let app = spawn_app().await;
    signed_in_browser(&app, "originuser").await;
    let token = app.csrf_token().await;
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        assert_problem(
            post(&app, "/logout", Some(&token), None, Some(origin)).await,
            403,
        )
        .await;
    }
    assert_eq!(app.whoami().await.as_deref(), Some("originuser"));
    let login = app
        .request(Method::POST, "/login")
        .header("Accept", "application/json")
        .header("Origin", "http://evil.example")
        .json(&serde_json::json!({"username": "originuser", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_problem(login, 403).await;
}

#[tokio::test]
async fn form_posts_need_the_token_even_without_a_session() {
    let app = spawn_app().await;
    app.create_user("formonly").await;
    let response = app
        .request(Method::POST, "/login")
        .header("Accept", BROWSER_ACCEPT)
        .form(&[("username", "formonly"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let response = app
        .request(Method::POST, "/users")
        .header("Accept", BROWSER_ACCEPT)
        .form(&[("username", "formsignup"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.count_users().await, 1);
}

#[tokio::test]
async fn json_sign_in_and_sign_up_without_cookies_need_no_token() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let response = client
        .post(app.url("/users"))
        .header("Accept", "application/json")
        .json(&serde_json::json!({"username": "jsonuser", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let response = client
        .post(app.url("/login"))
        .header("Accept", "application/json")
        .json(&serde_json::json!({"username": "jsonuser", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn pages_with_forms_set_a_signed_csrf_cookie_and_embed_it() {
    let app = spawn_app().await;
    let response = app.get_html("/login").await;
    let cookie =
        crate::helpers::set_cookie_header(&response, "csrf_token").expect("csrf cookie set");
    assert!(
        cookie.contains("SameSite=Lax") && !cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let value = cookie
        .trim_start_matches("csrf_token=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"name="csrf_token" value="{value}""#)));
    // With a genuine cookie, pages reuse it instead of minting another.
    let again = app.get_html("/login").await;
    assert!(crate::helpers::set_cookie_header(&again, "csrf_token").is_none());
}

#[tokio::test]
async fn with_a_public_url_only_that_origin_is_the_sites_own() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.public_url = "https://id.example.com".into();
    })
    .await;
    let (_, token) = app.user_with_token().await;
    let post = |origin: String| {
        reqwest::Client::new()
            .post(app.url("/me"))
            .header("Accept", "application/json")
            .header("Origin", origin.clone())
            .bearer_auth(&token)
            .json(&serde_json::json!({"display_name": origin}))
            .send()
    };
    // The request's own Host (what counts without public_url) no longer does.
    assert_problem(post(app.address.clone()).await.unwrap(), 403).await;
    assert_problem(post("http://id.example.com".into()).await.unwrap(), 403).await;
    let own = post("https://id.example.com".into()).await.unwrap();
    assert_eq!(own.status().as_u16(), 200);
}

/// A JSON `POST /me` with a Bearer token (no CSRF involved), an `Origin` and extra
/// headers: only the `Origin` check can refuse it.
async fn post_with_origin(
    app: &TestApp,
    token: &str,
    origin: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(app.url("/me"))
        .header("Accept", "application/json")
        .header("Origin", origin)
        .bearer_auth(token)
        .json(&serde_json::json!({"display_name": "From somewhere"}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Contract §4 (2026-12-01): without `server.public_url` the site's origin is the
/// request's scheme and `Host`; `X-Forwarded-Proto` from a peer that is not a trusted
/// proxy is not believed; default ports are the same as none.
#[tokio::test]
async fn without_a_public_url_the_scheme_counts_and_a_stray_forwarded_proto_does_not() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    let host = app.address.trim_start_matches("http://").to_string();
    let http = format!("http://{host}");
    let https = format!("https://{host}");
    let status = |response: reqwest::Response| response.status().as_u16();

    assert_eq!(
        status(post_with_origin(&app, &token, &http, &[]).await),
        200
    );
    assert_problem(post_with_origin(&app, &token, &https, &[]).await, 403).await;
    let proto = [("X-Forwarded-Proto", "https")];
    assert_problem(post_with_origin(&app, &token, &https, &proto).await, 403).await;
    assert_eq!(
        status(post_with_origin(&app, &token, &http, &proto).await),
        200
    );

    // An explicit default port is the same as none, on either side.
    let host = [("Host", "keycard.test")];
    assert_eq!(
        status(post_with_origin(&app, &token, "http://keycard.test:80", &host).await),
        200
    );
    let host = [("Host", "keycard.test:80")];
    assert_eq!(
        status(post_with_origin(&app, &token, "http://keycard.test", &host).await),
        200
    );
    assert_problem(
        post_with_origin(&app, &token, "http://keycard.test:8080", &host).await,
        403,
    )
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_its_forwarded_scheme_is_the_sites() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let (_, token) = app.user_with_token().await;
    let host = app.address.trim_start_matches("http://").to_string();
    let (http, https) = (format!("http://{host}"), format!("https://{host}"));
    let proto = [("X-Forwarded-Proto", "https")];

    let own = post_with_origin(&app, &token, &https, &proto).await;
    assert_eq!(own.status().as_u16(), 200);
    assert_problem(post_with_origin(&app, &token, &http, &proto).await, 403).await;
    let forwarded = [("Forwarded", "for=198.51.100.7;proto=https")];
    let own = post_with_origin(&app, &token, &https, &forwarded).await;
    assert_eq!(own.status().as_u16(), 200);
    let plain = post_with_origin(&app, &token, &http, &[]).await;
    assert_eq!(
        plain.status().as_u16(),
        200,
        "no forwarded scheme: the connection's"
    );
}

/// A `public_url` written with its default port (`https://x:443`) used to refuse every
/// browser POST, since browsers never send a default port in `Origin`.
#[tokio::test]
async fn a_public_url_with_its_default_port_accepts_the_browsers_origin() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.public_url = "https://id.example.com:443".into();
    })
    .await;
    let (_, token) = app.user_with_token().await;
    for origin in ["https://id.example.com", "https://ID.example.com:443"] {
        let response = post_with_origin(&app, &token, origin, &[]).await;
        assert_eq!(response.status().as_u16(), 200, "{origin}");
    }
    for origin in ["http://id.example.com", "https://id.example.com:8443"] {
        assert_problem(post_with_origin(&app, &token, origin, &[]).await, 403).await;
    }
}
