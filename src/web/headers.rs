//! Middlewares for response headers: security headers on everything; `Vary: Accept`
//! and `Cache-Control: no-store` on everything negotiated (pages show who is signed
//! in); and for static files, long-lived caching of versioned assets.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A Referer carries the origin only, never the path: a page's address can hold a
    // secret (`/reset/{token}`). Not `no-referrer`: browsers then send `Origin: null`
    // with a form, which the Origin check must refuse.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    Ok(response)
}

/// Negotiated responses differ by `Accept` and by who asks: never cached.
pub async fn negotiated(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Accept"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Public documents, the same for everyone and changed only by a restart or a release:
/// the key set (caches may keep it 5 minutes, the wait the rotation runbook counts on)
/// and the OpenAPI document (its `ETag` makes the check after that a `304`). Scripts on
/// other origins may read them (a verifier, a documentation viewer). Errors are not
/// cached.
pub async fn public_document(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let status = response.status();
    let cacheable = status.is_success() || status == actix_web::http::StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    let cache = if cacheable {
        "public, max-age=300"
    } else {
        "no-store"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

/// `/static/*`: a versioned URL (`?v=`, from the page layout) is cached for a year; any
/// other is revalidated (actix-files answers with `ETag` and `Last-Modified`).
pub async fn static_files(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let versioned = req.query_string().starts_with("v=");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let cache = if versioned && headers.contains_key(header::ETAG) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=0, must-revalidate"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// Whether a response a middleware is passing on is an HTML page.
pub fn is_html<B>(response: &ServiceResponse<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}
