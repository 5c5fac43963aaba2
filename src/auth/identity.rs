//! `Identity`: the verified caller, put into the request extensions by authentication.

use crate::auth::jwt::Claims;
use crate::db::sessions::Session;
use crate::db::users::User;

/// Where the token came from. Cookie-borne requests need CSRF protection and get
/// sliding renewal; Bearer requests need neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Bearer,
    Cookie,
}

#[derive(Debug, Clone)]
pub struct Identity {
    /// The user as stored now: role and disabled come from here, never from the token.
    pub user: User,
    pub session: Session,
    pub claims: Claims,
}
