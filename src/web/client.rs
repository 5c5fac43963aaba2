//! The `Client` extractor: the caller's address (contract §4, behind
//! `server.trusted_proxies`) and `User-Agent`, for limits and the session list.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use ipnet::IpNet;

use crate::accounts::Client;
use crate::error::AppError;
use crate::http::client_addr::client_address;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl FromRequest for Client {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(proxies) = req.app_data::<web::Data<TrustedProxies>>() else {
            return ready(Err(AppError::internal(anyhow::anyhow!(
                "TrustedProxies is not registered"
            ))));
        };
        ready(Ok(Client {
            address: client_address(req, &proxies.0),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            request_id: crate::http::request_id::of(req),
        }))
    }
}
