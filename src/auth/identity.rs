//! `Identity`: the verified caller, put into the request extensions by authentication.

use crate::db::users::User;

#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
}
