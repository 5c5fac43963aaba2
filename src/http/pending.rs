//! The browser's half of a sign-in waiting for its second factor (contract §8): the
//! `mfa_token` rides in the `mfa_pending` cookie (HttpOnly, five minutes), signed by
//! the server, between `POST /login` and `POST /login/2fa`. The token itself is random
//! and only its hash is stored; the signature keeps invented values away from the
//! database.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};

use crate::error::AppError;
use crate::http::cookies;
use crate::http::signing::MacKey;

/// Signs and opens `mfa_pending` cookie values.
#[derive(Clone)]
pub struct PendingKey(MacKey);

impl PendingKey {
    pub fn derive(jwt_secret: &[u8]) -> anyhow::Result<Self> {
        Ok(PendingKey(MacKey::derive(
            jwt_secret,
            "keycard mfa pending v1",
        )?))
    }

    /// The cookie value carrying `mfa_token` (URL-safe base64, so no `.` inside).
    pub fn seal(&self, mfa_token: &str) -> String {
        self.0.sign(mfa_token)
    }

    pub fn open<'a>(&self, value: &'a str) -> Option<&'a str> {
        self.0.open(value)
    }
}

/// The `mfa_token` of the sign-in this browser is completing, when its cookie is
/// genuine.
#[derive(Debug)]
pub struct PendingSignIn(pub Option<String>);

impl FromRequest for PendingSignIn {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .app_data::<web::Data<PendingKey>>()
            .zip(req.cookie(cookies::MFA_PENDING))
            .and_then(|(key, cookie)| key.open(cookie.value()).map(str::to_string));
        ready(Ok(PendingSignIn(token)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_values_this_key_signed_open() {
        let key = PendingKey::derive(b"secret").unwrap();
        let sealed = key.seal("abc_DEF-123");
        assert_eq!(key.open(&sealed), Some("abc_DEF-123"));
        assert_eq!(PendingKey::derive(b"other").unwrap().open(&sealed), None);
        assert_eq!(key.open("abc_DEF-123"), None);
    }
}
