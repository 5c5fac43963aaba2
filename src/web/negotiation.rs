//! Middleware: decide HTML or JSON once per request (contract §1, the rule is
//! `http::negotiate`), store the `Format` in the extensions for the responder and the
//! error renderer, and answer `406` early when neither is acceptable.

use std::future::{Ready, ready};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::error::AppError;
pub use crate::http::negotiate::Format;
use crate::http::negotiate::negotiate;

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    match negotiate(accept) {
        Ok(format) => {
            req.extensions_mut().insert(format);
        }
        Err(_) => {
            let error = AppError::NotAcceptable(
                "this resource is available as text/html or application/json only".into(),
            );
            return Ok(req.error_response(error));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// For the routes that answer JSON whatever `Accept` says (the key set, introspection):
/// their errors are problem details too, and never a `406`.
pub async fn json_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    req.extensions_mut().insert(Format::Json);
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The negotiated format (HTML where the middleware did not run: 406s and static files).
pub fn format_of(req: &HttpRequest) -> Format {
    req.extensions()
        .get::<Format>()
        .copied()
        .unwrap_or(Format::Html)
}

/// For the handlers whose work (not only its rendering) depends on the representation.
impl FromRequest for Format {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(format_of(req)))
    }
}
