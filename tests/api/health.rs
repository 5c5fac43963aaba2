//! `/healthz` never touches the database; `/readyz` follows it down and back up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::helpers::{
    TestApp, assert_problem, fresh_database, spawn_app, spawn_with_settings, test_settings,
};

#[tokio::test]
async fn healthz_is_ok_and_readyz_checks_the_database() {
    let app = spawn_app().await;
    let health: serde_json::Value = app.get_json("/healthz").await.json().await.unwrap();
    assert_eq!(health, serde_json::json!({"status": "ok"}));
    let ready = app.get_json("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready, serde_json::json!({"status": "ok", "database": "ok"}));
}

#[tokio::test]
async fn with_the_database_unreachable_healthz_is_ok_and_readyz_is_503_within_the_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_with_settings(test_settings(&format!(
        "postgres://postgres@127.0.0.1:{port}/none"
    )))
    .await;
    assert_eq!(app.get_json("/healthz").await.status().as_u16(), 200);
    let started = Instant::now();
    let response = app.get_json("/readyz").await;
    assert!(
        started.elapsed() < Duration::from_secs(app.settings.database.connect_timeout_secs + 2)
    );
    assert_eq!(response.headers()["retry-after"], "5");
    assert_problem(response, 503).await;
}

#[tokio::test]
async fn readyz_recovers_when_the_database_comes_back_without_a_restart() {
    let (app, proxy) = app_behind_proxy().await;

    assert_eq!(app.get_json("/readyz").await.status().as_u16(), 200);
    proxy.stop().await;
    assert_problem(app.get_json("/readyz").await, 503).await;
    assert_problem(app.get_json("/readyz").await, 503).await;
    let mut down = app.database_down.clone();
    wait_until(&mut down, true).await;
    proxy.resume().await;
    wait_until(&mut down, false).await;
    assert_eq!(app.get_json("/readyz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn every_route_answers_503_while_the_database_is_away_and_recovers_after() {
    let (app, proxy) = app_behind_proxy().await;
    let (user, token) = app.user_with_token().await;
    let username = user["username"].as_str().unwrap().to_string();

    // Pooled connections die with the proxy: the first use of one must be a 503 too.
    proxy.stop().await;
    for _ in 0..2 {
        let response = app.api(&token).get("/me").await;
        assert_eq!(response.headers()["retry-after"], "5");
        assert_problem(response, 503).await;
        let login = serde_json::json!({"username": username, "password": crate::helpers::PASSWORD});
        assert_problem(app.post_json("/login", &login).await, 503).await;
    }
    let mut down = app.database_down.clone();
    wait_until(&mut down, true).await;
    proxy.resume().await;
    wait_until(&mut down, false).await;
    assert_eq!(
        app.api(&token).get_body("/me").await["username"],
        username.as_str()
    );
}

#[tokio::test]
async fn once_a_connection_failed_requests_get_503_without_trying_and_a_probe_brings_service_back()
{
    let (app, proxy) = app_behind_proxy().await;
    let (user, token) = app.user_with_token().await;
    let mut down = app.database_down.clone();
    assert!(!*down.borrow());

    // Every connection attempt is now accepted and dropped at once, and counted.
    proxy.refuse().await;
    assert_problem(app.api(&token).get("/me").await, 503).await;
    wait_until(&mut down, true).await;

    let attempts_before = proxy.attempts();
    let requests = 20;
    for _ in 0..requests {
        let me = app.api(&token).get("/me").await;
        assert_eq!(me.headers()["retry-after"], "5");
        assert_problem(me, 503).await;
    }
    let ready = app.get_json("/readyz").await;
    assert_eq!(ready.headers()["retry-after"], "5");
    assert_problem(ready, 503).await;
    // The requests did not try to connect each: only the probe did (every 250 ms).
    let attempts = proxy.attempts() - attempts_before;
    assert!(
        attempts < requests,
        "{attempts} connection attempts for {requests} requests"
    );
    // What needs no database goes on.
    assert_eq!(app.get_json("/healthz").await.status().as_u16(), 200);
    let home = app.get_json("/").await;
    assert_eq!(home.status().as_u16(), 200);

    proxy.resume().await;
    wait_until(&mut down, false).await;
    assert_eq!(app.get_json("/readyz").await.status().as_u16(), 200);
    assert_eq!(
        app.api(&token).get_body("/me").await["username"],
        user["username"]
    );
}

#[tokio::test]
async fn a_slow_query_is_not_an_outage() {
    let app = crate::helpers::spawn_app().await;
    let pool = keycard::db::build_pool(&app.database_url, 2, Duration::from_secs(2), true);
    let slept = keycard::db::blocking(&pool, |conn| {
        use diesel::RunQueryDsl;
        Ok(diesel::sql_query("SELECT pg_sleep(0.3)").execute(conn)?)
    })
    .await;
    assert!(slept.is_ok());
    assert!(!*pool.down().borrow());
}

/// Waits (at most 10 s) until keycard's view of the database is `down`.
async fn wait_until(down: &mut tokio::sync::watch::Receiver<bool>, wanted: bool) {
    tokio::time::timeout(Duration::from_secs(10), down.wait_for(|d| *d == wanted))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the database was not seen {}",
                if wanted { "down" } else { "up" }
            )
        })
        .unwrap();
}

/// An app whose database connections all pass through a proxy the test controls.
async fn app_behind_proxy() -> (TestApp, Proxy) {
    let database_url = fresh_database().await;
    let (server, name) = database_url.rsplit_once('/').unwrap();
    let upstream = server.rsplit_once(':').unwrap().1.parse::<u16>().unwrap();
    let proxy = Proxy::start(upstream).await;
    let via_proxy = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    (spawn_with_settings(test_settings(&via_proxy)).await, proxy)
}

/// A TCP proxy to PostgreSQL that can be cut (every connection dropped, port closed)
/// and resumed on the same port: the database "stops" and "starts" for one app only.
struct Proxy {
    port: u16,
    upstream: u16,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// Connections refused since `refuse`.
    refused: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            upstream,
            tasks: Arc::default(),
            refused: Arc::default(),
        };
        proxy.serve(listener).await;
        proxy
    }

    async fn serve(&self, listener: TcpListener) {
        let tasks = self.tasks.clone();
        let upstream = self.upstream;
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let tasks_inner = tasks.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks_inner.lock().await.push(pipe);
            }
        });
        self.tasks.lock().await.push(accept);
    }

    async fn stop(&self) {
        for task in self.tasks.lock().await.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }

    /// The database "stops" but its port stays open: each connection is accepted and
    /// closed at once, and counted.
    async fn refuse(&self) {
        self.stop().await;
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        let refused = self.refused.clone();
        let refusing = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                refused.fetch_add(1, Ordering::SeqCst);
                drop(client);
            }
        });
        self.tasks.lock().await.push(refusing);
    }

    fn attempts(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    async fn resume(&self) {
        self.stop().await;
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener).await;
    }
}

#[tokio::test]
async fn with_prepared_statements_off_every_query_still_works() {
    // What PgBouncer in transaction mode needs: no named statement outlives its query.
    let app = crate::helpers::spawn_app_with(|s| s.database.prepared_statements = false).await;
    let (user, token) = app.user_with_token().await;
    for _ in 0..2 {
        assert_eq!(
            app.api(&token).get_body("/me").await["username"],
            user["username"]
        );
    }
    assert_eq!(app.get_json("/readyz").await.status().as_u16(), 200);
}
