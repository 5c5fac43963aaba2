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

use crate::error::{AppError, FieldErrors};
use crate::http::basic::basic_credentials;
use crate::http::bearer::bearer_token;
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

/// The fields as the handler's type. A field of the wrong type (a number, list, object
/// or `null` where text is expected) is `422` on that field, like any other invalid
/// value (contract §1); `null` stays valid wherever the type allows it (`Option`, or
/// [`present`]). Anything else that does not fit is `400`.
fn decode<T: DeserializeOwned>(fields: Map<String, Value>) -> Result<T, AppError> {
    serde_path_to_error::deserialize(Value::Object(fields)).map_err(|error| {
        let field = match error.path().iter().next() {
            Some(serde_path_to_error::Segment::Map { key }) => Some(key.clone()),
            _ => None,
        };
        let inner = error.into_inner();
        match (field, type_message(&inner.to_string())) {
            (Some(field), Some(message)) if inner.is_data() => {
                AppError::Validation(FieldErrors::single(&field, message))
            }
            _ => AppError::BadRequest(format!("invalid body: {inner}")),
        }
    })
}

/// The field message for serde's "invalid type" and "invalid value" errors, by what was
/// expected; `None` for any other error (missing field, unknown variant of a map...).
fn type_message(error: &str) -> Option<&'static str> {
    let (kind, expected) = error.split_once(", expected ")?;
    if !(kind.starts_with("invalid type: ") || kind.starts_with("invalid value: ")) {
        return None;
    }
    Some(match expected {
        e if e.starts_with("a string") || e.starts_with("a borrowed string") => "must be text",
        e if e.starts_with("a boolean") => "must be true or false",
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "f32"
        | "f64" => "must be a number",
        _ => "has the wrong type",
    })
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

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`:
/// a missing field stays `None`, an explicit `null` becomes `Some(None)`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    /// The shapes the handlers use: required-ish text, optional text, and text where an
    /// explicit `null` means "clear it".
    #[derive(Debug, Deserialize, PartialEq)]
    struct Sample {
        #[serde(default)]
        name: String,
        #[serde(default)]
        maybe: Option<String>,
        #[serde(default, deserialize_with = "present")]
        clear: Option<Option<String>>,
    }

    fn object(value: Value) -> Map<String, Value> {
        parse_fields(BodyKind::Json, value.to_string().as_bytes()).unwrap()
    }

    fn field_errors(result: Result<Sample, AppError>) -> FieldErrors {
        match result {
            Err(AppError::Validation(errors)) => errors,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_json_type_is_a_422_on_that_field() {
        for (body, field) in [
            (json!({"name": null}), "name"),
            (json!({"name": 123}), "name"),
            (json!({"name": ["x"]}), "name"),
            (json!({"name": {"a": 1}}), "name"),
            (json!({"name": true}), "name"),
            (json!({"maybe": 1.5}), "maybe"),
            (json!({"clear": 7}), "clear"),
            (json!({"clear": ["x"]}), "clear"),
        ] {
            let errors = field_errors(decode::<Sample>(object(body.clone())));
            assert_eq!(errors.get(field), ["must be text"], "{body}");
        }
    }

    #[test]
    fn null_where_the_field_allows_it_is_not_a_type_error() {
        let sample: Sample = decode(object(json!({"maybe": null, "clear": null}))).unwrap();
        assert_eq!(
            sample,
            Sample {
                name: String::new(),
                maybe: None,
                clear: Some(None)
            }
        );
        let sample: Sample = decode(object(json!({"other": [1, {"x": null}]}))).unwrap();
        assert_eq!(sample.clear, None, "unknown fields are ignored");
    }

    #[test]
    fn a_body_that_is_not_a_json_object_stays_400() {
        for body in [
            &b"{"[..],
            b"[1,2]",
            b"\"text\"",
            b"{\"name\": }",
            b"",
            b"null",
        ] {
            assert!(
                matches!(
                    parse_fields(BodyKind::Json, body),
                    Err(AppError::BadRequest(_))
                ),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn type_errors_name_what_was_expected() {
        let message = |text: &str| type_message(text);
        assert_eq!(
            message("invalid type: null, expected a string"),
            Some("must be text")
        );
        assert_eq!(
            message("invalid type: string \"x\", expected a boolean"),
            Some("must be true or false")
        );
        assert_eq!(
            message("invalid type: string \"x\", expected u32"),
            Some("must be a number")
        );
        assert_eq!(
            message("invalid value: integer `-1`, expected u32"),
            Some("must be a number")
        );
        assert_eq!(
            message("invalid type: map, expected a sequence"),
            Some("has the wrong type")
        );
        assert_eq!(message("missing field `name`"), None);
        assert_eq!(message("unknown variant `x`, expected `a` or `b`"), None);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(".{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn field_name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("name".to_string()),
            Just("maybe".to_string()),
            Just("clear".to_string()),
            "[a-z_]{1,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary bytes never panic the decoder, whatever the declared type; a JSON
        /// body that decodes was an object.
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_fields(BodyKind::Form, &body);
            if let Ok(fields) = parse_fields(BodyKind::Json, &body) {
                let reparsed = serde_json::from_slice::<Value>(&body);
                prop_assert_eq!(reparsed.ok(), Some(Value::Object(fields)));
            }
        }

        /// Any well-formed JSON object decodes, or is a 422 naming one of its own fields
        /// whose value is not text (null only where the field allows it); never a 400.
        #[test]
        fn a_well_formed_object_is_ok_or_422_on_a_mistyped_field(
            fields in proptest::collection::btree_map(field_name(), json_value(), 0..5)
        ) {
            let map: Map<String, Value> = fields.clone().into_iter().collect();
            let body = Value::Object(map).to_string();
            let parsed = parse_fields(BodyKind::Json, body.as_bytes()).unwrap();
            let mistyped = |name: &str| match fields.get(name) {
                None | Some(Value::String(_)) => false,
                Some(Value::Null) => name == "name",
                Some(_) => true,
            };
            match decode::<Sample>(parsed) {
                Ok(_) => prop_assert!(!["name", "maybe", "clear"].iter().any(|f| mistyped(f))),
                Err(AppError::Validation(errors)) => {
                    let named: Vec<(&str, &str)> = errors.messages();
                    prop_assert_eq!(named.len(), 1);
                    prop_assert!(mistyped(named[0].0), "{} is fine in {}", named[0].0, body);
                    prop_assert_eq!(named[0].1, "must be text");
                }
                Err(other) => prop_assert!(false, "{other:?} for {body}"),
            }
        }

        /// Form values are always text, so a form body that parses always decodes.
        #[test]
        fn a_form_body_that_parses_always_decodes(
            pairs in proptest::collection::vec((field_name(), ".{0,12}"), 0..5)
        ) {
            let body = serde_urlencoded::to_string(&pairs).unwrap();
            let fields = parse_fields(BodyKind::Form, body.as_bytes()).unwrap();
            let sample: Sample = decode(fields).unwrap();
            let last = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            prop_assert_eq!(sample.name, last("name").unwrap_or_default());
            prop_assert_eq!(sample.maybe, last("maybe"));
            prop_assert_eq!(sample.clear, last("clear").map(Some));
        }
    }
}
