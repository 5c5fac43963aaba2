//! JSON shapes of contract §2 and §3. The `User` model never derives `Serialize`;
//! these types are the only way a user reaches a client, and they hold no hash.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::db::users::User;
use crate::domain::Role;

#[derive(Debug, Clone, Serialize)]
pub struct UserJson {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub disabled: bool,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserJson {
    fn from(user: &User) -> Self {
        UserJson {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role(),
            disabled: user.disabled,
            created_at: user.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ServiceInfo {
    pub service: &'static str,
    pub version: &'static str,
    pub user: Option<UserJson>,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Timestamps as `2026-11-24T10:00:00Z`: whole seconds, UTC.
pub fn rfc3339<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// The answer to a JSON sign-in, `/refresh` and `/me/password`.
#[derive(Debug, Serialize)]
pub struct TokenJson {
    pub token: String,
    pub token_type: &'static str,
    #[serde(serialize_with = "rfc3339")]
    pub expires_at: DateTime<Utc>,
    pub user: UserJson,
}
