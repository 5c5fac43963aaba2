//! `Application::build`: bind the listener, build the pool and shared state, and hand
//! back something a binary or a test can run (`port()`, `run_until_stopped()`).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use sha2::{Digest, Sha256};

use crate::app::create_app;
use crate::auth::jwt::Keys;
use crate::db;
use crate::http::csrf::CsrfKey;
use crate::http::signing::MacKey;
use crate::settings::Settings;
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and prepares the server.
    /// Migrations are the caller's business (`keycard serve` runs them first).
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address)
            .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(build_state(settings)?);
        let workers = state.settings.server.workers;
        let mut server = HttpServer::new({
            let state = state.clone();
            move || create_app(state.clone())
        })
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

pub fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    let database = &settings.database;
    let url = database
        .url
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("database.url is not set (set DATABASE_URL)"))?;
    let pool = db::build_pool(
        url.expose(),
        database.pool_size,
        Duration::from_secs(database.connect_timeout_secs),
    );
    let secret = settings
        .auth
        .jwt_secret
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("auth.jwt_secret is not set"))?;
    let csrf = CsrfKey::derive(secret.expose().as_bytes());
    let flash = MacKey::derive(secret.expose().as_bytes(), "keycard flash v1");
    let keys = Keys::new(&settings.auth, secret.expose().as_bytes());
    let dummy_hash = crate::auth::password::dummy_hash(settings.auth.bcrypt_cost)?;
    let asset_version = asset_version(&settings.server.static_dir.join("style.css"));
    Ok(AppState {
        settings: Arc::new(settings),
        pool,
        csrf,
        flash,
        keys,
        dummy_hash,
        asset_version,
    })
}

/// The first 10 hex digits of the stylesheet's SHA-256: changes whenever it does.
fn asset_version(path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}
