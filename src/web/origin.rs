//! Middleware: an unsafe request whose `Origin` names another origin than the site's
//! own is `403` (contract §4), whatever else it carries (`http::origin` has the rule).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web;
use ipnet::IpNet;

use crate::error::AppError;
use crate::http::origin::{is_safe, is_same_origin, request_scheme};

/// What the check needs: the site's own origin when configured (`server.public_url`,
/// already reduced to an origin), else empty; and the proxies whose forwarded scheme
/// is believed.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    pub public_url: String,
    pub trusted_proxies: Vec<IpNet>,
}

pub async fn middleware(
    policy: web::Data<OriginPolicy>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !is_safe(req.method())
        && let Some(origin) = req.headers().get(header::ORIGIN)
    {
        let scheme = request_scheme(req.request(), &policy.trusted_proxies);
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let allowed = origin
            .to_str()
            .is_ok_and(|origin| is_same_origin(origin, &policy.public_url, &scheme, host));
        if !allowed {
            let error = AppError::Forbidden("cross-origin request refused".into());
            return Ok(req.error_response(error));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
