//! The route table: one `web::resource` per contract path (so a wrong method is `405`
//! with `Allow`), grouped as contract §3 groups them.

use std::path::Path;

use actix_files::Files;
use actix_web::web;

use crate::error::AppError;
use crate::handlers::{health, home, register, session};
use crate::http::input::BODY_LIMIT;

pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &Path) {
    // Stray uses of the stock extractors get the same limits as `Input`.
    cfg.app_data(web::JsonConfig::default().limit(BODY_LIMIT))
        .app_data(web::FormConfig::default().limit(BODY_LIMIT))
        .app_data(web::PayloadConfig::default().limit(BODY_LIMIT));

    // Home and probes
    cfg.service(web::resource("/").route(web::get().to(home::show)))
        .service(web::resource("/healthz").route(web::get().to(health::live)))
        .service(web::resource("/readyz").route(web::get().to(health::ready)));

    // Accounts and sign-in
    cfg.service(web::resource("/register").route(web::get().to(register::form)))
        .service(web::resource("/users").route(web::post().to(register::create)))
        .service(
            web::resource("/login")
                .route(web::get().to(session::form))
                .route(web::post().to(session::login)),
        )
        .service(web::resource("/logout").route(web::post().to(session::logout)))
        .service(web::resource("/refresh").route(web::post().to(session::refresh)));

    // Static files: no listing, no hidden files, ETag and Last-Modified (actix-files defaults).
    cfg.service(
        Files::new("/static", static_dir)
            .use_etag(true)
            .use_last_modified(true),
    );

    cfg.default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound(
        "there is nothing at this address".into(),
    ))
}
