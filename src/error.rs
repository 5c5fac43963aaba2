//! `AppError`: one variant per status of contract §1, and `FieldErrors`, the per-field
//! messages of a `422`. Handlers and extractors return it; `web::render_errors` turns it (and actix's own errors) into the HTML error page or
//! `application/problem+json`, because only the middleware can see the request's `Accept`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use std::collections::BTreeMap;

use serde::Serialize;

/// Seconds a client should wait before asking again while the database is down.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// No (valid) token on a route that needs one.
    #[error("sign-in required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("invalid field values")]
    Validation(FieldErrors),
    /// `POST /introspect` without the HTTP Basic credentials of a configured client.
    #[error("introspection needs the HTTP Basic credentials of a configured client")]
    ClientUnauthenticated,
    /// Wrong username or password, carried so the login form can be shown again.
    #[error("wrong username or password")]
    BadCredentials,
    /// The right password of a user with a second factor, and no code (contract §8):
    /// the problem carries `mfa_required` and the `mfa_token` that `POST /login/2fa`
    /// completes.
    #[error(
        "a second factor is needed: send a code of your authenticator (or a recovery code) as `code`, here or to POST /login/2fa with the mfa_token"
    )]
    SecondFactorRequired { mfa_token: crate::settings::Secret },
    /// A wrong, reused or used-up second-factor code at sign-in.
    #[error("wrong or already used code")]
    WrongCode,
    /// `POST /login/2fa` for a sign-in that expired, was completed, or was voided.
    #[error("this sign-in has expired or was already completed; sign in again with your password")]
    SignInExpired,
    #[error("too many {limit}; try again in {retry_after_secs} seconds")]
    TooManyRequests { limit: Limit, retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Too much work queued (password hashes, sign-in slots): `503`, try again soon.
    #[error("{0}")]
    Busy(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Which limit a `429` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    SignIns,
    SignUps,
    Introspection,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::SignIns => "failed sign-ins",
            Limit::SignUps => "sign-ups from this address",
            Limit::Introspection => "failed introspection client authentications",
        })
    }
}

/// Seconds a client should wait when keycard is busy hashing.
pub const BUSY_RETRY_SECS: u64 = 1;

impl AppError {
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(error.into())
    }

    /// The message a client may see. Internal errors say nothing about themselves.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(_) => "something went wrong on our side".into(),
            AppError::Unavailable(_) => "the database is unavailable; try again shortly".into(),
            other => other.to_string(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated
            | AppError::BadCredentials
            | AppError::SecondFactorRequired { .. }
            | AppError::WrongCode
            | AppError::SignInExpired
            | AppError::ClientUnauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Status and headers only; the body is written by `http::render_errors`.
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::new(self.status_code());
        let headers = response.headers_mut();
        match self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from((*retry_after_secs).max(1)),
                );
            }
            AppError::Unavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_SECS),
                );
            }
            AppError::Busy(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECS));
            }
            AppError::Unauthenticated
            | AppError::BadCredentials
            | AppError::SecondFactorRequired { .. }
            | AppError::WrongCode
            | AppError::SignInExpired => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::ClientUnauthenticated => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"keycard\", charset=\"UTF-8\""),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => AppError::NotFound("not found".into()),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some("users_username_lower_key") =>
            {
                AppError::Conflict("that username is already taken".into())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                AppError::Unavailable(info.message().to_string())
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(error.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        AppError::Internal(error.into())
    }
}

/// `text` with its first letter upper-cased: a message or field name as a sentence.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Messages per field name, in a stable order. Feeds both the problem's `errors`
/// member and the re-rendered HTML form.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Messages for one field (empty when it has none), for templates.
    pub fn get(&self, field: &str) -> &[String] {
        self.0.get(field).map_or(&[], Vec::as_slice)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The first of `fields` (in form order) that has an error: where focus goes.
    pub fn first_of<'a>(&self, fields: impl AsRef<[&'a str]>) -> &'a str {
        let fields = fields.as_ref();
        fields.iter().find(|f| self.has(f)).copied().unwrap_or("")
    }

    /// A field name as people read it: `display_name` → `Display name`.
    pub fn label(&self, field: &str) -> String {
        capitalise(&field.replace('_', " "))
    }

    /// Every `(field, message)` pair, by field name.
    pub fn messages(&self) -> Vec<(&str, &str)> {
        self.ordered([])
    }

    /// `(field, message)` pairs with `fields` first, in that (form) order, then any
    /// others: the error summary reads in the order the form does.
    pub fn ordered<'a>(&'a self, fields: impl AsRef<[&'a str]>) -> Vec<(&'a str, &'a str)> {
        let fields = fields.as_ref();
        let known = fields.iter().copied().filter(|f| self.has(f));
        let others = self
            .0
            .keys()
            .map(String::as_str)
            .filter(move |f| !fields.contains(f));
        known
            .chain(others)
            .flat_map(|f| self.get(f).iter().map(move |m| (f, m.as_str())))
            .collect()
    }

    /// `Ok(value)` when nothing was reported, else the collected errors.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FieldErrors;

    #[test]
    fn the_summary_follows_the_form_order_then_the_rest() {
        let mut errors = FieldErrors::default();
        errors.add("password", "is too short");
        errors.add("zeta", "is odd");
        errors.add("username", "is taken");
        errors.add("password", "is common");
        assert_eq!(
            errors.ordered(["username", "display_name", "password"]),
            [
                ("username", "is taken"),
                ("password", "is too short"),
                ("password", "is common"),
                ("zeta", "is odd"),
            ]
        );
        assert_eq!(errors.label("current_password"), "Current password");
        assert_eq!(errors.label(""), "");
    }
}
