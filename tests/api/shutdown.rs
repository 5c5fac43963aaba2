//! Graceful shutdown (contract §10): told to stop, an instance says "not ready" at once,
//! still serves every route while load balancers notice, then stops by itself.

use std::time::Duration;

use crate::helpers::{assert_problem, spawn_app_with};

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
