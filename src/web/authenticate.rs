//! Middleware: who is calling (`auth::authenticate` does the work). An `Identity` goes
//! into the request extensions for the guards in `auth::extract`; a token that is no
//! token leaves the request anonymous, and a cookie carrying it is cleared. On the way
//! out, a cookie token past half its life is renewed.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::auth::authenticate::{Authenticator, bearer_or_cookie};
use crate::auth::identity::TokenSource;
use crate::http::cookies::{self, CookiePolicy};

pub async fn middleware(
    authenticator: web::Data<Authenticator>,
    policy: web::Data<CookiePolicy>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some((token, source)) = bearer_or_cookie(&req) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let identity = match authenticator.identify(&token).await {
        Ok(identity) => identity,
        Err(error) => return Ok(req.error_response(error)),
    };
    let Some(identity) = identity else {
        let mut response = next.call(req).await?.map_into_boxed_body();
        if source == TokenSource::Cookie && !cookies::sets(&response, cookies::ACCESS_TOKEN) {
            cookies::append(&mut response, &policy.removal(cookies::ACCESS_TOKEN));
        }
        return Ok(response);
    };

    let identity = authenticator.touch_if_stale(identity).await;
    req.extensions_mut().insert(identity.clone());
    let mut response = next.call(req).await?.map_into_boxed_body();
    // A handler that signed in or out, refreshed or changed the password set its own.
    if source == TokenSource::Cookie
        && !cookies::sets(&response, cookies::ACCESS_TOKEN)
        && let Some(fresh) = authenticator.renewal(&identity).await
    {
        let max_age = fresh.max_age_secs();
        cookies::append(&mut response, &policy.access_token(fresh.token, max_age));
    }
    Ok(response)
}
