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
    settings::finalize(s).unwrap().0
}

pub struct TestApp {
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
    tokio::spawn(app.run_until_stopped());
    let jar = Arc::new(Jar::default());
    TestApp {
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
