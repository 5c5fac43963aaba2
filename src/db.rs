//! The database: the pool (`db::pool`) behind what keycard knows of outages
//! (`db::outage`), the `blocking` helper that runs Diesel on actix's blocking pool
//! (never on an async worker), and the embedded migrations.

pub mod audit;
pub mod directory;
pub mod login_failures;
pub mod outage;
pub mod password_resets;
pub mod pool;
pub mod revoked_tokens;
pub mod schema;
pub mod sessions;
pub mod signup_attempts;
pub mod two_factor;
pub mod users;

use std::pin::pin;
use std::time::Duration;

use actix_web::web;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::future::{Either, select};

use crate::error::AppError;
pub use pool::{DbConn, DbPool, with_connect_timeout};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Any fixed number: the advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x6b65_7963_6172;

/// Builds the pool without connecting (see `DbPool::build`). With `prepared_statements`
/// off, Diesel sends every statement unnamed (PgBouncer in transaction mode).
pub fn build_pool(
    url: &str,
    size: u32,
    connect_timeout: Duration,
    prepared_statements: bool,
) -> DbPool {
    DbPool::build(url, size, connect_timeout, prepared_statements)
}

fn unreachable() -> AppError {
    AppError::Unavailable("the database is unreachable; a probe is retrying".into())
}

/// Runs `f` with a pooled connection on the blocking pool. `503` at once while the
/// database is known to be down; a pool timeout is `503` too. A call still waiting when
/// the database is found down is answered `503` then (its thread finishes or fails on
/// its own later: through PgBouncer, a query may wait in its queue and still run when
/// the database returns).
pub async fn blocking<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
{
    if pool.outage().is_down() {
        return Err(unreachable());
    }
    let mut went_down = pool.outage().watch();
    let worker = pool.clone();
    let mut work = pin!(web::block(move || {
        let mut pooled = worker.current().get()?;
        let result = f(&mut pooled.conn);
        if matches!(result, Err(AppError::Unavailable(_))) {
            // The server went away under this connection: drop it, and let the probe
            // decide whether the database is down.
            pooled.broken = true;
            worker.suspect();
        }
        result
    }));
    // Waiting longer than `STALL` asks the probe to look, and again every
    // `PROBE_EVERY` while it lasts; the database found down ends the wait with a `503`.
    let mut patience = outage::STALL;
    loop {
        let down = pin!(went_down.wait_for(|down| *down));
        let waited = pin!(actix_web::rt::time::sleep(patience));
        match select(&mut work, select(down, waited)).await {
            Either::Left((finished, _)) => return finished.map_err(AppError::internal)?,
            Either::Right((Either::Left(_), _)) => return Err(unreachable()),
            Either::Right((Either::Right(_), _)) => {
                pool.suspect();
                patience = outage::PROBE_EVERY;
            }
        }
    }
}

/// Applies pending migrations, all in one transaction that first takes a
/// transaction-level advisory lock: instances starting at once take turns, and the lock
/// lives and dies with the transaction, so it also holds through PgBouncer in
/// transaction mode (a session-level lock could be taken on one server connection and
/// released on another).
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    conn.transaction(|conn| {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .execute(conn)?;
        conn.run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    })
}

/// One connection for commands (`migrate`, `create-admin`), with a one-line error, and
/// without Diesel's statement cache when `prepared_statements` is off (PgBouncer).
pub fn connect(
    url: &str,
    connect_timeout: Duration,
    prepared_statements: bool,
) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(&with_connect_timeout(url, connect_timeout))
        .map_err(|e| anyhow::anyhow!("database unreachable: {}", first_line(&e.to_string())))?;
    if !prepared_statements {
        use diesel::connection::{CacheSize, Connection};
        conn.set_prepared_statement_cache_size(CacheSize::Disabled);
    }
    Ok(conn)
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
