//! Query-string extractors: a list's `page`, `per_page` and `q` (`400` when bad), and
//! optional flags that fall back to their default when absent or unreadable.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::http::pagination::{self, ListQuery};

impl FromRequest for ListQuery {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(pagination::parse(req.query_string()))
    }
}

impl FromRequest for crate::http::audit_query::AuditQuery {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(crate::http::audit_query::parse(req.query_string()))
    }
}

/// Query parameters that only change what a page shows (a confirmation step, the
/// `next` of a form): a malformed query string gives the defaults, never an error.
pub struct Lenient<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest for Lenient<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lenient(
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default(),
        )))
    }
}
