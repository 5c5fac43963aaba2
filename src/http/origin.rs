//! Middleware: an unsafe request whose `Origin` names another origin than the site's
//! own is `403` (contract §4), whatever else it carries. The site's own origin is
//! `server.public_url` when set; otherwise the request's `Host` must match the
//! `Origin`'s host and port.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web;

use crate::error::AppError;
use crate::state::AppState;

pub fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !is_safe(req.method())
        && let Some(origin) = req.headers().get(header::ORIGIN)
    {
        let public_url = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.settings.server.public_url.clone())
            .unwrap_or_default();
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let allowed = origin
            .to_str()
            .is_ok_and(|origin| is_same_origin(origin, &public_url, host));
        if !allowed {
            let error = AppError::Forbidden("cross-origin request refused".into());
            return Ok(req.error_response(error));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// `origin` is the site's own: equal to `public_url` (already reduced to an origin),
/// or, without one, naming the same host and port as the `Host` header.
pub fn is_same_origin(origin: &str, public_url: &str, host: Option<&str>) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    if !public_url.is_empty() {
        return origin == public_url;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false; // "null" and other opaque origins
    };
    let Some(host) = host else {
        return false;
    };
    let default_port = match scheme {
        "http" => "80",
        "https" => "443",
        _ => return false,
    };
    let with_port = |a: &str| -> String {
        if a.rsplit_once(':')
            .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
            && !a.ends_with(']')
        {
            a.to_string()
        } else {
            format!("{a}:{default_port}")
        }
    };
    with_port(authority) == with_port(&host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::is_same_origin;

    #[test]
    fn same_origin_by_host() {
        assert!(is_same_origin(
            "http://127.0.0.1:8080",
            "",
            Some("127.0.0.1:8080")
        ));
        assert!(is_same_origin(
            "http://Example.com",
            "",
            Some("example.com")
        ));
        assert!(is_same_origin(
            "http://example.com:80",
            "",
            Some("example.com")
        ));
        assert!(!is_same_origin(
            "http://evil.example",
            "",
            Some("example.com")
        ));
        assert!(!is_same_origin(
            "http://127.0.0.1:9090",
            "",
            Some("127.0.0.1:8080")
        ));
        assert!(!is_same_origin("null", "", Some("example.com")));
        assert!(!is_same_origin("http://example.com", "", None));
    }

    #[test]
    fn same_origin_by_public_url() {
        let public = "https://id.example.com";
        assert!(is_same_origin(
            "https://id.example.com",
            public,
            Some("internal:8080")
        ));
        assert!(!is_same_origin(
            "http://id.example.com",
            public,
            Some("id.example.com")
        ));
        assert!(!is_same_origin(
            "https://evil.example",
            public,
            Some("evil.example")
        ));
    }
}
