//! CSRF, signed double submit bound to the session (contract §4). The `csrf_token`
//! cookie holds `nonce.mac`, where `mac = HMAC-SHA256(key, nonce ":" binding)`, the key
//! is derived from `auth.jwt_secret`, and the binding is the session id once signed in
//! (`-` before). So a value keycard did not mint is refused, and so is one minted before
//! sign-in or for another session: a value planted from a sibling subdomain or over
//! plain HTTP is worth nothing to a signed-in visitor. Forms echo the cookie in a
//! hidden `csrf_token` field; scripts may send it as `X-CSRF-Token`.

use subtle::ConstantTimeEq;

use crate::http::signing::MacKey;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// What a value is bound to: the session it was minted in, or none yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Anonymous,
    Session(uuid::Uuid),
}

impl Binding {
    fn label(self) -> String {
        match self {
            Binding::Anonymous => "-".into(),
            Binding::Session(sid) => sid.to_string(),
        }
    }
}

/// The HMAC key that signs CSRF values.
#[derive(Clone)]
pub struct CsrfKey(MacKey);

impl CsrfKey {
    /// Derived from the JWT secret with a fixed label, so the two uses never share a key.
    pub fn derive(jwt_secret: &[u8]) -> anyhow::Result<Self> {
        Ok(CsrfKey(MacKey::derive(jwt_secret, "keycard csrf v2")?))
    }

    pub fn mint(&self, binding: Binding) -> String {
        let nonce = crate::random::token(24);
        let tag = self.0.tag(&format!("{nonce}:{}", binding.label()));
        format!("{nonce}.{tag}")
    }

    /// Whether `value` is a token this key minted for `binding`.
    pub fn is_genuine(&self, value: &str, binding: Binding) -> bool {
        let Some((nonce, tag)) = value.split_once('.') else {
            return false;
        };
        !nonce.is_empty()
            && self
                .0
                .verify_tag(&format!("{nonce}:{}", binding.label()), tag)
    }
}

/// This request's CSRF token: the cookie's when it is genuine for this request's
/// session, else a fresh one.
#[derive(Debug, Clone)]
pub struct CsrfToken {
    pub value: String,
    /// The cookie carried a genuine token (a submitted value can be checked against it).
    pub from_cookie: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CsrfKey {
        CsrfKey::derive(b"some secret").unwrap()
    }

    #[test]
    fn a_minted_token_is_genuine_for_its_binding_only() {
        let key = key();
        let session = Binding::Session(uuid::Uuid::new_v4());
        let (a, b) = (key.mint(Binding::Anonymous), key.mint(session));
        assert_ne!(a, key.mint(Binding::Anonymous));
        assert!(key.is_genuine(&a, Binding::Anonymous));
        assert!(key.is_genuine(&b, session));
        assert!(!key.is_genuine(&a, session), "minted before sign-in");
        assert!(!key.is_genuine(&b, Binding::Anonymous));
        assert!(
            !key.is_genuine(&b, Binding::Session(uuid::Uuid::new_v4())),
            "another session"
        );
    }

    #[test]
    fn forged_or_foreign_tokens_are_refused() {
        let key = key();
        let other = CsrfKey::derive(b"another secret").unwrap();
        let any = Binding::Anonymous;
        let token = key.mint(any);
        let (nonce, _) = token.split_once('.').unwrap();
        assert!(!key.is_genuine(&other.mint(any), any));
        assert!(!key.is_genuine(nonce, any));
        assert!(!key.is_genuine(&format!("{nonce}.AAAA"), any));
        assert!(!key.is_genuine(&format!("x{token}"), any));
        assert!(!key.is_genuine("", any));
        assert!(!key.is_genuine(".", any));
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
