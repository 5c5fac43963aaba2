//! `GET /.well-known/jwks.json` (contract §7): the public keys that verify keycard's
//! tokens, as an RFC 7517 key set, current key first. Built once at start-up: the keys
//! change only with a restart.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::auth::jwt::Keys;
use crate::auth::keys::PublicJwk;

/// The key set's JSON, ready to send.
pub struct KeySet {
    json: Vec<u8>,
}

#[derive(Serialize)]
struct KeySetJson<'a> {
    keys: Vec<&'a PublicJwk>,
}

impl KeySet {
    /// `{"keys":[]}` with HMAC keys, which are never published.
    pub fn new(keys: &Keys) -> anyhow::Result<KeySet> {
        let json = serde_json::to_vec(&KeySetJson {
            keys: keys.public_jwks(),
        })?;
        Ok(KeySet { json })
    }
}

pub async fn jwks(key_set: web::Data<KeySet>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(key_set.json.clone())
}
