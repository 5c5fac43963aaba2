//! Graceful shutdown (contract §10). On `SIGTERM` or `SIGINT`: `/readyz` turns `503`
//! at once while requests are still accepted for `server.drain_secs` (a load balancer
//! that reads readiness stops sending new ones); then the listener closes and the
//! requests in flight get up to `server.shutdown_timeout_secs`; then `serve` returns
//! and the process exits 0. A second signal during the drain stops at once.

use std::pin::pin;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use futures_util::future::{Either, select};
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::web::draining::Draining;

/// What it takes to stop one server gracefully; `Application::shutdown` hands it out.
#[derive(Clone)]
pub struct Shutdown {
    pub(crate) handle: ServerHandle,
    pub(crate) draining: Draining,
    pub(crate) drain: Duration,
}

impl Shutdown {
    /// Starts draining at once (`/readyz` is `503` from this call on); the future then
    /// waits out the drain and stops the server, and `run_until_stopped` returns.
    pub fn begin(&self) -> impl Future<Output = ()> + use<> {
        self.draining.begin();
        tracing::info!(
            drain_secs = self.drain.as_secs_f64(),
            "shutting down: /readyz answers 503, still serving while load balancers notice"
        );
        let (handle, drain) = (self.handle.clone(), self.drain);
        async move {
            actix_web::rt::time::sleep(drain).await;
            tracing::info!("closing the listener; finishing the requests in flight");
            handle.stop(true).await;
        }
    }

    /// Waits for `SIGTERM` or `SIGINT`, then `begin`s; a second signal stops at once.
    /// Without signal handling (it could not be set up), never returns.
    pub async fn on_signal(self) {
        let (Ok(mut terminate), Ok(mut interrupt)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for SIGTERM/SIGINT: no graceful shutdown");
            return std::future::pending().await;
        };
        either(&mut terminate, &mut interrupt).await;
        match select(
            pin!(self.begin()),
            pin!(either(&mut terminate, &mut interrupt)),
        )
        .await
        {
            Either::Left(_) => {}
            Either::Right(_) => {
                tracing::warn!("second signal: stopping without waiting");
                self.handle.stop(false).await;
            }
        }
    }
}

async fn either(terminate: &mut Signal, interrupt: &mut Signal) {
    select(pin!(terminate.recv()), pin!(interrupt.recv())).await;
}
