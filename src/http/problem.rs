//! RFC 9457 problem details: the JSON body of every error (contract §1).

use actix_web::http::StatusCode;
use serde::Serialize;

use crate::error::FieldErrors;

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
    /// A sign-in that needs its second factor (contract §8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_token: Option<String>,
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
            mfa_required: None,
            mfa_token: None,
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
