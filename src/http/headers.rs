//! Middleware: response headers every page needs. `Vary: Accept` and
//! `Cache-Control: no-store` on everything negotiated (pages show who is signed in),
//! security headers on everything, long-lived caching for versioned static assets.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::http::negotiation::is_static;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let static_asset = is_static(req.path());
    let versioned = req.query_string().starts_with("v=");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if static_asset {
        let cache = if versioned && response_ok(headers) {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=0, must-revalidate"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    } else {
        headers.append(header::VARY, HeaderValue::from_static("Accept"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    Ok(response)
}

fn response_ok(headers: &header::HeaderMap) -> bool {
    headers.contains_key(header::ETAG)
}
