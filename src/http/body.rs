//! The body decoder behind `http::input`: form or JSON into one object of fields, NUL
//! refused on every field, and serde type errors turned into `422` on the field.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{AppError, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Form,
    Json,
    Empty,
}

/// names wins).
pub(crate) fn parse_fields(kind: BodyKind, body: &[u8]) -> Result<Map<String, Value>, AppError> {
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
pub(crate) fn decode<T: DeserializeOwned>(fields: Map<String, Value>) -> Result<T, AppError> {
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
pub(crate) fn reject_nul(fields: &Map<String, Value>) -> Result<(), AppError> {
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
