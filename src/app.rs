//! `create_app`: which middlewares each group of routes runs behind, in one place.
//!
//! Outermost first, for everything: request id → security headers → `Connection:
//! close` while draining. Then:
//! - `/static/*`: cache headers → files (no negotiation, no session);
//! - the probes: `no-store` → error rendering → negotiation (406) (no session: `/healthz`
//!   never touches the database);
//! - the key set and introspection (contract §7): cache headers (`public, max-age=300`
//!   for the key set, `no-store` for introspection) → error rendering → JSON always (no
//!   session: nothing of the caller's cookies or Bearer token is looked at);
//! - every other route: `no-store` → error rendering → negotiation (406) → `Origin`
//!   check → authentication → CSRF token → flash message → routes.

use std::path::PathBuf;

use actix_files::Files;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, Error, web};

use crate::routes;
use crate::state::AppState;
use crate::web::{
    authenticate, csrf, draining, flash, headers, negotiation, origin, render_errors, request_id,
};

pub fn create_app(
    state: AppState,
    static_dir: PathBuf,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let static_files = web::scope("/static")
        .wrap(from_fn(headers::static_files))
        // No listing, no hidden files, ETag and Last-Modified (actix-files defaults).
        .service(
            Files::new("", static_dir)
                .use_etag(true)
                .use_last_modified(true),
        );
    let pages = web::scope("")
        .configure(routes::pages)
        .wrap(from_fn(flash::middleware))
        .wrap(from_fn(csrf::middleware))
        .wrap(from_fn(authenticate::middleware))
        .wrap(from_fn(origin::middleware))
        .wrap(from_fn(negotiation::middleware))
        .wrap(from_fn(render_errors::middleware))
        .wrap(from_fn(headers::negotiated));
    App::new()
        .app_data(state.accounts.clone())
        .app_data(state.authenticator.clone())
        .app_data(state.cookies.clone())
        .app_data(state.csrf.clone())
        .app_data(state.flash.clone())
        .app_data(state.pending.clone())
        .app_data(state.metrics.clone())
        .app_data(state.origin.clone())
        .app_data(state.proxies.clone())
        .app_data(state.assets.clone())
        .app_data(state.database.clone())
        .app_data(state.key_set.clone())
        .app_data(state.introspection.clone())
        .app_data(state.draining.clone())
        .service(static_files)
        .configure(routes::probes)
        .configure(routes::verification)
        .service(pages)
        .wrap(from_fn(draining::middleware))
        .wrap(from_fn(headers::security))
        .wrap(from_fn(request_id::middleware))
}
