//! Graceful shutdown (contract §10): told to stop, an instance says "not ready" at once,
//! still serves every route while load balancers notice, then stops by itself.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{assert_problem, fresh_database, spawn_app_with};

#[tokio::test]
async fn a_draining_instance_is_not_ready_but_still_serves_then_stops_cleanly() {
    let app = spawn_app_with(|s| s.server.drain_secs = 1).await;
    let (user, token) = app.user_with_token().await;
    assert_eq!(app.get_json("/readyz").await.status().as_u16(), 200);

    let stopping = tokio::spawn(app.shutdown.begin());

    let ready = app.get_json("/readyz").await;
    assert_eq!(ready.headers()["retry-after"], "1");
    assert_problem(ready, 503).await;
    // New connections are still accepted and served, each told to close afterwards.
    let health = app.get_json("/healthz").await;
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.headers()["connection"], "close");
    let me = app.api(&token).get("/me").await;
    assert_eq!(me.status().as_u16(), 200);
    assert_eq!(me.headers()["connection"], "close");
    assert_eq!(
        me.json::<serde_json::Value>().await.unwrap()["username"],
        user["username"]
    );

    stopping.await.unwrap();
    let mut stopped = app.stopped.clone();
    let served = tokio::time::timeout(Duration::from_secs(30), stopped.wait_for(Option::is_some))
        .await
        .expect("the server stops after the drain")
        .unwrap()
        .unwrap();
    assert!(served, "the server stopped without an error");
    assert!(
        app.cookieless
            .get(app.url("/healthz"))
            .send()
            .await
            .is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn an_instance_that_is_not_draining_keeps_connections_open() {
    let app = spawn_app_with(|_| {}).await;
    let health = app.get_json("/healthz").await;
    assert!(health.headers().get("connection").is_none());
}

#[tokio::test]
async fn keycard_serve_drains_on_sigterm_and_exits_0() {
    let database_url = fresh_database().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_keycard"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KEYCARD_ENV", "test")
        .env("DATABASE_URL", &database_url)
        .env("KEYCARD__SERVER__PORT", "0")
        .env("KEYCARD__SERVER__WORKERS", "1")
        .env("KEYCARD__SERVER__DRAIN_SECS", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = KillOnDrop(child.id());
    let stdout = child.stdout.take().unwrap();
    // "keycard is listening on http://127.0.0.1:PORT"
    let base = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line.trim().rsplit(' ').next().unwrap().to_string()
    })
    .await
    .unwrap();
    let readyz = format!("{base}/readyz");
    let client = reqwest::Client::new();
    let status = |r: reqwest::Result<reqwest::Response>| r.map(|r| r.status().as_u16()).ok();
    assert_eq!(status(client.get(&readyz).send().await), Some(200));

    signal(child.id(), "-TERM");
    // The signal is handled on keycard's own time: ask until it says 503 (it keeps
    // serving for the whole drain, so every answer until then is a 200).
    let mut answers = Vec::new();
    for _ in 0..500 {
        let answer = status(client.get(&readyz).send().await);
        answers.push(answer);
        if answer != Some(200) {
            break;
        }
    }
    assert_eq!(answers.last(), Some(&Some(503)), "{answers:?}");

    let exited = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("keycard exits after the drain")
    .unwrap()
    .unwrap();
    assert!(exited.success(), "{exited:?}");
}

fn signal(pid: u32, which: &str) {
    let sent = Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Kills the process if the test ends early (a no-op once it has exited).
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}
