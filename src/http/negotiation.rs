//! Middleware: decide HTML or JSON once per request (contract §1), store the `Format`
//! in the extensions for handlers and the error renderer, and answer `406` early when
//! neither is acceptable. `/static/*` is not negotiated.

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;

use crate::error::AppError;
use crate::http::negotiate::negotiate;

pub fn is_static(path: &str) -> bool {
    path.starts_with("/static/") || path == "/static"
}

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
        Err(_) if is_static(req.path()) => {}
        Err(_) => {
            let error = AppError::NotAcceptable(
                "this resource is available as text/html or application/json only".into(),
            );
            return Ok(req.error_response(error));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
