//! Typed settings (contract §5). Only types live here: layering is in
//! `settings::load`, production refusals and the redacted view in `settings::check`.

mod check;
mod load;
mod redacted;
mod secret;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

pub use check::{SHIPPED_SECRETS, finalize, random_secret};
pub use load::{SettingsError, load, load_from_process};
pub use redacted::RedactedSettings;
pub use secret::Secret;

/// Which `config/<env>.toml` layer applies, from `KEYCARD_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppEnv {
    #[default]
    Development,
    Test,
    Production,
}

impl AppEnv {
    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Development => "development",
            AppEnv::Test => "test",
            AppEnv::Production => "production",
        }
    }
}

impl TryFrom<&str> for AppEnv {
    type Error = String;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "development" | "dev" => Ok(AppEnv::Development),
            "test" => Ok(AppEnv::Test),
            "production" | "prod" => Ok(AppEnv::Production),
            other => Err(format!(
                "KEYCARD_ENV must be development, test or production, not {other:?}"
            )),
        }
    }
}

impl fmt::Display for AppEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub cookie: CookieSettings,
    pub log: LogSettings,
    pub introspection: IntrospectionSettings,
    pub audit: AuditSettings,
    pub metrics: MetricsSettings,
    /// Set from `KEYCARD_ENV` by the loader, never from a file.
    #[serde(skip)]
    pub env: AppEnv,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// The site's own origin (e.g. `https://id.example.com`) for the `Origin` check;
    /// empty means "the request's Host".
    pub public_url: String,
    /// Proxies whose `X-Forwarded-For` is believed (CIDRs).
    pub trusted_proxies: Vec<IpNet>,
    /// Folder served at `/static`.
    pub static_dir: PathBuf,
    /// After `SIGTERM`, how long `/readyz` says `503` while requests are still served,
    /// so that a load balancer stops sending new ones before the listener closes.
    pub drain_secs: u64,
    /// Then, the longest the requests in flight may take before the process exits.
    pub shutdown_timeout_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            workers: 0,
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            static_dir: PathBuf::from("static"),
            drain_secs: 5,
            shutdown_timeout_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub url: Option<Secret>,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    /// Diesel's prepared-statement cache; `false` behind PgBouncer in transaction mode
    /// (before 1.21, or without `max_prepared_statements`).
    pub prepared_statements: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            pool_size: 10,
            connect_timeout_secs: 5,
            prepared_statements: true,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    /// ECDSA on P-256 with SHA-256, signed by `auth.jwt_private_key`.
    ES256,
    /// Ed25519, signed by `auth.jwt_private_key`.
    EdDSA,
}

impl JwtAlgorithm {
    /// Whether tokens are signed with a shared secret (`auth.jwt_secret`) rather than
    /// a private key that others verify with the published public key.
    pub fn is_hmac(self) -> bool {
        matches!(
            self,
            JwtAlgorithm::HS256 | JwtAlgorithm::HS384 | JwtAlgorithm::HS512
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    pub jwt_secret: Option<Secret>,
    pub jwt_previous_secrets: Vec<Secret>,
    pub jwt_algorithm: JwtAlgorithm,
    /// ES256/EdDSA: the signing key, PEM (PKCS#8 or SEC1).
    pub jwt_private_key: Option<Secret>,
    /// ES256/EdDSA: keys that still verify (PEM, public or private).
    pub jwt_previous_keys: Vec<Secret>,
    pub token_ttl_secs: u64,
    pub session_max_secs: u64,
    pub leeway_secs: u64,
    pub bcrypt_cost: u32,
    pub registration_open: bool,
    pub issuer: String,
    pub audience: String,
    pub max_failures_per_username: u32,
    pub max_failures_per_address: u32,
    pub failure_window_secs: u64,
    /// Sessions a user may have; a sign-in beyond ends the least recently used one.
    pub max_sessions_per_user: u32,
    pub signups_per_address_per_hour: u32,
    /// Threads that run bcrypt; 0 means one per CPU core.
    pub hash_threads: usize,
    /// Password hashes that may wait for a thread; past it, `503` with `Retry-After`.
    pub hash_queue_limit: usize,
    /// The hashing threads' scheduling class (Linux).
    pub hash_priority: HashPriority,
    /// Seals second-factor secrets at rest (contract §8); at least 32 bytes, like what
    /// `keycard gen-secret` prints. Without it, second factors cannot be turned on.
    pub encryption_key: Option<Secret>,
    /// Keys that still open secrets sealed before a rotation (`keycard reseal` moves
    /// them to `encryption_key`).
    pub previous_encryption_keys: Vec<Secret>,
    /// How long a password-reset link works (contract §9).
    pub reset_link_ttl_secs: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            jwt_previous_secrets: Vec::new(),
            jwt_algorithm: JwtAlgorithm::HS256,
            jwt_private_key: None,
            jwt_previous_keys: Vec::new(),
            token_ttl_secs: 3600,
            session_max_secs: 604_800,
            leeway_secs: 30,
            bcrypt_cost: 12,
            registration_open: true,
            issuer: "keycard".into(),
            audience: "keycard".into(),
            max_failures_per_username: 5,
            max_failures_per_address: 20,
            failure_window_secs: 900,
            max_sessions_per_user: 50,
            signups_per_address_per_hour: 30,
            hash_threads: 0,
            hash_queue_limit: 64,
            hash_priority: HashPriority::Low,
            encryption_key: None,
            previous_encryption_keys: Vec::new(),
            reset_link_ttl_secs: 3600,
        }
    }
}

/// How the hashing threads share the CPU with everything else (`auth.hash_priority`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HashPriority {
    /// SCHED_IDLE: any other thread that wakes up takes the core at once; hashes get
    /// every cycle nothing else wants.
    Idle,
    /// SCHED_BATCH at nice 19, the default: as good as `idle` for requests in
    /// `benches/signin.sh` and no worse for sign-ins.
    Low,
    /// As every other thread: for a host shared with other busy programs, where the
    /// two lower classes would leave sign-ins almost no CPU.
    Normal,
}

impl HashPriority {
    pub fn as_str(self) -> &'static str {
        match self {
            HashPriority::Idle => "idle",
            HashPriority::Low => "low",
            HashPriority::Normal => "normal",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CookieSettings {
    /// `Secure` on every cookie; on by default in production (config/production.toml).
    pub secure: bool,
}

/// `POST /introspect` (contract §7): the services that may ask, by name, with their
/// secrets (HTTP Basic `name:secret`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct IntrospectionSettings {
    pub clients: BTreeMap<String, Secret>,
}

/// The audit log (contract §9).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// Events older than this many days are removed by the periodic sweep.
    pub retention_days: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self { retention_days: 90 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A tracing filter: `info`, `keycard=debug,actix_web=info`, ...
    pub level: String,
    /// `text` for people, `json` (one object per line) for log collectors.
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// The metrics listener (contract §9).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// `host:port` of the separate listener serving `GET /metrics`; empty turns it off.
    pub listen: String,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".into(),
        }
    }
}
