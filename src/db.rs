//! The database: the r2d2 pool of Diesel connections, the `blocking` helper that runs
//! Diesel on actix's blocking pool (never on an async worker), and the embedded migrations.

pub mod audit;
pub mod login_failures;
pub mod password_resets;
pub mod revoked_tokens;
pub mod schema;
pub mod sessions;
pub mod signup_attempts;
pub mod two_factor;
pub mod users;

use std::time::Duration;

use actix_web::web;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Any fixed number: the advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x6b65_7963_6172;

pub type DbPool = Pool<Manager>;

/// A pooled connection that remembers when the server went away under it, so the pool
/// drops it instead of handing it out again. (Diesel's own `has_broken` only looks at
/// the transaction state, and checking every connection on checkout would cost a
/// round trip per request.)
pub struct DbConn {
    pub conn: PgConnection,
    broken: bool,
}

pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        self.0.connect().map(|conn| DbConn {
            conn,
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        self.0.is_valid(&mut conn.conn)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.broken || self.0.has_broken(&mut conn.conn)
    }
}

/// Builds the pool without connecting: keycard starts (and `/healthz` answers) while the
/// database is down, and a checkout waits at most `connect_timeout`.
pub fn build_pool(url: &str, size: u32, connect_timeout: Duration) -> DbPool {
    let url = with_connect_timeout(url, connect_timeout);
    Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(connect_timeout)
        .test_on_check_out(false)
        .build_unchecked(Manager(ConnectionManager::new(url)))
}

/// libpq's own `connect_timeout`, so one connection attempt never outlives the pool's wait.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        timeout.as_secs().max(1)
    )
}

/// Runs `f` with a pooled connection on the blocking pool. A pool timeout is `503`.
pub async fn blocking<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut pooled = pool.get()?;
        let result = f(&mut pooled.conn);
        if matches!(result, Err(AppError::Unavailable(_))) {
            pooled.broken = true;
        }
        result
    })
    .await
    .map_err(AppError::internal)?
}

/// Applies pending migrations. Instances starting at once take turns on an advisory lock.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
    applied
}

/// One connection for commands (`migrate`, `create-admin`), with a one-line error.
pub fn connect(url: &str, connect_timeout: Duration) -> anyhow::Result<PgConnection> {
    PgConnection::establish(&with_connect_timeout(url, connect_timeout))
        .map_err(|e| anyhow::anyhow!("database unreachable: {}", first_line(&e.to_string())))
}

pub fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(text)
        .trim()
}

/// `SELECT 1`, for `/readyz`.
pub fn ping(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}
