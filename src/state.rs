//! `AppState`: what every handler shares, built once at startup.

use std::sync::Arc;

use crate::auth::jwt::Keys;
use crate::db::DbPool;
use crate::http::csrf::CsrfKey;
use crate::http::signing::MacKey;
use crate::settings::Settings;

pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: DbPool,
    pub csrf: CsrfKey,
    /// Signs flash messages.
    pub flash: MacKey,
    pub keys: Keys,
    /// A bcrypt hash of a random password at the configured cost, verified against
    /// for unknown usernames so that they cost the same time as wrong passwords.
    pub dummy_hash: String,
    /// Short content hash of the stylesheet, for cache-busting asset URLs.
    pub asset_version: String,
}
