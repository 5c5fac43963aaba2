//! Middleware: a genuine flash cookie (`http::flash`) goes into the request for the page
//! to show, and the cookie is deleted once a page has been rendered with it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};

use crate::http::cookies::{self, CookiePolicy};
use crate::http::flash::{Flash, FlashKey};
use crate::web::headers::is_html;

/// The flash message to show on this page, if any.
pub fn message_of(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<Flash>().map(|f| f.0.clone())
}

pub async fn middleware(
    key: web::Data<FlashKey>,
    policy: web::Data<CookiePolicy>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(carried) = req.cookie(cookies::FLASH) else {
        return next.call(req).await;
    };
    if let Some(flash) = key.open(carried.value()) {
        req.extensions_mut().insert(flash);
    }
    let mut response = next.call(req).await?;
    let shown = !response.status().is_redirection() && is_html(&response);
    if shown && !cookies::sets(&response, cookies::FLASH) {
        cookies::append(&mut response, &policy.removal(cookies::FLASH));
    }
    Ok(response)
}
