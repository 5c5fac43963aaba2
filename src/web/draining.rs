//! Draining (contract §10): from the moment an instance is told to stop, `/readyz`
//! answers `503` and every response asks its client to close the connection, so load
//! balancers and kept-alive clients move to other instances while this one still
//! serves them, before its listener closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;

/// Whether this instance is shutting down. Shared by the shutdown sequence (which sets
/// it), the readiness probe and the middleware below (which read it).
#[derive(Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn begin(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// While draining, `Connection: close` on every response.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let draining = response
        .request()
        .app_data::<web::Data<Draining>>()
        .is_some_and(|d| d.is_draining());
    if draining {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}
