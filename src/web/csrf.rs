//! Middleware: every request gets a CSRF token to render into its forms: the cookie's
//! when it is genuine for this request's session, else a fresh one, which is set as
//! the cookie on HTML responses. (The check itself is in `http::input`, where the body
//! is read; the rule is `http::csrf`.) Runs inside authentication, which decides the
//! session the token is bound to.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};

use crate::auth::identity::Identity;
use crate::http::cookies::{self, CookiePolicy};
use crate::http::csrf::{Binding, CsrfKey, CsrfToken};
use crate::web::headers::is_html;

/// The binding of a request's CSRF value: its session once signed in.
pub fn binding_of(req: &HttpRequest) -> Binding {
    req.extensions()
        .get::<Identity>()
        .map_or(Binding::Anonymous, |identity| {
            Binding::Session(identity.session.id)
        })
}

/// The token to render into this request's forms.
pub fn token_of(req: &HttpRequest) -> String {
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.value.clone())
        .unwrap_or_default()
}

pub async fn middleware(
    key: web::Data<CsrfKey>,
    policy: web::Data<CookiePolicy>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let binding = binding_of(req.request());
    let genuine = req
        .cookie(cookies::CSRF)
        .map(|c| c.value().to_string())
        .filter(|value| key.is_genuine(value, binding));
    let token = match genuine {
        Some(value) => CsrfToken {
            value,
            from_cookie: true,
        },
        None => CsrfToken {
            value: key.mint(binding),
            from_cookie: false,
        },
    };
    req.extensions_mut().insert(token.clone());
    let mut response = next.call(req).await?;
    if !token.from_cookie && is_html(&response) && !cookies::sets(&response, cookies::CSRF) {
        cookies::append(&mut response, &policy.csrf(token.value));
    }
    Ok(response)
}
