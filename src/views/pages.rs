//! askama pages. Every page embeds a `Layout`: who is signed in, the CSRF token for the
//! forms in the header, a one-time flash message, and the stylesheet's version.

use actix_web::{HttpMessage, HttpRequest, web};
use askama::Template;

use crate::auth::identity::Identity;
use crate::domain::Role;
use crate::http::csrf;
use crate::http::problem::FieldErrors;
use crate::state::AppState;

/// The signed-in user as the navigation shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
}

impl NavUser {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub user: Option<NavUser>,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub asset_version: String,
}

impl Layout {
    pub fn from_request(req: &HttpRequest, title: &str) -> Layout {
        let user = req.extensions().get::<Identity>().map(|identity| NavUser {
            id: identity.user.id,
            username: identity.user.username.clone(),
            display_name: identity.user.display_name.clone(),
            role: identity.user.role(),
        });
        let asset_version = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.asset_version.clone())
            .unwrap_or_default();
        Layout {
            title: title.to_string(),
            user,
            csrf_token: csrf::token_of(req),
            flash: None,
            asset_version,
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub registration_open: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: String,
    pub detail: String,
    pub errors: FieldErrors,
    pub request_id: Option<String>,
}

/// What the visitor typed into the sign-up form (never the password).
#[derive(Debug, Clone, Default)]
pub struct RegisterValues {
    pub username: String,
    pub display_name: String,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub layout: Layout,
    pub values: RegisterValues,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
}
