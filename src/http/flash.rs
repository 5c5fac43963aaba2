//! Flash messages: after a `303`, the next page says once what happened ("Display name
//! saved"). The message rides in a short-lived `flash` cookie signed by the server, so
//! a visitor cannot make keycard's pages say things it never said. JSON never sees it.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponseBuilder, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::http::csrf::{is_html, sets_cookie};
use crate::http::negotiation::is_static;
use crate::state::AppState;

pub const COOKIE: &str = "flash";

/// A flash message waits at most this long for the page that shows it.
const MAX_AGE_SECS: i64 = 60;

/// The message this request carries, verified.
#[derive(Debug, Clone)]
struct Flash(String);

/// Sets a flash message on a response (normally a `303`).
pub fn set(builder: &mut HttpResponseBuilder, state: &AppState, message: &str) {
    let value = state.flash.sign(&URL_SAFE_NO_PAD.encode(message));
    builder.cookie(
        Cookie::build(COOKIE, value)
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(state.settings.cookie.secure)
            .max_age(Duration::seconds(MAX_AGE_SECS))
            .finish(),
    );
}

/// The flash message to show on this page, if any.
pub fn message_of(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<Flash>().map(|f| f.0.clone())
}

/// Reads a genuine flash cookie into the request, and deletes the cookie once a page
/// has been rendered with it.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let carried = (!is_static(req.path()))
        .then(|| req.cookie(COOKIE))
        .flatten();
    let Some(carried) = carried else {
        return next.call(req).await;
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    if let Some(message) = state
        .flash
        .open(carried.value())
        .and_then(|data| URL_SAFE_NO_PAD.decode(data).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
    {
        req.extensions_mut().insert(Flash(message));
    }
    let mut response = next.call(req).await?;
    let shown = !response.status().is_redirection() && is_html(&response);
    if shown && !sets_cookie(&response, COOKIE) {
        let mut removal = Cookie::build(COOKIE, "").path("/").finish();
        removal.make_removal();
        if let Ok(value) = HeaderValue::from_str(&removal.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}
