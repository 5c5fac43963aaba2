//! The browser-like client: HTML pages, form posts with the CSRF token, the cookie jar,
//! and redirects, which it follows only when a helper's name says so.

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, RequestBuilder, Response, Url};

use super::spawn::browser_client;
use super::{PASSWORD, TestApp, unique_username};

pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

impl TestApp {
    /// A request from this browser, with its cookies.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get_html(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .header("Accept", BROWSER_ACCEPT)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.request(Method::POST, path)
            .header("Accept", BROWSER_ACCEPT)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// A form POST carrying this browser's CSRF token.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf_token().await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &csrf));
        self.post_form(path, &all).await
    }

    /// The page a redirect leads to, fetched as a browser.
    pub async fn follow_redirect(&self, response: &Response) -> String {
        let location = response.headers()["location"].to_str().unwrap().to_string();
        self.get_html(&location).await.text().await.unwrap()
    }

    /// A cookie from this client's jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = Url::parse(&self.address).unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }

    /// Puts a cookie into this client's jar, as a browser would hold it.
    pub fn set_cookie(&self, name: &str, value: &str) {
        let url = Url::parse(&self.address).unwrap();
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    /// The CSRF token, fetching a form page first when the jar has none.
    pub async fn csrf_token(&self) -> String {
        if let Some(token) = self.cookie("csrf_token") {
            return token;
        }
        self.get_html("/").await;
        self.cookie("csrf_token")
            .expect("a csrf_token cookie after a page view")
    }

    /// Signs this app's browser-like client in through the HTML form.
    pub async fn browser_login(&self, username: &str, password: &str) -> Response {
        let csrf = self.csrf_token().await;
        self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf_token", &csrf),
            ],
        )
        .await
    }

    /// Signs up and signs in this browser through the HTML forms; returns the username.
    pub async fn browser_user(&self) -> String {
        let username = unique_username();
        self.create_user(&username).await;
        let response = self.browser_login(&username, PASSWORD).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "browser sign-in of {username}"
        );
        username
    }

    /// A fresh admin signed in in this browser; returns the user.
    pub async fn browser_admin(&self) -> serde_json::Value {
        let username = unique_username();
        let user = self.create_user(&username).await;
        self.make_admin(&user).await;
        let response = self.browser_login(&username, PASSWORD).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "browser sign-in of {username}"
        );
        user
    }

    /// Who `GET /` says is signed in with this client's cookies.
    pub async fn whoami(&self) -> Option<String> {
        let body: serde_json::Value = self.get_json("/").await.json().await.unwrap();
        body["user"]["username"].as_str().map(str::to_string)
    }

    /// A second browser on the same app, with its own cookie jar.
    pub fn another_browser(&self) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            hash_stats: self.hash_stats.clone(),
            address: self.address.clone(),
            metrics_address: self.metrics_address.clone(),
            database_url: self.database_url.clone(),
            settings: self.settings.clone(),
            client: browser_client(jar.clone()),
            jar,
            cookieless: self.cookieless.clone(),
            shutdown: self.shutdown.clone(),
            stopped: self.stopped.clone(),
            database_down: self.database_down.clone(),
        }
    }
}

/// The `Set-Cookie` header for `name` in a response, if any.
pub fn set_cookie_header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

pub fn assert_is_redirect_to(response: &Response, location: &str) {
    assert_eq!(
        response.status().as_u16(),
        303,
        "expected a 303 to {location}"
    );
    assert_eq!(response.headers()["location"].to_str().unwrap(), location);
}
