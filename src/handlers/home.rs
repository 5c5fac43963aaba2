//! `GET /`: the home page, or `{"service","version","user"}`.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::auth::identity::Identity;
use crate::error::AppError;
use crate::http::format::{self, Format};
use crate::state::AppState;
use crate::views::json::{ServiceInfo, UserJson};
use crate::views::pages::{HomePage, Layout};

pub async fn show(
    req: HttpRequest,
    format: Format,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    match format {
        Format::Json => {
            let user = req
                .extensions()
                .get::<Identity>()
                .map(|identity| UserJson::from(&identity.user));
            let info = ServiceInfo {
                service: "keycard",
                version: env!("CARGO_PKG_VERSION"),
                user,
            };
            Ok(format::json(StatusCode::OK, &info))
        }
        Format::Html => format::html(
            StatusCode::OK,
            &HomePage {
                layout: Layout::from_request(&req, "Home"),
                registration_open: state.settings.auth.registration_open,
            },
        ),
    }
}
