//! `Application::build`: bind the listener, build the shared state, and hand back
//! something a binary or a test can run (`port()`, `run_until_stopped()`).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use actix_web::dev::Server;
use futures_util::future::{Either, select};

use crate::accounts::Accounts;
use crate::app::create_app;
pub use crate::auth::hasher::HashStats;
use crate::handlers::metrics::Gauges;
use crate::settings::Settings;
use crate::shutdown::Shutdown;
use crate::state::AppState;

/// `GET /metrics` on its own listener, one worker, never on the public one.
fn metrics_server(listen: &str, state: &AppState) -> anyhow::Result<Option<(Server, u16)>> {
    if listen.trim().is_empty() {
        return Ok(None);
    }
    let listener = TcpListener::bind(listen.trim())
        .map_err(|e| anyhow::anyhow!("metrics.listen: cannot listen on {listen}: {e}"))?;
    let port = listener.local_addr()?.port();
    let metrics = state.metrics.clone();
    let gauges = actix_web::web::Data::new(Gauges {
        pool: state.pool.clone(),
        hashes: state.hash_stats.clone(),
    });
    let server = HttpServer::new(move || {
        actix_web::App::new()
            .app_data(metrics.clone())
            .app_data(gauges.clone())
            .route(
                "/metrics",
                actix_web::web::get().to(crate::handlers::metrics::scrape),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(Some((server, port)))
}

/// How often sessions that can no longer be used, stale denylist entries, expired
/// waiting sign-ins and reset links, and audit events past `audit.retention_days` are
/// swept away. Sign-in also removes the signing-in user's own, so this only bounds
/// the rows of users who never come back.
const SWEEP_EVERY: Duration = Duration::from_secs(300);

pub struct Application {
    port: u16,
    server: Server,
    accounts: actix_web::web::Data<Accounts>,
    hash_stats: Arc<HashStats>,
    shutdown: Shutdown,
    pool: crate::db::DbPool,
    /// The metrics listener (`metrics.listen`), when on.
    metrics: Option<(Server, u16)>,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and prepares the server.
    /// Migrations are the caller's business (`keycard serve` runs them first).
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address)
            .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        let port = listener.local_addr()?.port();
        let state = AppState::build(&settings)?;
        let (accounts, hash_stats) = (state.accounts.clone(), state.hash_stats.clone());
        let draining = state.draining.get_ref().clone();
        let pool = state.pool.clone();
        let metrics = metrics_server(&settings.metrics.listen, &state)?;
        let static_dir = settings.server.static_dir.clone();
        // Signals are `shutdown::Shutdown`'s business (drain first), not actix's.
        let mut server = HttpServer::new(move || create_app(state.clone(), static_dir.clone()))
            .disable_signals()
            .shutdown_timeout(settings.server.shutdown_timeout_secs)
            .listen(listener)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.run();
        let shutdown = Shutdown {
            handle: server.handle(),
            draining,
            drain: Duration::from_secs(settings.server.drain_secs),
        };
        Ok(Application {
            port,
            server,
            accounts,
            hash_stats,
            shutdown,
            pool,
            metrics,
        })
    }

    /// The port `GET /metrics` listens on, when `metrics.listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops this server gracefully when `begin` is awaited (`serve` does it on `SIGTERM`).
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Whether the database is known to be down, as it changes.
    pub fn database_down(&self) -> tokio::sync::watch::Receiver<bool> {
        self.pool.down()
    }

    /// How many password hashes this instance has run (tests compare them).
    pub fn hash_stats(&self) -> Arc<HashStats> {
        self.hash_stats.clone()
    }

    /// Runs the periodic clean-up once, now (tests; the server runs it every
    /// `SWEEP_EVERY`). Returns how many sessions ended.
    pub async fn sweep_now(&self) -> anyhow::Result<usize> {
        Ok(self.accounts.sweep().await?)
    }

    /// Serves until the server stops, sweeping ended sessions meanwhile.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let accounts = self.accounts;
        let sweeping = Box::pin(async move {
            loop {
                actix_web::rt::time::sleep(SWEEP_EVERY).await;
                match accounts.sweep().await {
                    Ok(ended) if ended > 0 => tracing::info!(ended, "swept ended sessions"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "session sweep failed"),
                }
            }
        });
        // The metrics listener serves beside the main one and stops with it.
        let metrics = self.metrics.map(|(server, _)| server);
        let metrics_handle = metrics.as_ref().map(Server::handle);
        let scraping = Box::pin(async move {
            match metrics {
                Some(server) => {
                    if let Err(error) = server.await {
                        tracing::warn!(%error, "the metrics listener stopped");
                    }
                    std::future::pending::<()>().await;
                }
                None => std::future::pending::<()>().await,
            }
        });
        let serving = Box::pin(async move {
            match select(self.server, sweeping).await {
                Either::Left((served, _)) => served,
                Either::Right(((), _)) => Ok(()),
            }
        });
        let served = match select(serving, scraping).await {
            Either::Left((served, _)) => served,
            Either::Right(((), serving)) => serving.await,
        };
        if let Some(handle) = metrics_handle {
            handle.stop(true).await;
        }
        served
    }
}
