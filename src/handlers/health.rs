//! `GET /healthz` (the process answers; no database, no authentication) and
//! `GET /readyz` (the database answers within `database.connect_timeout_secs`, else
//! `503` with `Retry-After`; `503` at once, without asking the database, while the
//! instance drains before it stops). Both are JSON whatever `Accept` says.

use std::time::Duration;

use actix_web::{HttpResponse, web};

use crate::accounts::Accounts;
use crate::error::AppError;
use crate::settings::DatabaseSettings;
use crate::views::json::Status;
use crate::web::draining::Draining;

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Status {
        status: "ok",
        database: None,
    })
}

pub async fn ready(
    accounts: web::Data<Accounts>,
    database: web::Data<DatabaseSettings>,
    draining: web::Data<Draining>,
) -> Result<HttpResponse, AppError> {
    if draining.is_draining() {
        return Err(AppError::Busy("this instance is shutting down".into()));
    }
    let limit = Duration::from_secs(database.connect_timeout_secs);
    match actix_web::rt::time::timeout(limit, accounts.ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Status {
            status: "ok",
            database: Some("ok"),
        })),
        Ok(Err(AppError::Internal(e))) => Err(AppError::Unavailable(e.to_string())),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(AppError::Unavailable(
            "database did not answer in time".into(),
        )),
    }
}
