//! `Input<T>`: the one body extractor for unsafe requests. It takes a form
//! (`application/x-www-form-urlencoded`) or JSON (`application/json`), any charset, or
//! no body at all; anything else is `415`. Bodies over 64 KiB are `413` (also when
//! chunked), malformed ones `400`, strings holding NUL `422` on that field.
//!
//! It is also the CSRF gate (contract §4): a form body, or a request that carries the
//! `access_token` cookie and no `Authorization: Bearer`, must echo the `csrf_token`
//! cookie in the `csrf_token` field or the `X-CSRF-Token` header, else `403`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{AppError, FieldErrors};
use crate::http::cookies;
use crate::http::csrf::{self, CsrfToken, FIELD as CSRF_FIELD};

pub const BODY_LIMIT: usize = 64 * 1024;

/// The decoded body of an unsafe request, CSRF-checked.
#[derive(Debug)]
pub struct Input<T>(pub T);

/// A body with no fields of interest (the CSRF value is checked all the same).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
    Empty,
}

impl<T: DeserializeOwned + 'static> FromRequest for Input<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let declared = body_kind(&req)?;
            if let Some(length) = content_length(&req)
                && length > BODY_LIMIT
            {
                return Err(AppError::PayloadTooLarge);
            }
            let body = read_limited(&mut payload).await?;
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
            check_csrf(&req, kind, &fields)?;
            let value = serde_json::from_value(Value::Object(fields))
                .map_err(|e| AppError::BadRequest(format!("invalid body: {e}")))?;
            Ok(Input(value))
        })
    }
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
/// names wins).
fn parse_fields(kind: BodyKind, body: &[u8]) -> Result<Map<String, Value>, AppError> {
    match kind {
        BodyKind::Empty => Ok(Map::new()),
        BodyKind::Form => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                .map_err(|_| AppError::BadRequest("malformed form body".into()))?;
            Ok(pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect())
        }
        BodyKind::Json => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(AppError::BadRequest(
                "the JSON body must be an object".into(),
            )),
            Err(e) => Err(AppError::BadRequest(format!("malformed JSON body: {e}"))),
        },
    }
}

/// PostgreSQL text cannot hold NUL and bcrypt may stop at it: refused on every field.
fn reject_nul(fields: &Map<String, Value>) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    for (name, value) in fields {
        if name.contains('\0') || contains_nul(value) {
            errors.add(&name.replace('\0', ""), "must not contain NUL characters");
        }
    }
    errors.into_result(()).map_err(AppError::Validation)
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// Whether this request must carry the CSRF value: form bodies always; otherwise when it
/// rides on the `access_token` cookie (a Bearer header means a program, not a browser).
fn csrf_required(req: &HttpRequest, kind: BodyKind) -> bool {
    if kind == BodyKind::Form {
        return true;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
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

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`:
/// a missing field stays `None`, an explicit `null` becomes `Some(None)`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}
