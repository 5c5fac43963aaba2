//! `POST /introspect` (contract §7, RFC 7662): a form or JSON body with `token`, the
//! caller a configured client over HTTP Basic. Always JSON.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::accounts::Client;
use crate::accounts::introspection::Introspection;
use crate::error::AppError;
use crate::http::basic::basic_credentials;
use crate::http::input::ClientInput;
use crate::views::json::{ActiveTokenJson, InactiveTokenJson};

#[derive(Deserialize)]
pub struct IntrospectionRequest {
    #[serde(default)]
    token: String,
    /// RFC 7662 §2.1 allows it; keycard has one kind of token, so it changes nothing.
    #[serde(default)]
    #[allow(dead_code)]
    token_type_hint: Option<String>,
}

pub async fn introspect(
    req: HttpRequest,
    introspection: web::Data<Introspection>,
    client: Client,
    ClientInput(body): ClientInput<IntrospectionRequest>,
) -> Result<HttpResponse, AppError> {
    let credentials = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(basic_credentials);
    let found = introspection
        .introspect(credentials, &client, &body.token)
        .await?;
    Ok(match found {
        Some(identity) => HttpResponse::Ok().json(ActiveTokenJson::from(&identity)),
        None => HttpResponse::Ok().json(InactiveTokenJson { active: false }),
    })
}
