//! The composition root's pieces: everything built once at start-up, each registered as
//! its own app data so that a middleware or handler asks for exactly what it needs.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use sha2::{Digest, Sha256};

use crate::accounts::Accounts;
use crate::accounts::introspection::Introspection;
use crate::auth::authenticate::Authenticator;
use crate::auth::hasher::{HashStats, Hasher};
use crate::auth::jwt::Keys;
use crate::auth::password;
use crate::auth::sealing::SecretBox;
use crate::auth::tokens::Tokens;
use crate::db;
use crate::handlers::keys::KeySet;
use crate::http::cookies::CookiePolicy;
use crate::http::csrf::CsrfKey;
use crate::http::flash::FlashKey;
use crate::http::pending::PendingKey;
use crate::metrics::Metrics;
use crate::settings::{DatabaseSettings, Settings};
use crate::web::client::TrustedProxies;
use crate::web::draining::Draining;
use crate::web::layout::AssetVersion;
use crate::web::origin::OriginPolicy;

#[derive(Clone)]
pub struct AppState {
    pub accounts: web::Data<Accounts>,
    pub authenticator: web::Data<Authenticator>,
    pub cookies: web::Data<CookiePolicy>,
    pub csrf: web::Data<CsrfKey>,
    pub flash: web::Data<FlashKey>,
    pub pending: web::Data<PendingKey>,
    pub origin: web::Data<OriginPolicy>,
    pub proxies: web::Data<TrustedProxies>,
    pub assets: web::Data<AssetVersion>,
    pub database: web::Data<DatabaseSettings>,
    pub key_set: web::Data<KeySet>,
    pub introspection: web::Data<Introspection>,
    pub draining: web::Data<Draining>,
    pub pool: db::DbPool,
    pub hash_stats: Arc<HashStats>,
    pub metrics: web::Data<Metrics>,
}

impl AppState {
    pub fn build(settings: &Settings) -> anyhow::Result<AppState> {
        let database = &settings.database;
        let url = database
            .url
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("database.url is not set (set DATABASE_URL)"))?;
        let pool = db::build_pool(
            url.expose(),
            database.pool_size,
            Duration::from_secs(database.connect_timeout_secs),
            database.prepared_statements,
        );
        let secret = settings
            .auth
            .jwt_secret
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("auth.jwt_secret is not set"))?;
        let secret = secret.expose().as_bytes();
        let auth = Arc::new(settings.auth.clone());
        let keys = Keys::new(&auth, secret)?;
        let key_set = KeySet::new(&keys)?;
        let tokens = Arc::new(Tokens::new(keys, auth.clone()));
        let hasher = Hasher::start(auth.hash_threads, auth.hash_queue_limit, auth.hash_priority)?;
        let hash_stats = hasher.stats();
        let dummy_hash = password::dummy_hash(auth.bcrypt_cost)?;
        let secrets = Arc::new(SecretBox::new(
            auth.encryption_key.as_ref(),
            &auth.previous_encryption_keys,
        )?);
        let accounts = Accounts::new(
            pool.clone(),
            auth,
            tokens.clone(),
            hasher,
            secrets,
            settings.audit.retention_days,
            dummy_hash,
        );
        let metrics = Arc::new(Metrics::new()?);
        let authenticator = Arc::new(Authenticator::new(pool.clone(), tokens, metrics.clone()));
        let introspection = Introspection::new(
            accounts.clone(),
            authenticator.clone(),
            &settings.introspection.clients,
        );
        Ok(AppState {
            accounts: web::Data::new(accounts),
            authenticator: web::Data::from(authenticator),
            key_set: web::Data::new(key_set),
            introspection: web::Data::new(introspection),
            cookies: web::Data::new(CookiePolicy {
                secure: settings.cookie.secure,
            }),
            csrf: web::Data::new(CsrfKey::derive(secret)?),
            flash: web::Data::new(FlashKey::derive(secret)?),
            pending: web::Data::new(PendingKey::derive(secret)?),
            origin: web::Data::new(OriginPolicy {
                public_url: settings.server.public_url.clone(),
                trusted_proxies: settings.server.trusted_proxies.clone(),
            }),
            proxies: web::Data::new(TrustedProxies(settings.server.trusted_proxies.clone())),
            assets: web::Data::new(AssetVersion(asset_version(
                &settings.server.static_dir.join("style.css"),
            ))),
            database: web::Data::new(settings.database.clone()),
            draining: web::Data::new(Draining::default()),
            pool,
            hash_stats,
            metrics: web::Data::from(metrics),
        })
    }
}

/// The first 10 hex digits of the stylesheet's SHA-256: changes whenever it does.
fn asset_version(path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}
