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
    pub two_factor: bool,
}

impl From<&User> for UserJson {
    fn from(user: &User) -> Self {
        UserJson {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            disabled: user.disabled,
            created_at: user.created_at,
            two_factor: user.two_factor,
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
#[derive(Serialize)]
pub struct TokenJson {
    pub token: String,
    pub token_type: &'static str,
    #[serde(serialize_with = "rfc3339")]
    pub expires_at: DateTime<Utc>,
    pub user: UserJson,
    /// Only after a sign-in with a recovery code: how many are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes_left: Option<i64>,
}

/// A page of a list: `{"items","page","per_page","total"}`.
#[derive(Debug, Serialize)]
pub struct PageJson<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T> PageJson<T> {
    pub fn new(items: Vec<T>, list: &crate::http::pagination::ListQuery, total: i64) -> Self {
        PageJson {
            items,
            page: list.page,
            per_page: list.per_page,
            total,
        }
    }
}

/// One of the caller's sessions, for `GET /me/sessions`.
#[derive(Debug, Serialize)]
pub struct SessionJson {
    pub id: uuid::Uuid,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub last_used_at: DateTime<Utc>,
    pub client_address: String,
    pub user_agent: String,
    pub current: bool,
    /// Started with a second factor.
    pub mfa: bool,
}

impl SessionJson {
    pub fn new(session: &crate::db::sessions::Session, current: bool) -> Self {
        SessionJson {
            id: session.id,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            client_address: session.client_address.clone(),
            user_agent: session.user_agent.clone(),
            current,
            mfa: session.mfa,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ListJson<T> {
    pub items: Vec<T>,
}

/// `POST /introspect` for a token that is good now (RFC 7662 §2.2); any other token is
/// `{"active":false}` and nothing more.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveTokenJson {
    pub active: bool,
    pub sub: String,
    pub username: String,
    /// The role as stored now (what `/me` shows), not as the token was issued.
    pub role: Role,
    pub sid: uuid::Uuid,
    pub jti: uuid::Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub token_type: &'static str,
}

impl From<&crate::auth::identity::Identity> for ActiveTokenJson {
    fn from(identity: &crate::auth::identity::Identity) -> Self {
        let claims = &identity.claims;
        ActiveTokenJson {
            active: true,
            sub: claims.sub.clone(),
            username: identity.user.username.clone(),
            role: identity.user.role,
            sid: claims.sid,
            jti: claims.jti,
            iat: claims.iat,
            exp: claims.exp,
            iss: claims.iss.clone(),
            aud: claims.aud.clone(),
            token_type: "Bearer",
        }
    }
}

/// `POST /introspect` for every other token.
#[derive(Debug, Clone, Serialize)]
pub struct InactiveTokenJson {
    pub active: bool,
}
