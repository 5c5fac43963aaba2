//! CSRF, signed double submit (contract §4). The `csrf_token` cookie holds
//! `nonce.mac`, where `mac = HMAC-SHA256(key, nonce)` and the key is derived from
//! `auth.jwt_secret`, so a value keycard did not mint is refused. Forms echo the cookie
//! in a hidden `csrf_token` field; scripts may send it as `X-CSRF-Token`.
//!
//! The middleware here makes sure every request has a token to render into forms
//! (minting one when the cookie is missing or forged) and sets the cookie on HTML
//! responses. The check itself happens in `http::input`, where the body is read.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};
use subtle::ConstantTimeEq;

use crate::http::cookies;
use crate::http::format::is_html;
use crate::http::negotiation::is_static;
use crate::http::signing::MacKey;
use crate::state::AppState;

pub const COOKIE: &str = "csrf_token";
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The HMAC key that signs CSRF values.
#[derive(Clone)]
pub struct CsrfKey(MacKey);

impl CsrfKey {
    /// Derived from the JWT secret with a fixed label, so the two uses never share a key.
    pub fn derive(jwt_secret: &[u8]) -> Self {
        CsrfKey(MacKey::derive(jwt_secret, "keycard csrf v1"))
    }

    pub fn mint(&self) -> String {
        self.0.sign(&crate::random::token(24))
    }

    /// Whether `value` is a token this key minted.
    pub fn is_genuine(&self, value: &str) -> bool {
        self.0.open(value).is_some_and(|nonce| !nonce.is_empty())
    }
}

/// This request's CSRF token: the cookie's when it is genuine, else a fresh one.
#[derive(Debug, Clone)]
pub struct CsrfToken {
    pub value: String,
    /// The cookie carried a genuine token (a submitted value can be checked against it).
    pub from_cookie: bool,
}

/// The token to render into this request's forms.
pub fn token_of(req: &HttpRequest) -> String {
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.value.clone())
        .unwrap_or_default()
}

/// Constant-time check of a submitted value against the request's genuine cookie.
pub fn matches(token: Option<&CsrfToken>, submitted: Option<&str>) -> bool {
    match (token, submitted) {
        (Some(token), Some(submitted)) if token.from_cookie && !submitted.is_empty() => {
            bool::from(token.value.as_bytes().ct_eq(submitted.as_bytes()))
        }
        _ => false,
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if is_static(req.path()) {
        return next.call(req).await;
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let genuine = req
        .cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|value| state.csrf.is_genuine(value));
    let token = match genuine {
        Some(value) => CsrfToken {
            value,
            from_cookie: true,
        },
        None => CsrfToken {
            value: state.csrf.mint(),
            from_cookie: false,
        },
    };
    req.extensions_mut().insert(token.clone());
    let mut response = next.call(req).await?;
    if !token.from_cookie && is_html(&response) && !cookies::sets(&response, COOKIE) {
        cookies::append(&mut response, &cookies::csrf(&state.settings, token.value));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_is_genuine_and_unique() {
        let key = CsrfKey::derive(b"some secret");
        let (a, b) = (key.mint(), key.mint());
        assert_ne!(a, b);
        assert!(key.is_genuine(&a));
        assert!(key.is_genuine(&b));
    }

    #[test]
    fn forged_or_foreign_tokens_are_refused() {
        let key = CsrfKey::derive(b"some secret");
        let other = CsrfKey::derive(b"another secret");
        let token = key.mint();
        let (nonce, _) = token.split_once('.').unwrap();
        assert!(!key.is_genuine(&other.mint()));
        assert!(!key.is_genuine(nonce));
        assert!(!key.is_genuine(&format!("{nonce}.AAAA")));
        assert!(!key.is_genuine(&format!("x{token}")));
        assert!(!key.is_genuine(""));
        assert!(!key.is_genuine("."));
    }

    #[test]
    fn only_a_genuine_cookie_matching_the_submission_passes() {
        let cookie = CsrfToken {
            value: "abc.def".into(),
            from_cookie: true,
        };
        let minted = CsrfToken {
            value: "abc.def".into(),
            from_cookie: false,
        };
        assert!(matches(Some(&cookie), Some("abc.def")));
        assert!(!matches(Some(&cookie), Some("abc.deg")));
        assert!(!matches(Some(&cookie), Some("")));
        assert!(!matches(Some(&cookie), None));
        assert!(!matches(Some(&minted), Some("abc.def")));
        assert!(!matches(None, Some("abc.def")));
    }
}
