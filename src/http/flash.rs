//! Flash messages: after a `303`, the next page says once what happened ("Display name
//! saved"). The message rides in a short-lived `flash` cookie signed by the server, so
//! a visitor cannot make keycard's pages say things it never said. JSON never sees it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponseBuilder, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::http::cookies;
use crate::http::format::is_html;
use crate::http::negotiation::is_static;
use crate::state::AppState;

pub const COOKIE: &str = "flash";

/// A flash message waits at most this long for the page that shows it.
pub const MAX_AGE_SECS: i64 = 60;

/// The message this request carries, verified.
#[derive(Debug, Clone)]
struct Flash(String);

/// Sets a flash message on a response (normally a `303`).
pub fn set(builder: &mut HttpResponseBuilder, state: &AppState, message: &str) {
    let value = state.flash.sign(&URL_SAFE_NO_PAD.encode(message));
    builder.cookie(cookies::flash(&state.settings, value));
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
    if shown && !cookies::sets(&response, COOKIE) {
        cookies::append(&mut response, &cookies::removal(&state.settings, COOKIE));
    }
    Ok(response)
}
