//! Starting keycard for a test: a migrated template database, a fresh clone of it per
//! test, `KEYCARD_ENV=test` settings on a free port, and the `TestApp` with its two clients.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use diesel::prelude::*;
use keycard::settings::{self, Settings};
use keycard::startup::Application;
use reqwest::cookie::Jar;
use tokio::sync::OnceCell;

static TEMPLATE: OnceCell<()> = OnceCell::const_new();
const TEMPLATE_DB: &str = "keycard_test_template";

fn server_url() -> String {
    std::env::var("KEYCARD_TEST_DATABASE_URL").expect(
        "KEYCARD_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts a private PostgreSQL",
    )
}

/// `postgres://.../<name>` on the test server.
fn database_url(name: &str) -> String {
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

/// A running keycard and two clients for it, neither of which follows redirects.
pub struct TestApp {
    /// How many bcrypt operations this instance ran, by cost.
    pub hash_stats: Arc<keycard::startup::HashStats>,
    pub address: String,
    /// `http://127.0.0.1:PORT` of the metrics listener, when the settings turn it on.
    pub metrics_address: Option<String>,
    pub database_url: String,
    pub settings: Settings,
    /// The browser-like client: keeps cookies in `jar`.
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    /// The program-like client: no cookies, for anonymous and Bearer requests.
    pub cookieless: reqwest::Client,
    /// Starts the graceful shutdown that `SIGTERM` starts in `keycard serve`.
    pub shutdown: keycard::shutdown::Shutdown,
    /// `Some(served without error)` once the server has stopped.
    pub stopped: tokio::sync::watch::Receiver<Option<bool>>,
    /// Whether keycard knows its database to be down.
    pub database_down: tokio::sync::watch::Receiver<bool>,
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
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let hash_stats = app.hash_stats();
    let (shutdown, database_down) = (app.shutdown(), app.database_down());
    let (stopped_tx, stopped) = tokio::sync::watch::channel(None);
    tokio::spawn(async move {
        let served = app.run_until_stopped().await;
        stopped_tx.send_replace(Some(served.is_ok()));
    });
    let jar = Arc::new(Jar::default());
    TestApp {
        hash_stats,
        address,
        metrics_address,
        database_url,
        settings,
        client: browser_client(jar.clone()),
        jar,
        // A fresh connection per request, as with the client per request this replaced:
        // with `auth.hash_queue_limit = 0`, keycard refuses a hash that arrives before the
        // hashing thread is back waiting for work (a rendezvous channel), and a request on
        // a kept-alive connection can arrive that soon after the previous answer.
        cookieless: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap(),
        shutdown,
        stopped,
        database_down,
    }
}

/// A client that keeps its cookies in `jar` and does not follow redirects.
pub(super) fn browser_client(jar: Arc<Jar>) -> reqwest::Client {
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
}
