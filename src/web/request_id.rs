//! Middleware: give every request an id (`http::request_id` says which incoming ids are
//! kept) and put it on every response; then, once answered, one access line (contract
//! §9: request id, method, route pattern, status, duration, representation, user id)
//! and the request's metrics. Raw paths are never logged or used as labels: a path can
//! carry a secret (`/reset/{token}`) and has no bound.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::auth::identity::Identity;
use crate::http::negotiate::Format;
use crate::http::request_id::{RequestId, X_REQUEST_ID, is_sane};
use crate::metrics::{Metrics, method_label};

/// The route label of a request no route matched (404s).
const UNMATCHED: &str = "unmatched";

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_sane(id))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = method_label(req.method().as_str());
    let span = tracing::info_span!("request", request_id = %id, method);
    let mut response = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }

    let request = response.request();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED.to_string());
    let format = match request.extensions().get::<Format>() {
        Some(Format::Json) => "json",
        Some(Format::Html) => "html",
        None => "none",
    };
    let user_id = request.extensions().get::<Identity>().map(|i| i.user.id);
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(metrics) = request.app_data::<web::Data<Metrics>>() {
        metrics.request(&route, method, status, format, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            target: "keycard::access",
            route,
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            format,
            user_id,
            "answered"
        );
    });
    Ok(response)
}
