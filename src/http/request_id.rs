//! `X-Request-Id`: a sane incoming id (1–64 of `A-Z a-z 0-9 - _ . : @`) is kept,
//! otherwise `web::request_id` mints a UUID. The id goes into the request extensions
//! (for logs and the 500 page) and onto every response, error responses included.

use actix_web::http::header::HeaderName;
use actix_web::{HttpMessage, HttpRequest};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub fn is_sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'))
}

/// The request's id, as the middleware stored it.
pub fn of(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::is_sane;

    #[test]
    fn sane_ids_are_short_tokens_of_safe_characters() {
        assert!(is_sane("abc-123_DEF.ghi:jk@l"));
        assert!(is_sane(&"a".repeat(64)));
        assert!(!is_sane(""));
        assert!(!is_sane(&"a".repeat(65)));
        assert!(!is_sane("has space"));
        assert!(!is_sane("<script>"));
        assert!(!is_sane("new\nline"));
    }
}
