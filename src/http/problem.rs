//! RFC 9457 problem details, and `FieldErrors`, the per-field messages of a `422`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use serde::Serialize;

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

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
            request_id: None,
        }
    }

    /// The human message for an error actix (or actix-files) produced on its own.
    pub fn default_detail(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "the request could not be understood",
            401 => "sign-in required",
            403 => "you are not allowed to do that",
            404 => "there is nothing at this address",
            405 => "this address does not accept that method",
            406 => "this resource is available as text/html or application/json only",
            409 => "that conflicts with the current state",
            413 => "request body is larger than 64 KiB",
            415 => "send application/x-www-form-urlencoded or application/json",
            422 => "invalid field values",
            429 => "too many requests",
            503 => "the service is unavailable; try again shortly",
            _ => "something went wrong",
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
