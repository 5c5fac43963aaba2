//! The `Layout` every page embeds, filled in from the request: who is signed in, the
//! CSRF token for the forms in the header, a one-time flash message, and the
//! stylesheet's version.

use actix_web::{HttpMessage, HttpRequest, web};

use crate::auth::identity::Identity;
use crate::views::pages::{Layout, NavUser};
use crate::web::{csrf, flash};

/// Short content hash of the stylesheet, for cache-busting asset URLs.
#[derive(Debug, Clone)]
pub struct AssetVersion(pub String);

pub fn layout(req: &HttpRequest, title: &str) -> Layout {
    let user = req.extensions().get::<Identity>().map(|identity| NavUser {
        username: identity.user.username.clone(),
        display_name: identity.user.display_name.clone(),
        role: identity.user.role,
    });
    let asset_version = req
        .app_data::<web::Data<AssetVersion>>()
        .map(|version| version.0.clone())
        .unwrap_or_default();
    Layout {
        title: title.to_string(),
        user,
        csrf_token: csrf::token_of(req),
        flash: flash::message_of(req),
        asset_version,
    }
}
