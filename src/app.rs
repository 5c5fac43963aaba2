//! `create_app`: the middleware order and the routes, in one place.
//!
//! Outermost first: request id → response headers → error rendering → negotiation (406)
//! → `Origin` check → CSRF token → flash message → authentication → routes.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, Error, web};

use crate::auth::authenticate;
use crate::http::{csrf, flash, headers, negotiation, origin, render_errors, request_id};
use crate::routes;
use crate::state::AppState;

pub fn create_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let static_dir = state.settings.server.static_dir.clone();
    App::new()
        .app_data(state)
        .configure(|cfg| routes::configure(cfg, &static_dir))
        .wrap(from_fn(authenticate::middleware))
        .wrap(from_fn(flash::middleware))
        .wrap(from_fn(csrf::middleware))
        .wrap(from_fn(origin::middleware))
        .wrap(from_fn(negotiation::middleware))
        .wrap(from_fn(render_errors::middleware))
        .wrap(from_fn(headers::middleware))
        .wrap(from_fn(request_id::middleware))
}
