//! `GET /healthz` (the process answers; no database) and `GET /readyz` (the database
//! answers within `database.connect_timeout_secs`, else `503` with `Retry-After`).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::db;
use crate::error::AppError;
use crate::http::format;
use crate::state::AppState;
use crate::views::json::Status;

pub async fn live() -> HttpResponse {
    format::json(
        StatusCode::OK,
        &Status {
            status: "ok",
            database: None,
        },
    )
}

pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let limit = Duration::from_secs(state.settings.database.connect_timeout_secs);
    let ping = db::blocking(&state.pool, |conn| Ok(db::ping(conn)?));
    match actix_web::rt::time::timeout(limit, ping).await {
        Ok(Ok(())) => Ok(format::json(
            StatusCode::OK,
            &Status {
                status: "ok",
                database: Some("ok"),
            },
        )),
        Ok(Err(AppError::Internal(e))) => Err(AppError::Unavailable(e.to_string())),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(AppError::Unavailable(
            "database did not answer in time".into(),
        )),
    }
}
