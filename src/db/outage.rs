//! What keycard knows about the database being away (contract §10): once a connection
//! attempt has failed, every request that needs the database gets `503` at once instead
//! of waiting a connect timeout, while one probe (a thread, never more than one) opens a
//! fresh connection every `PROBE_EVERY` until the database answers again.
//!
//! The probe is also started on suspicion: a call that has waited `STALL` without an
//! answer, or a pooled connection that died. Through PgBouncer a query does not fail
//! when PostgreSQL stops, it waits in PgBouncer's queue, so only a *new* connection
//! (which PgBouncer refuses at once while its server logins fail) tells the truth. A
//! probe that finds the database fine changes nothing, so a slow query costs one
//! connection attempt, never a `503`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use tokio::sync::watch;

/// How often the probe tries while the database is away.
pub const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How long a call waits for the database before the probe is asked to look.
pub const STALL: Duration = Duration::from_millis(40);
/// After a probe found the database fine, suspicion is not acted on for this long.
const QUIET_AFTER_OK: Duration = Duration::from_millis(250);

/// The shared state: whether the database is known to be down, and whether a probe runs.
pub struct Outage {
    down: watch::Sender<bool>,
    probing: AtomicBool,
    last_ok: Mutex<Option<Instant>>,
}

impl Default for Outage {
    fn default() -> Self {
        Outage {
            down: watch::Sender::new(false),
            probing: AtomicBool::new(false),
            last_ok: Mutex::new(None),
        }
    }
}

impl Outage {
    pub fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// A receiver that sees the database go down (`wait_for(|down| *down)`).
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.down.subscribe()
    }

    /// A connection attempt failed: the database is down until the probe says otherwise.
    /// Returns whether this call changed the state.
    pub fn mark_down(&self) -> bool {
        let changed = self
            .down
            .send_if_modified(|down| !std::mem::replace(down, true));
        if changed {
            tracing::warn!("database unreachable: answering 503 until a probe connects");
        }
        changed
    }

    pub fn mark_up(&self) {
        if self
            .down
            .send_if_modified(|down| std::mem::replace(down, false))
        {
            tracing::info!("database reachable again");
        }
    }

    /// Claims the single probe slot, unless a probe runs or one just found the database
    /// fine while it was up (suspicion only; when down, the probe always runs).
    pub fn claim_probe(&self) -> bool {
        if !self.is_down() {
            let last_ok = *self.last_ok.lock().unwrap_or_else(PoisonError::into_inner);
            if last_ok.is_some_and(|at| at.elapsed() < QUIET_AFTER_OK) {
                return false;
            }
        }
        !self.probing.swap(true, Ordering::AcqRel)
    }

    pub fn probe_done(&self, ok: bool) {
        if ok {
            *self.last_ok.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
        self.probing.store(false, Ordering::Release);
    }
}

/// One probe attempt: a fresh connection (never a pooled one) and `SELECT 1`.
pub fn probe_once(url: &str) -> bool {
    match PgConnection::establish(url) {
        Ok(mut conn) => diesel::sql_query("SELECT 1").execute(&mut conn).is_ok(),
        Err(_) => false,
    }
}

/// Runs the probe on its own thread until the database answers, marking it down after
/// each failed attempt, or until `still_wanted` says the pool is gone. When it answers
/// after being down, `on_up` runs (a fresh pool) before requests are let through.
pub fn spawn_probe(
    url: String,
    outage: Arc<Outage>,
    still_wanted: impl Fn() -> bool + Send + 'static,
    on_up: impl FnOnce() + Send + 'static,
) {
    let probing = outage.clone();
    let spawned = std::thread::Builder::new()
        .name("keycard-db-probe".into())
        .spawn(move || {
            let outage = probing;
            let mut on_up = Some(on_up);
            loop {
                if !still_wanted() {
                    outage.probe_done(false);
                    return;
                }
                if probe_once(&url) {
                    if outage.is_down()
                        && let Some(on_up) = on_up.take()
                    {
                        on_up();
                    }
                    outage.mark_up();
                    outage.probe_done(true);
                    return;
                }
                outage.mark_down();
                std::thread::sleep(PROBE_EVERY);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the database probe");
        outage.probe_done(false);
    }
}
