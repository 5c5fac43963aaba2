//! JSON requests: from the browser-like client with its cookies, or from the cookie-less
//! client as a program would send them (anonymously, or with a Bearer token via `Api`);
//! accounts made through the JSON API; RFC 9457 problem answers.

use reqwest::{Method, Response};

use super::{PASSWORD, TestApp, unique_username};

impl TestApp {
    /// A JSON GET with this browser's cookies.
    pub async fn get_json(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
    }

    /// A JSON POST with this browser's cookies.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.request(Method::POST, path)
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A JSON POST from a program without cookies or a token.
    pub async fn post_json_anonymously(&self, path: &str, body: &serde_json::Value) -> Response {
        self.cookieless
            .post(self.url(path))
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Signs up through JSON from a client without cookies; returns the user.
    pub async fn create_user(&self, username: &str) -> serde_json::Value {
        let body = serde_json::json!({"username": username, "password": PASSWORD});
        let response = self.post_json_anonymously("/users", &body).await;
        assert_eq!(response.status().as_u16(), 201, "sign-up of {username}");
        response.json().await.unwrap()
    }

    /// JSON sign-in from a client without cookies; returns the token.
    pub async fn login_token(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let response = self.post_json_anonymously("/login", &body).await;
        assert_eq!(response.status().as_u16(), 200, "sign-in of {username}");
        let body: serde_json::Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// A fresh user and a Bearer token for them (the JSON login answer).
    pub async fn user_with_token(&self) -> (serde_json::Value, String) {
        let username = unique_username();
        let user = self.create_user(&username).await;
        let token = self.login_token(&username, PASSWORD).await;
        (user, token)
    }

    /// A fresh admin and a Bearer token for them.
    pub async fn admin_with_token(&self) -> (serde_json::Value, String) {
        let (user, token) = self.user_with_token().await;
        self.make_admin(&user).await;
        (user, token)
    }

    /// Who `GET /` says is signed in with this token (`None` when nobody).
    pub async fn whoami_bearer(&self, token: &str) -> Option<String> {
        let response = self.api(token).get("/").await;
        assert_eq!(response.status().as_u16(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["user"]["username"].as_str().map(str::to_string)
    }

    pub fn api(&self, token: &str) -> Api<'_> {
        Api {
            app: self,
            token: token.to_string(),
        }
    }
}

/// Requests made as a program: `Accept: application/json` and a Bearer token, no cookies.
pub struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    pub async fn get(&self, path: &str) -> Response {
        self.app
            .cookieless
            .get(self.app.url(path))
            .header("Accept", "application/json")
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Response {
        self.app
            .cookieless
            .post(self.app.url(path))
            .header("Accept", "application/json")
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_body(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.json().await.unwrap()
    }
}

/// Asserts an RFC 9457 problem response and returns its body.
pub async fn assert_problem(response: Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], "about:blank");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}
