//! `GET /openapi.json` (contract §9): the OpenAPI 3.1 document of keycard's JSON side.
//!
//! Hand-written (`src/openapi.json`, compiled in), not generated from the handlers: one
//! handler answers both HTML and JSON, and what its JSON side returns (`201` here, `204`
//! there, the `406` of a form page, the `mfa_required` problem) is decided by
//! `web::answer::Answer` at run time, which no derive macro can see. The drift tests keep
//! it exact instead: `tests/api/openapi.rs` walks `routes::ROUTES` against it and the
//! server, and `tests/openapi/run` has schemathesis check real answers against it.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// The document, as served (and as a client generator reads it from the repository).
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// A strong validator of the document: the first 128 bits of its SHA-256.
static ETAG: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(DOCUMENT.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
});

pub async fn document(req: HttpRequest) -> HttpResponse {
    let etag = ETAG.as_str();
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches_etag(v, etag));
    if fresh {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .content_type("application/json")
        .body(DOCUMENT)
}

/// `If-None-Match` (RFC 9110 §13.1.2): `*`, or a list of tags compared weakly.
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::domain::{EventKind, Role};

    fn document() -> Value {
        serde_json::from_str(DOCUMENT).unwrap()
    }

    fn enum_of(schema: &str) -> Vec<String> {
        document()["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_document_states_this_version() {
        assert_eq!(document()["openapi"], "3.1.0");
        assert_eq!(document()["info"]["version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn the_event_kinds_and_roles_are_the_ones_keycard_knows() {
        let kinds: Vec<String> = EventKind::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect();
        assert_eq!(enum_of("EventKind"), kinds);
        let roles: Vec<String> = [Role::User, Role::Admin]
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(enum_of("Role"), roles);
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        assert!(matches_etag("\"a\"", "\"a\""));
        assert!(matches_etag("W/\"a\"", "\"a\""));
        assert!(matches_etag("\"b\", \"a\"", "\"a\""));
        assert!(matches_etag("*", "\"a\""));
        assert!(!matches_etag("\"b\"", "\"a\""));
    }
}
