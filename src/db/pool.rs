//! The pool requests draw their connections from: r2d2 over Diesel, behind the outage
//! state of `db::outage`. While the database is known to be down no connection is
//! attempted (the probe alone tries), and when it answers again the pool is replaced by
//! a fresh one, so no connection attempt left waiting in r2d2's back-off (up to half
//! the connect timeout) delays the return to full service.

use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use diesel::connection::{CacheSize, Connection};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool};

use super::outage::{self, Outage};

/// A pooled connection that remembers when the server went away under it, so the pool
/// drops it instead of handing it out again. (Diesel's own `has_broken` only looks at
/// the transaction state, and checking every connection on checkout would cost a
/// round trip per request.)
pub struct DbConn {
    pub conn: PgConnection,
    pub(super) broken: bool,
}

/// The pool handle every part of keycard clones. Cheap to clone.
#[derive(Clone)]
pub struct DbPool {
    shared: Arc<Shared>,
}

struct Shared {
    /// With libpq's `connect_timeout` added.
    url: String,
    size: u32,
    connect_timeout: Duration,
    prepared_statements: bool,
    current: RwLock<Pool<Manager>>,
    outage: Arc<Outage>,
}

pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    prepared_statements: bool,
    owner: Weak<Shared>,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        let owner = self.owner.upgrade();
        if owner.as_ref().is_some_and(|owner| owner.outage.is_down()) {
            return Err(diesel::r2d2::Error::ConnectionError(
                diesel::ConnectionError::BadConnection("the database is known to be down".into()),
            ));
        }
        match self.inner.connect() {
            Ok(mut conn) => {
                if !self.prepared_statements {
                    // PgBouncer in transaction mode (before 1.21) cannot keep a named
                    // statement for the next transaction: send every query unnamed.
                    conn.set_prepared_statement_cache_size(CacheSize::Disabled);
                }
                Ok(DbConn {
                    conn,
                    broken: false,
                })
            }
            Err(error) => {
                if let Some(owner) = owner {
                    DbPool { shared: owner }.connection_failed();
                }
                Err(error)
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        self.inner.is_valid(&mut conn.conn)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.broken || self.inner.has_broken(&mut conn.conn)
    }
}

impl DbPool {
    /// Builds the pool without connecting: keycard starts (and `/healthz` answers) while
    /// the database is down, and a checkout waits at most `connect_timeout`.
    pub fn build(
        url: &str,
        size: u32,
        connect_timeout: Duration,
        prepared_statements: bool,
    ) -> DbPool {
        let shared = Arc::new_cyclic(|owner: &Weak<Shared>| {
            let url = with_connect_timeout(url, connect_timeout);
            let pool = r2d2_pool(&url, size, connect_timeout, prepared_statements, owner);
            Shared {
                url,
                size,
                connect_timeout,
                prepared_statements,
                current: RwLock::new(pool),
                outage: Arc::default(),
            }
        });
        DbPool { shared }
    }

    /// Connections of the pool in use now, and idle (the metrics' gauges).
    pub fn usage(&self) -> (u32, u32) {
        let state = self.current().state();
        (
            state.connections.saturating_sub(state.idle_connections),
            state.idle_connections,
        )
    }

    /// Whether the database is known to be down, as it changes (tests wait on it).
    pub fn down(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shared.outage.watch()
    }

    pub(super) fn outage(&self) -> &Outage {
        &self.shared.outage
    }

    /// The r2d2 pool in use now (replaced after an outage).
    pub(super) fn current(&self) -> Pool<Manager> {
        self.shared
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A connection attempt failed: down at once, and the probe starts.
    pub(super) fn connection_failed(&self) {
        self.shared.outage.mark_down();
        self.suspect();
    }

    /// Something looks wrong (a stalled call, a connection that died): start the probe
    /// unless one runs, which decides whether the database is down.
    pub(super) fn suspect(&self) {
        if !self.shared.outage.claim_probe() {
            return;
        }
        let wanted = Arc::downgrade(&self.shared);
        let renew = Arc::downgrade(&self.shared);
        outage::spawn_probe(
            self.shared.url.clone(),
            self.shared.outage.clone(),
            move || wanted.strong_count() > 0,
            move || {
                if let Some(shared) = renew.upgrade() {
                    shared.renew(&renew);
                }
            },
        );
    }
}

impl Shared {
    /// A fresh, empty pool in place of the one that lived through the outage.
    fn renew(&self, owner: &Weak<Shared>) {
        let fresh = r2d2_pool(
            &self.url,
            self.size,
            self.connect_timeout,
            self.prepared_statements,
            owner,
        );
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = fresh;
    }
}

fn r2d2_pool(
    url: &str,
    size: u32,
    connect_timeout: Duration,
    prepared_statements: bool,
    owner: &Weak<Shared>,
) -> Pool<Manager> {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(connect_timeout)
        .test_on_check_out(false)
        // Failures are the outage state's business; r2d2 would log each retry.
        .error_handler(Box::new(diesel::r2d2::NopErrorHandler))
        .build_unchecked(Manager {
            inner: ConnectionManager::new(url),
            prepared_statements,
            owner: owner.clone(),
        })
}

/// libpq's own `connect_timeout`, so one connection attempt never outlives the pool's wait.
pub fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        timeout.as_secs().max(1)
    )
}
