//! Request guards for handlers: `MaybeUser` (anyone), `CurrentUser` (`auth`: signed in
//! and enabled) and `AdminUser` (`admin`). Declaring one in a handler's signature is
//! the whole authorisation. Not signed in is `AppError::Unauthenticated`, which renders
//! as a `303` to `/login?next=…` for HTML and a `401` with `WWW-Authenticate: Bearer`
//! for JSON; signed in but not an admin is `403`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::auth::identity::Identity;
use crate::error::AppError;

pub struct MaybeUser(pub Option<Identity>);

pub struct CurrentUser(pub Identity);

pub struct AdminUser(pub Identity);

fn identity(req: &HttpRequest) -> Option<Identity> {
    req.extensions().get::<Identity>().cloned()
}

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeUser(identity(req))))
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            identity(req)
                .map(CurrentUser)
                .ok_or(AppError::Unauthenticated),
        )
    }
}

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match identity(req) {
            None => Err(AppError::Unauthenticated),
            Some(identity) if identity.user.is_admin() => Ok(AdminUser(identity)),
            Some(_) => Err(AppError::Forbidden("this page is for admins only".into())),
        })
    }
}
