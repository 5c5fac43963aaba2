//! The cookies keycard sets, with the flags contract §4 asks for.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};

use crate::settings::Settings;

pub const ACCESS_TOKEN: &str = "access_token";

/// `access_token`: HttpOnly, SameSite=Lax, Path=/, Secure per `cookie.secure`, Max-Age = lifetime.
pub fn access_token(settings: &Settings, token: String, max_age_secs: u64) -> Cookie<'static> {
    Cookie::build(ACCESS_TOKEN, token)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(settings.cookie.secure)
        .max_age(Duration::seconds(
            i64::try_from(max_age_secs).unwrap_or(i64::MAX),
        ))
        .finish()
}

/// `csrf_token`: readable by scripts (to copy into `X-CSRF-Token`), SameSite=Lax.
pub fn csrf(settings: &Settings, value: String) -> Cookie<'static> {
    Cookie::build(crate::http::csrf::COOKIE, value)
        .http_only(false)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(settings.cookie.secure)
        .finish()
}

/// `flash`: a signed one-time message for the next page, HttpOnly, for a minute.
pub fn flash(settings: &Settings, value: String) -> Cookie<'static> {
    Cookie::build(crate::http::flash::COOKIE, value)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(settings.cookie.secure)
        .max_age(Duration::seconds(crate::http::flash::MAX_AGE_SECS))
        .finish()
}

/// A cookie that deletes `name` (same path and flags, Max-Age=0).
pub fn removal(settings: &Settings, name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "")
        .http_only(name != crate::http::csrf::COOKIE)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(settings.cookie.secure)
        .finish();
    cookie.make_removal();
    cookie
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
