//! `AppState`: what every handler shares, built once at startup.

use std::sync::Arc;

use crate::db::DbPool;
use crate::http::csrf::CsrfKey;
use crate::settings::Settings;

pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: DbPool,
    pub csrf: CsrfKey,
    /// Short content hash of the stylesheet, for cache-busting asset URLs.
    pub asset_version: String,
}
