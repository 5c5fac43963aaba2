//! One module per contract area; each handler extracts, calls the domain, responds.

pub mod admin;
pub mod health;
pub mod home;
pub mod me;
pub mod register;
pub mod session;
pub mod sessions;
pub mod users;

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::accounts::Client;
use crate::http::client_addr::client_address;
use crate::state::AppState;

/// The caller's address and `User-Agent`, for limits and the session list.
pub fn client_of(req: &HttpRequest, state: &AppState) -> Client {
    Client {
        address: client_address(req, &state.settings.server.trusted_proxies),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    }
}
