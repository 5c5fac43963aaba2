//! The route table: one `web::resource` per contract path (so a wrong method is `405`
//! with `Allow`), grouped as contract §3 groups them. `app::create_app` decides which
//! middlewares each group runs behind.
//!
//! Actix cannot list the routes it serves, so the table below is written once, in
//! `route_table!`, which both registers it and publishes it as [`ROUTES`]: the OpenAPI
//! route-walk test (`tests/api/openapi.rs`) reads `ROUTES`, checks that the document
//! names exactly these routes, and asks the running server for each one. Register routes
//! only through the table (`/static/*`, served by actix-files, is the one exception).

use actix_web::dev::HttpServiceFactory;
use actix_web::middleware::from_fn;
use actix_web::{Resource, guard, web};

use crate::error::AppError;
use crate::handlers::{
    admin, health, home, introspection, keys, login, me, openapi, operations, register, reset,
    sessions, two_factor, users,
};
use crate::http::input::BODY_LIMIT;
use crate::web::{headers, negotiation, render_errors};

/// One route keycard serves: a method (`GET` also answers `HEAD`), an actix path
/// pattern (`{name}` a segment, `{name:a|b}` one of those words) and its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub handler: &'static str,
}

/// The method guard of a table row.
macro_rules! method {
    (GET) => {
        get()
    };
    (POST) => {
        web::post()
    };
}

/// `group { "path" [via wrapper] => [METHOD handler, ...]; ... }`: one private function
/// per group registering its resources (each passed through `wrapper` when given), and
/// [`ROUTES`] listing every row.
macro_rules! route_table {
    ($(
        $(#[$doc:meta])*
        $group:ident {
            $( $path:literal $(via $wrap:path)? => [ $( $method:ident $handler:path ),+ $(,)? ]; )*
        }
    )*) => {
        /// Every route keycard serves but `/static/*`, in registration order.
        pub const ROUTES: &[Endpoint] = &[$($($(
            Endpoint { method: stringify!($method), path: $path, handler: stringify!($handler) },
        )+)*)*];

        $(
            $(#[$doc])*
            fn $group(cfg: &mut web::ServiceConfig) {
                $(
                    let resource = web::resource($path) $( .route(method!($method).to($handler)) )+;
                    $( let resource = $wrap(resource); )?
                    cfg.service(resource);
                )*
            }
        )*
    };
}

route_table! {
    /// The probes: negotiated like every route, but outside the session middlewares.
    probe_routes {
        "/healthz" via probe => [GET health::live];
        "/readyz" via probe => [GET health::ready];
    }

    /// For other programs: JSON whatever `Accept` says, outside the session middlewares.
    verification_routes {
        "/.well-known/jwks.json" via key_set => [GET keys::jwks];
        "/introspect" via json_service => [POST introspection::introspect];
        "/openapi.json" via public_document => [GET openapi::document];
    }

    /// Every page and JSON route of contract §3 but the probes.
    page_routes {
        "/" => [GET home::show];

        // Accounts and sign-in
        "/register" => [GET register::form];
        "/users" => [GET users::index, POST register::create];
        "/login" => [GET login::form, POST login::login];
        "/login/2fa" => [GET two_factor::second_step_form, POST two_factor::second_step];
        "/logout" => [POST login::logout];
        "/refresh" => [POST login::refresh];

        // Self-service
        "/me" => [GET me::show, POST me::update];
        "/me/password" => [POST me::change_password];
        "/me/logout-all" => [POST me::logout_all];
        "/me/sessions" => [GET sessions::list];
        "/me/sessions/{id}/revoke" => [POST sessions::revoke];
        "/me/logout-others" => [POST sessions::logout_others];

        // Second factor
        "/me/2fa" => [GET two_factor::show];
        "/me/2fa/setup" => [POST two_factor::set_up];
        "/me/2fa/enable" => [POST two_factor::enable];
        "/me/2fa/disable" => [POST two_factor::disable];
        "/me/2fa/recovery-codes" => [POST two_factor::new_recovery_codes];

        // Directory
        "/users/{id}" => [GET users::show];

        // Administration
        "/admin" => [GET admin::dashboard];
        "/admin/users/{id}/role" => [POST admin::set_role];
        "/admin/users/{id}/{action:disable|enable|revoke|delete}" => [POST admin::act_on_user];
        "/admin/users/{id}/2fa/reset" => [POST admin::reset_two_factor];
        "/admin/users/{id}/reset-link" => [POST reset::make_link];
        "/admin/revoke-all" => [POST admin::revoke_all];
        "/admin/audit" => [GET operations::audit];
        "/admin/lockouts" => [GET operations::lockouts];
        "/admin/lockouts/clear" => [POST operations::clear_lockout];

        // Activity and recovery
        "/me/activity" => [GET operations::activity];
        "/reset/{token}" => [GET reset::form, POST reset::reset];
    }
}

/// The probes, `/healthz` (no database) and `/readyz`: negotiated like every route, but
/// outside the session middlewares, so a token they carry is never looked up.
pub fn probes(cfg: &mut web::ServiceConfig) {
    probe_routes(cfg);
}

fn probe(resource: Resource) -> impl HttpServiceFactory {
    resource
        .wrap(from_fn(negotiation::middleware))
        .wrap(from_fn(render_errors::middleware))
        .wrap(from_fn(headers::negotiated))
}

/// Contract §7, for other services: the key set and introspection; and §9's OpenAPI
/// document. JSON whatever `Accept` says, outside the session middlewares (no cookie or
/// Bearer token of the request is looked at; the introspected token travels in the body).
pub fn verification(cfg: &mut web::ServiceConfig) {
    verification_routes(cfg);
}

fn key_set(resource: Resource) -> impl HttpServiceFactory {
    resource
        .wrap(from_fn(negotiation::json_only))
        .wrap(from_fn(render_errors::middleware))
        .wrap(from_fn(headers::public_document))
}

fn json_service(resource: Resource) -> impl HttpServiceFactory {
    resource
        .wrap(from_fn(negotiation::json_only))
        .wrap(from_fn(render_errors::middleware))
        .wrap(from_fn(headers::negotiated))
}

fn public_document(resource: Resource) -> impl HttpServiceFactory {
    resource
        .wrap(from_fn(negotiation::json_only))
        .wrap(from_fn(render_errors::middleware))
        .wrap(from_fn(headers::public_document))
}

/// Every page and JSON route of contract §3 but the probes.
pub fn pages(cfg: &mut web::ServiceConfig) {
    // Stray uses of the stock extractors get the same limits as `Input`.
    cfg.app_data(web::JsonConfig::default().limit(BODY_LIMIT))
        .app_data(web::FormConfig::default().limit(BODY_LIMIT))
        .app_data(web::PayloadConfig::default().limit(BODY_LIMIT));
    page_routes(cfg);
    cfg.default_service(web::to(not_found));
}

/// A GET route that answers HEAD too (RFC 9110 §9.3.2); actix-web sends no body for HEAD.
fn get() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound(
        "there is nothing at this address".into(),
    ))
}
