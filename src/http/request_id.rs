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
    use proptest::prelude::*;

    use super::*;

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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A kept id is 1-64 safe ASCII characters, so it is a valid header value and
        /// cannot smuggle anything into a log line or a response.
        #[test]
        fn a_kept_id_is_short_and_safe(id in ".{0,80}") {
            if is_sane(&id) {
                prop_assert!((1..=64).contains(&id.len()));
                prop_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c)));
                prop_assert!(actix_web::http::header::HeaderValue::from_str(&id).is_ok());
            }
        }

        /// Every id of that alphabet and length is kept, so well-behaved callers can
        /// correlate logs.
        #[test]
        fn every_token_of_safe_characters_is_kept(id in "[A-Za-z0-9_.:@-]{1,64}") {
            prop_assert!(is_sane(&id));
        }

        #[test]
        fn minted_ids_are_sane(_seed in any::<u8>()) {
            prop_assert!(is_sane(&uuid::Uuid::new_v4().to_string()));
        }
    }
}
