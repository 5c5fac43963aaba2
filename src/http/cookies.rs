//! The cookies keycard sets, with the flags contract §4 asks for. `CookiePolicy` holds
//! the one setting they share (`cookie.secure`), so nothing here needs the settings.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};

pub const ACCESS_TOKEN: &str = "access_token";
pub const CSRF: &str = "csrf_token";
pub const FLASH: &str = "flash";
pub const MFA_PENDING: &str = "mfa_pending";

/// A sign-in waits this long for its second factor (contract §8).
pub const MFA_PENDING_MAX_AGE_SECS: i64 = 300;

/// A flash message waits at most this long for the page that shows it.
pub const FLASH_MAX_AGE_SECS: i64 = 60;

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// `Secure` on every cookie (`cookie.secure`).
    pub secure: bool,
}

impl CookiePolicy {
    fn build(&self, name: &'static str, value: String, http_only: bool) -> Cookie<'static> {
        Cookie::build(name, value)
            .http_only(http_only)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .finish()
    }

    /// `access_token`: HttpOnly, SameSite=Lax, Path=/, Max-Age = the token's lifetime.
    pub fn access_token(&self, token: String, max_age_secs: u64) -> Cookie<'static> {
        let mut cookie = self.build(ACCESS_TOKEN, token, true);
        cookie.set_max_age(Duration::seconds(
            i64::try_from(max_age_secs).unwrap_or(i64::MAX),
        ));
        cookie
    }

    /// `csrf_token`: readable by scripts (to copy into `X-CSRF-Token`), SameSite=Lax.
    pub fn csrf(&self, value: String) -> Cookie<'static> {
        self.build(CSRF, value, false)
    }

    /// `flash`: a signed one-time message for the next page, HttpOnly, for a minute.
    pub fn flash(&self, value: String) -> Cookie<'static> {
        let mut cookie = self.build(FLASH, value, true);
        cookie.set_max_age(Duration::seconds(FLASH_MAX_AGE_SECS));
        cookie
    }

    /// `mfa_pending`: a signed sign-in waiting for its second factor, HttpOnly.
    pub fn mfa_pending(&self, value: String) -> Cookie<'static> {
        let mut cookie = self.build(MFA_PENDING, value, true);
        cookie.set_max_age(Duration::seconds(MFA_PENDING_MAX_AGE_SECS));
        cookie
    }

    /// A cookie that deletes `name` (same path and flags, Max-Age=0).
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.build(name, String::new(), name != CSRF);
        cookie.make_removal();
        cookie
    }
}

/// Adds `cookie` to a response a middleware is passing on.
pub fn append<B>(response: &mut ServiceResponse<B>, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Whether the response already sets the named cookie (a handler set or rotated it).
pub fn sets<B>(response: &ServiceResponse<B>, name: &str) -> bool {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| Cookie::parse(v).ok())
        .any(|c| c.name() == name)
}
