//! The route table: one `web::resource` per contract path (so a wrong method is `405`
//! with `Allow`), grouped as contract §3 groups them. `app::create_app` decides which
//! middlewares each group runs behind.

use actix_web::dev::HttpServiceFactory;
use actix_web::middleware::from_fn;
use actix_web::{guard, web};

use crate::error::AppError;
use crate::handlers::{
    admin, health, home, introspection, keys, login, me, operations, register, reset, sessions,
    two_factor, users,
};
use crate::http::input::BODY_LIMIT;
use crate::web::{headers, negotiation, render_errors};

/// The probes, `/healthz` (no database) and `/readyz`: negotiated like every route, but
/// outside the session middlewares, so a token they carry is never looked up.
pub fn probes(cfg: &mut web::ServiceConfig) {
    cfg.service(probe("/healthz", get().to(health::live)))
        .service(probe("/readyz", get().to(health::ready)));
}

fn probe(path: &str, route: actix_web::Route) -> impl HttpServiceFactory {
    web::resource(path)
        .route(route)
        .wrap(from_fn(negotiation::middleware))
        .wrap(from_fn(render_errors::middleware))
        .wrap(from_fn(headers::negotiated))
}

/// Contract §7, for other services: the key set and introspection. JSON whatever
/// `Accept` says, outside the session middlewares (no cookie or Bearer token of the
/// request is looked at; the introspected token travels in the body).
pub fn verification(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/.well-known/jwks.json")
            .route(get().to(keys::jwks))
            .wrap(from_fn(negotiation::json_only))
            .wrap(from_fn(render_errors::middleware))
            .wrap(from_fn(headers::public_key_set)),
    )
    .service(
        web::resource("/introspect")
            .route(web::post().to(introspection::introspect))
            .wrap(from_fn(negotiation::json_only))
            .wrap(from_fn(render_errors::middleware))
            .wrap(from_fn(headers::negotiated)),
    );
}

/// Every page and JSON route of contract §3 but the probes.
pub fn pages(cfg: &mut web::ServiceConfig) {
    // Stray uses of the stock extractors get the same limits as `Input`.
    cfg.app_data(web::JsonConfig::default().limit(BODY_LIMIT))
        .app_data(web::FormConfig::default().limit(BODY_LIMIT))
        .app_data(web::PayloadConfig::default().limit(BODY_LIMIT));

    cfg.service(web::resource("/").route(get().to(home::show)));

    // Accounts and sign-in
    cfg.service(web::resource("/register").route(get().to(register::form)))
        .service(
            web::resource("/users")
                .route(get().to(users::index))
                .route(web::post().to(register::create)),
        )
        .service(
            web::resource("/login")
                .route(get().to(login::form))
                .route(web::post().to(login::login)),
        )
        .service(
            web::resource("/login/2fa")
                .route(get().to(two_factor::second_step_form))
                .route(web::post().to(two_factor::second_step)),
        )
        .service(web::resource("/logout").route(web::post().to(login::logout)))
        .service(web::resource("/refresh").route(web::post().to(login::refresh)));

    // Self-service
    cfg.service(
        web::resource("/me")
            .route(get().to(me::show))
            .route(web::post().to(me::update)),
    )
    .service(web::resource("/me/password").route(web::post().to(me::change_password)))
    .service(web::resource("/me/logout-all").route(web::post().to(me::logout_all)))
    .service(web::resource("/me/sessions").route(get().to(sessions::list)))
    .service(web::resource("/me/sessions/{id}/revoke").route(web::post().to(sessions::revoke)))
    .service(web::resource("/me/logout-others").route(web::post().to(sessions::logout_others)));

    // Second factor
    cfg.service(web::resource("/me/2fa").route(get().to(two_factor::show)))
        .service(web::resource("/me/2fa/setup").route(web::post().to(two_factor::set_up)))
        .service(web::resource("/me/2fa/enable").route(web::post().to(two_factor::enable)))
        .service(web::resource("/me/2fa/disable").route(web::post().to(two_factor::disable)))
        .service(
            web::resource("/me/2fa/recovery-codes")
                .route(web::post().to(two_factor::new_recovery_codes)),
        );

    // Directory
    cfg.service(web::resource("/users/{id}").route(get().to(users::show)));

    // Administration
    cfg.service(web::resource("/admin").route(get().to(admin::dashboard)))
        .service(web::resource("/admin/users/{id}/role").route(web::post().to(admin::set_role)))
        .service(
            web::resource("/admin/users/{id}/{action:disable|enable|revoke|delete}")
                .route(web::post().to(admin::act_on_user)),
        )
        .service(
            web::resource("/admin/users/{id}/2fa/reset")
                .route(web::post().to(admin::reset_two_factor)),
        )
        .service(
            web::resource("/admin/users/{id}/reset-link").route(web::post().to(reset::make_link)),
        )
        .service(web::resource("/admin/revoke-all").route(web::post().to(admin::revoke_all)))
        .service(web::resource("/admin/audit").route(get().to(operations::audit)))
        .service(web::resource("/admin/lockouts").route(get().to(operations::lockouts)))
        .service(
            web::resource("/admin/lockouts/clear").route(web::post().to(operations::clear_lockout)),
        );

    // Activity and recovery
    cfg.service(web::resource("/me/activity").route(get().to(operations::activity)))
        .service(
            web::resource("/reset/{token}")
                .route(get().to(reset::form))
                .route(web::post().to(reset::reset)),
        );

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
