//! The `Format` extractor (what `http::negotiation` decided for this request) and
//! small helpers that build the HTML or JSON response a handler returns.

use std::future::{Ready, ready};

use actix_web::dev::{Payload, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Serialize;

use crate::error::AppError;
pub use crate::http::negotiate::Format;

impl FromRequest for Format {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(of(req)))
    }
}

/// The negotiated format stored by the negotiation middleware (HTML when none ran).
pub fn of(req: &HttpRequest) -> Format {
    req.extensions()
        .get::<Format>()
        .copied()
        .unwrap_or(Format::Html)
}

/// Renders an askama page with the given status.
pub fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn json(status: StatusCode, value: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status).json(value)
}

/// Whether a response a middleware is passing on is an HTML page.
pub fn is_html<B>(response: &ServiceResponse<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}
