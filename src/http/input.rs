//! `Input<T>`: the one body extractor for unsafe requests. It takes a form
//! (`application/x-www-form-urlencoded`) or JSON (`application/json`), any charset, or
//! no body at all; anything else is `415`. Bodies over 64 KiB are `413` (also when
//! chunked), malformed ones (not JSON, or not an object) `400`, strings holding NUL
//! `422` on that field, and a field of the wrong type `422` on that field.
//!
//! It is also the CSRF gate (contract §4): a form body, or a request that carries the
//! `access_token` cookie and no `Authorization: Bearer`, must echo the `csrf_token`
//! cookie in the `csrf_token` field or the `X-CSRF-Token` header, else `403`.
//!
//! `ClientInput<T>` is the same body without the CSRF gate, for the one route whose
//! caller authenticates itself in the request and where no cookie is ever consulted:
//! `POST /introspect` (contract §7, "No CSRF (no cookie is involved)"). With `Input`,
//! an RFC 7662 client's form body would need a CSRF value it cannot have. The one
//! exception is a program that authenticates itself with HTTP Basic (`POST
//! /introspect`, contract §7) and sends no cookie at all: nothing ambient rides on it.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::http::basic::basic_credentials;
use crate::http::bearer::bearer_token;
pub use crate::http::body::present;
use crate::http::body::{BodyKind, decode, parse_fields, reject_nul};
use crate::http::cookies;
use crate::http::csrf::{self, CsrfToken, FIELD as CSRF_FIELD};

pub const BODY_LIMIT: usize = 64 * 1024;

/// The decoded body of an unsafe request, CSRF-checked.
#[derive(Debug)]
pub struct Input<T>(pub T);

/// The decoded body of a request that no cookie authenticates (see the module header).
#[derive(Debug)]
pub struct ClientInput<T>(pub T);

/// A body with no fields of interest (the CSRF value is checked all the same).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for Input<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move { Ok(Input(extract(&req, &mut payload, true).await?)) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ClientInput<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move { Ok(ClientInput(extract(&req, &mut payload, false).await?)) })
    }
}

async fn extract<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: &mut Payload,
    csrf: bool,
) -> Result<T, AppError> {
    let declared = body_kind(req)?;
    if let Some(length) = content_length(req)
        && length > BODY_LIMIT
    {
        return Err(AppError::PayloadTooLarge);
    }
    let body = read_limited(payload).await?;
    let kind = match declared {
        None if body.is_empty() => BodyKind::Empty,
        None => {
            return Err(AppError::UnsupportedMediaType(
                "send application/x-www-form-urlencoded or application/json".into(),
            ));
        }
        Some(kind) => kind,
    };
    let fields = parse_fields(kind, &body)?;
    reject_nul(&fields)?;
    if csrf {
        check_csrf(req, kind, &fields)?;
    }
    decode(fields)
}

/// `None` when the request declares no body type.
fn body_kind(req: &HttpRequest) -> Result<Option<BodyKind>, AppError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Ok(Some(BodyKind::Form)),
        "application/json" => Ok(Some(BodyKind::Json)),
        _ => Err(AppError::UnsupportedMediaType(
            "send application/x-www-form-urlencoded or application/json".into(),
        )),
    }
}

fn content_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

async fn read_limited(payload: &mut Payload) -> Result<Vec<u8>, AppError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => AppError::PayloadTooLarge,
            other => AppError::BadRequest(format!("could not read the body: {other}")),
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body as a JSON object: forms become an object of strings (the last of repeated
/// rides on the `access_token` cookie (a Bearer header means a program, not a browser).
fn csrf_required(req: &HttpRequest, kind: BodyKind) -> bool {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    // A service's own Basic credentials and no cookie whatsoever: not a browser
    // session, and a browser that ever saw a keycard page holds a `csrf_token` cookie.
    let basic_without_cookies = authorization.and_then(basic_credentials).is_some()
        && !req.headers().contains_key(header::COOKIE);
    if basic_without_cookies {
        return false;
    }
    if kind == BodyKind::Form {
        return true;
    }
    // The same reading of the header as authentication's, so that "a Bearer header
    // means no CSRF" can never disagree with "a Bearer header means no cookie".
    let bearer = authorization.and_then(bearer_token).is_some();
    !bearer && req.cookie(cookies::ACCESS_TOKEN).is_some()
}

fn check_csrf(
    req: &HttpRequest,
    kind: BodyKind,
    fields: &Map<String, Value>,
) -> Result<(), AppError> {
    if !csrf_required(req, kind) {
        return Ok(());
    }
    let from_header = req
        .headers()
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok());
    let from_field = fields.get(CSRF_FIELD).and_then(Value::as_str);
    let token = req.extensions().get::<CsrfToken>().cloned();
    if csrf::matches(token.as_ref(), from_field.or(from_header)) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "missing or invalid CSRF token; reload the page and try again".into(),
        ))
    }
}
