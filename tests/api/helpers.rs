//! `spawn_app()`: a keycard on a free port with a fresh database cloned from a migrated
//! template, and a `TestApp` with a cookie-keeping client that does not follow redirects.

#![allow(dead_code)] // a toolbox: not every test module uses every helper

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use diesel::prelude::*;
use keycard::settings::{self, Settings};
use keycard::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, RequestBuilder, Response, Url};
use tokio::sync::OnceCell;

pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

static TEMPLATE: OnceCell<()> = OnceCell::const_new();
const TEMPLATE_DB: &str = "keycard_test_template";

pub fn server_url() -> String {
    std::env::var("KEYCARD_TEST_DATABASE_URL").expect(
        "KEYCARD_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts a private PostgreSQL",
    )
}

/// `postgres://.../<name>` on the test server.
pub fn database_url(name: &str) -> String {
    let base = server_url();
    let (server, _) = base.rsplit_once('/').expect("a database URL with a path");
    format!("{server}/{name}")
}

/// Creates (once per process) a template database with every migration applied.
async fn ensure_template() {
    TEMPLATE
        .get_or_init(|| async {
            tokio::task::spawn_blocking(|| {
                let mut admin =
                    PgConnection::establish(&server_url()).expect("connect to test PostgreSQL");
                // Test binaries may run at once; one creates the template, the others wait.
                diesel::sql_query("SELECT pg_advisory_lock(4242)")
                    .execute(&mut admin)
                    .unwrap();
                #[derive(QueryableByName)]
                struct Count {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let exists = diesel::sql_query(format!(
                    "SELECT count(*) AS n FROM pg_database WHERE datname = '{TEMPLATE_DB}'"
                ))
                .get_result::<Count>(&mut admin)
                .unwrap()
                .n > 0;
                if !exists {
                    diesel::sql_query(format!("CREATE DATABASE {TEMPLATE_DB}"))
                        .execute(&mut admin)
                        .unwrap();
                    let mut conn = PgConnection::establish(&database_url(TEMPLATE_DB)).unwrap();
                    keycard::db::run_migrations(&mut conn).unwrap();
                }
                diesel::sql_query("SELECT pg_advisory_unlock(4242)")
                    .execute(&mut admin)
                    .unwrap();
            })
            .await
            .unwrap();
        })
        .await;
}

/// A fresh database for one test, cloned from the template.
pub async fn fresh_database() -> String {
    ensure_template().await;
    let name = format!("keycard_test_{}", uuid::Uuid::new_v4().simple());
    let statement = format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}");
    tokio::task::spawn_blocking(move || {
        let mut admin = PgConnection::establish(&server_url()).unwrap();
        diesel::sql_query(statement).execute(&mut admin).unwrap();
    })
    .await
    .unwrap();
    database_url(&name)
}

/// Settings as keycard loads them with `KEYCARD_ENV=test`, on a free port.
pub fn test_settings(database_url: &str) -> Settings {
    let vars: BTreeMap<String, String> = [("KEYCARD_ENV".to_string(), "test".to_string())].into();
    let mut s = settings::load(Path::new("config"), &vars).unwrap();
    s.server.port = 0;
    s.server.workers = 2;
    s.database.url = Some(settings::Secret::new(database_url));
    s.database.pool_size = 4;
    s.database.connect_timeout_secs = 2;
    if let Some((algorithm, pem)) = test_signing_key() {
        s.auth.jwt_algorithm = *algorithm;
        s.auth.jwt_private_key = Some(settings::Secret::new(pem.as_str()));
    }
    settings::finalize(s).unwrap().0
}

/// `KEYCARD_TEST_JWT_ALGORITHM=ES256` (or `EdDSA`) runs every test with tokens signed by
/// a key made once per test process; unset (or `HS256`), with config/test.toml's secret.
pub fn test_signing_key() -> &'static Option<(settings::JwtAlgorithm, String)> {
    static KEY: std::sync::OnceLock<Option<(settings::JwtAlgorithm, String)>> =
        std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let algorithm = match std::env::var("KEYCARD_TEST_JWT_ALGORITHM").as_deref() {
            Err(_) | Ok("") | Ok("HS256") => return None,
            Ok("ES256") => settings::JwtAlgorithm::ES256,
            Ok("EdDSA") => settings::JwtAlgorithm::EdDSA,
            Ok(other) => panic!("KEYCARD_TEST_JWT_ALGORITHM={other}: use HS256, ES256 or EdDSA"),
        };
        Some((algorithm, keycard::commands::gen_key(algorithm).unwrap()))
    })
}

/// The `alg` the test apps sign with.
pub fn test_algorithm() -> &'static str {
    match test_signing_key() {
        None => "HS256",
        Some((settings::JwtAlgorithm::ES256, _)) => "ES256",
        Some(_) => "EdDSA",
    }
}

/// Re-signs a header and claims (as given) with the test apps' own key, which only
/// keycard holds in production: for tokens that differ from a real one in one claim.
pub fn sign_as_keycard(header: &serde_json::Value, claims: &serde_json::Value) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Some((algorithm, pem)) = test_signing_key() else {
        return sign_hs256(header, claims, TEST_SECRET.as_bytes());
    };
    let input = format!(
        "{}.{}",
        engine.encode(header.to_string()),
        engine.encode(claims.to_string())
    );
    let signature = match algorithm {
        settings::JwtAlgorithm::ES256 => {
            use p256::ecdsa::signature::Signer;
            use p256::pkcs8::DecodePrivateKey;
            let key = p256::ecdsa::SigningKey::from_pkcs8_pem(pem).unwrap();
            let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
            signature.to_bytes().to_vec()
        }
        _ => {
            use ed25519_dalek::Signer;
            use ed25519_dalek::pkcs8::DecodePrivateKey;
            let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem).unwrap();
            key.sign(input.as_bytes()).to_bytes().to_vec()
        }
    };
    format!("{input}.{}", engine.encode(signature))
}

const TEST_SECRET: &str = "test-secret-do-not-use-in-production-0123456789";

pub struct TestApp {
    /// How many bcrypt operations this instance ran, by cost.
    pub hash_stats: Arc<keycard::startup::HashStats>,
    pub address: String,
    pub database_url: String,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let database_url = fresh_database().await;
    let mut settings = test_settings(&database_url);
    customize(&mut settings);
    spawn_with_settings(settings).await
}

/// Starts keycard with exactly these settings (a second instance on one database, say).
pub async fn spawn_with_settings(settings: Settings) -> TestApp {
    let database_url = settings.database.url.as_ref().unwrap().expose().to_string();
    let app = Application::build(settings.clone()).expect("keycard starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let hash_stats = app.hash_stats();
    tokio::spawn(app.run_until_stopped());
    let jar = Arc::new(Jar::default());
    TestApp {
        hash_stats,
        address,
        database_url,
        settings,
        client: client_with(jar.clone()),
        jar,
    }
}

pub fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar)
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

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

    pub async fn get_json(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .header("Accept", "application/json")
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

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.request(Method::POST, path)
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .unwrap()
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

    /// The CSRF token, fetching a form page first when the jar has none.
    pub async fn csrf_token(&self) -> String {
        if let Some(token) = self.cookie("csrf_token") {
            return token;
        }
        self.get_html("/").await;
        self.cookie("csrf_token")
            .expect("a csrf_token cookie after a page view")
    }

    pub fn db(&self) -> PgConnection {
        PgConnection::establish(&self.database_url).unwrap()
    }
}

pub fn assert_is_redirect_to(response: &Response, location: &str) {
    assert_eq!(
        response.status().as_u16(),
        303,
        "expected a 303 to {location}"
    );
    assert_eq!(response.headers()["location"].to_str().unwrap(), location);
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

/// A username nobody else in this database has.
pub fn unique_username() -> String {
    format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

pub const PASSWORD: &str = "k3ycard-correct-horse";

impl TestApp {
    /// A JSON POST from a program without cookies or a token.
    pub async fn post_json_anonymously(&self, path: &str, body: &serde_json::Value) -> Response {
        reqwest::Client::new()
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

    /// A fresh user and a Bearer token for them (the JSON login answer).
    pub async fn user_with_token(&self) -> (serde_json::Value, String) {
        let username = unique_username();
        let user = self.create_user(&username).await;
        let token = self.login_token(&username, PASSWORD).await;
        (user, token)
    }

    /// JSON sign-in from a client without cookies; returns the token.
    pub async fn login_token(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let response = self.post_json_anonymously("/login", &body).await;
        assert_eq!(response.status().as_u16(), 200, "sign-in of {username}");
        let body: serde_json::Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
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

    /// Who `GET /` says is signed in with this token (`None` when nobody).
    pub async fn whoami_bearer(&self, token: &str) -> Option<String> {
        let response = reqwest::Client::new()
            .get(self.url("/"))
            .header("Accept", "application/json")
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["user"]["username"].as_str().map(str::to_string)
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
            database_url: self.database_url.clone(),
            settings: self.settings.clone(),
            client: client_with(jar.clone()),
            jar,
        }
    }

    /// Puts a cookie into this client's jar, as a browser would hold it.
    pub fn set_cookie(&self, name: &str, value: &str) {
        let url = Url::parse(&self.address).unwrap();
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    pub async fn count_users(&self) -> i64 {
        let url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            use keycard::db::schema::users;
            let mut conn = PgConnection::establish(&url).unwrap();
            users::table.count().get_result::<i64>(&mut conn).unwrap()
        })
        .await
        .unwrap()
    }

    /// Runs SQL against this app's database.
    pub async fn sql(&self, statement: &str) {
        let (url, statement) = (self.database_url.clone(), statement.to_string());
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            diesel::sql_query(statement).execute(&mut conn).unwrap();
        })
        .await
        .unwrap();
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

/// Decodes a JWT's header and claims without verifying it.
pub fn token_parts(token: &str) -> (serde_json::Value, serde_json::Value) {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let header = engine.decode(parts.next().unwrap()).unwrap();
    let claims = engine.decode(parts.next().unwrap()).unwrap();
    (
        serde_json::from_slice(&header).unwrap(),
        serde_json::from_slice(&claims).unwrap(),
    )
}

/// Re-signs a header and claims with HMAC-SHA256 under `secret`, as a forger would.
pub fn sign_hs256(header: &serde_json::Value, claims: &serde_json::Value, secret: &[u8]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = engine.encode(header.to_string());
    let body = engine.encode(claims.to_string());
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!(
        "{head}.{body}.{}",
        engine.encode(mac.finalize().into_bytes())
    )
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Requests made as a program: `Accept: application/json` and a Bearer token, no cookies.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl TestApp {
    pub fn api(&self, token: &str) -> Api<'_> {
        Api {
            app: self,
            token: token.to_string(),
        }
    }

    /// Makes `user` an admin in the database, as `keycard create-admin` would.
    pub async fn make_admin(&self, user: &serde_json::Value) {
        self.sql(&format!(
            "UPDATE users SET role = 'admin' WHERE id = {}",
            user["id"]
        ))
        .await;
    }

    /// A fresh admin and a Bearer token for them.
    pub async fn admin_with_token(&self) -> (serde_json::Value, String) {
        let (user, token) = self.user_with_token().await;
        self.make_admin(&user).await;
        (user, token)
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

    /// A form POST carrying this browser's CSRF token.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf_token().await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &csrf));
        self.post_form(path, &all).await
    }

    /// The page a redirect leads to, fetched as a browser.
    pub async fn follow(&self, response: &Response) -> String {
        let location = response.headers()["location"].to_str().unwrap().to_string();
        self.get_html(&location).await.text().await.unwrap()
    }
}

impl Api<'_> {
    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        Self::client()
            .get(self.app.url(path))
            .header("Accept", "application/json")
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Response {
        Self::client()
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
