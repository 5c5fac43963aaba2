//! Issuing a token for a session, and the cookies that carry it to a browser.

use actix_web::HttpResponseBuilder;
use chrono::Utc;
use uuid::Uuid;

use crate::auth::jwt::Claims;
use crate::db::sessions::Session;
use crate::db::users::User;
use crate::error::AppError;
use crate::http::cookies;
use crate::state::AppState;

pub struct IssuedToken {
    pub token: String,
    pub claims: Claims,
}

/// A fresh token in `session` (at its current generation), valid for `auth.token_ttl_secs`
/// but never past the session's absolute end. `None` when the session has reached it.
pub fn issue(
    state: &AppState,
    user: &User,
    session: &Session,
) -> Result<Option<IssuedToken>, AppError> {
    let auth = &state.settings.auth;
    let now = Utc::now().timestamp();
    let session_end = session.created_at.timestamp() + secs(auth.session_max_secs);
    let exp = (now + secs(auth.token_ttl_secs)).min(session_end);
    if exp <= now {
        return Ok(None);
    }
    let claims = Claims {
        sub: user.id.to_string(),
        role: user.role.clone(),
        jti: Uuid::new_v4(),
        sid: session.id,
        generation: session.generation,
        iat: now,
        nbf: now,
        exp,
        iss: auth.issuer.clone(),
        aud: auth.audience.clone(),
    };
    let token = state.keys.issue(&claims).map_err(AppError::Internal)?;
    Ok(Some(IssuedToken { token, claims }))
}

/// Like `issue`, for a session that was just started or renewed on purpose.
pub fn issue_now(
    state: &AppState,
    user: &User,
    session: &Session,
) -> Result<IssuedToken, AppError> {
    issue(state, user, session)?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "session {} is past its absolute end",
            session.id
        ))
    })
}

/// Sets the `access_token` cookie, and a new CSRF token (rotated at every sign-in).
pub fn set_cookies(builder: &mut HttpResponseBuilder, state: &AppState, issued: &IssuedToken) {
    let max_age = u64::try_from(issued.claims.lifetime_secs()).unwrap_or(0);
    builder.cookie(cookies::access_token(
        &state.settings,
        issued.token.clone(),
        max_age,
    ));
    builder.cookie(cookies::csrf(&state.settings, state.csrf.mint()));
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX / 4)
}
