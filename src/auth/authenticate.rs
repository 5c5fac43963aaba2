//! Middleware: who is calling. Reads `Authorization: Bearer` first, then the
//! `access_token` cookie; verifies the token; loads user, session and denylist state in
//! one indexed query; and puts an `Identity` in the request extensions. A bad, expired
//! or revoked token, or one for a disabled or deleted user, is *no token*: the request
//! goes on anonymously and a cookie carrying it is cleared. Never a 500.
//!
//! On the way out, a cookie token past half its lifetime is replaced by a fresh one in
//! the same session (sliding renewal, capped by `auth.session_max_secs`); the replaced
//! token stays valid until its own `exp`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use chrono::Utc;

use crate::auth::identity::{Identity, TokenSource};
use crate::auth::tokens;
use crate::db::{self, sessions};
use crate::error::AppError;
use crate::http::cookies;
use crate::http::negotiation::is_static;
use crate::state::AppState;

/// A session's "last used" is written at most this often (to the minute is enough).
const TOUCH_EVERY_SECS: i64 = 60;

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some((token, source)) = (!is_static(req.path()))
        .then(|| bearer_or_cookie(&req))
        .flatten()
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };

    let identity = match identify(&state, &token, source).await {
        Ok(identity) => identity,
        Err(error) => return Ok(req.error_response(error)),
    };
    let Some(identity) = identity else {
        let mut response = next.call(req).await?.map_into_boxed_body();
        if source == TokenSource::Cookie && !cookies::sets(&response, cookies::ACCESS_TOKEN) {
            cookies::append(
                &mut response,
                &cookies::removal(&state.settings, cookies::ACCESS_TOKEN),
            );
        }
        return Ok(response);
    };

    let identity = touch_if_stale(&state, identity).await;
    req.extensions_mut().insert(identity.clone());
    let mut response = next.call(req).await?.map_into_boxed_body();
    if source == TokenSource::Cookie {
        renew_if_due(&state, &identity, &mut response);
    }
    Ok(response)
}

fn bearer_or_cookie(req: &ServiceRequest) -> Option<(String, TokenSource)> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    if let Some(token) = bearer {
        return Some((token.to_string(), TokenSource::Bearer));
    }
    req.cookie(cookies::ACCESS_TOKEN)
        .map(|c| (c.value().to_string(), TokenSource::Cookie))
        .filter(|(token, _)| !token.is_empty())
}

/// The credential of an `Authorization: Bearer <token>` header (RFC 6750 §2.1: the
/// scheme in any case, one or more spaces, one token). `None` for another scheme, an
/// empty credential or one with white space inside: such a header is no Bearer token,
/// so the cookie (and with it the CSRF rule) applies. Authentication and the CSRF gate
/// in `http::input` both read the header through this one function.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, rest) = header_value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    let well_formed =
        !token.is_empty() && !token.chars().any(|c| c.is_whitespace() || c.is_control());
    well_formed.then_some(token)
}

/// `Ok(None)` for any token that does not identify an enabled user in a live session;
/// `Err` only when the database cannot say (503).
async fn identify(
    state: &web::Data<AppState>,
    token: &str,
    source: TokenSource,
) -> Result<Option<Identity>, AppError> {
    let claims = match state.keys.verify(token) {
        Ok(claims) => claims,
        Err(reason) => {
            tracing::debug!(%reason, "token refused");
            return Ok(None);
        }
    };
    let Some(user_id) = claims.user_id() else {
        return Ok(None);
    };
    let (sid, jti) = (claims.sid, claims.jti);
    let found = db::blocking(&state.pool, move |conn| {
        Ok(sessions::lookup(conn, user_id, sid, jti)?)
    })
    .await?;
    let Some((user, session, denied)) = found else {
        return Ok(None);
    };
    let session_end = session.created_at.timestamp()
        + i64::try_from(state.settings.auth.session_max_secs).unwrap_or(i64::MAX / 4);
    let live = !denied
        && !user.disabled
        && session.generation == claims.generation
        && Utc::now().timestamp() < session_end;
    Ok(live.then_some(Identity {
        user,
        session,
        claims,
        source,
    }))
}

/// Keeps "last used" current to the minute without a write on every request: only a
/// request that finds it a minute old writes it (one short UPDATE per session per
/// minute), and waits for it, so the next request sees it. A failed write is logged
/// and the request goes on.
async fn touch_if_stale(state: &web::Data<AppState>, mut identity: Identity) -> Identity {
    if (Utc::now() - identity.session.last_used_at).num_seconds() < TOUCH_EVERY_SECS {
        return identity;
    }
    let sid = identity.session.id;
    match db::blocking(&state.pool, move |conn| Ok(sessions::touch(conn, sid)?)).await {
        Ok(()) => identity.session.last_used_at = Utc::now(),
        Err(error) => tracing::warn!(%error, "could not record session use"),
    }
    identity
}

fn renew_if_due(state: &AppState, identity: &Identity, response: &mut ServiceResponse<BoxBody>) {
    let claims = &identity.claims;
    let half_life = claims.iat + claims.lifetime_secs() / 2;
    // A handler that signed out, refreshed or changed the password set its own cookie.
    if Utc::now().timestamp() < half_life || cookies::sets(response, cookies::ACCESS_TOKEN) {
        return;
    }
    match tokens::issue(state, &identity.user, &identity.session) {
        Ok(Some(fresh)) if fresh.claims.exp > claims.exp => {
            let max_age = u64::try_from(fresh.claims.lifetime_secs()).unwrap_or(0);
            cookies::append(
                response,
                &cookies::access_token(&state.settings, fresh.token, max_age),
            );
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "sliding renewal failed"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::bearer_token;

    #[test]
    fn bearer_credentials_are_split_from_their_scheme() {
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        for none in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            "Bearerabc",
            "Bearer\tabc",
            "Basic dXNlcjpwYXNz",
            "Bearer a b",
            " Bearer abc",
            "Token abc",
        ] {
            assert_eq!(bearer_token(none), None, "{none:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the header says, a token that comes out is non-empty, has no white
        /// space, and is exactly the end of a `Bearer` header.
        #[test]
        fn a_token_is_only_ever_the_credential_of_a_bearer_header(value in "[ -~\\t]{0,40}") {
            if let Some(token) = bearer_token(&value) {
                prop_assert!(!token.is_empty());
                prop_assert!(!token.chars().any(char::is_whitespace), "{token:?}");
                prop_assert!(value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer "));
                prop_assert_eq!(value[7..].trim(), token);
            }
        }

        /// Any b64token in a Bearer header with any casing of the scheme comes back as is.
        #[test]
        fn bearer_tokens_round_trip(
            scheme in "[bB][eE][aA][rR][eE][rR]",
            spaces in " {1,3}",
            token in "[A-Za-z0-9._~+/-]{1,40}=*",
        ) {
            let header = format!("{scheme}{spaces}{token}");
            prop_assert_eq!(bearer_token(&header), Some(token.as_str()));
        }

        /// Other schemes are never taken for a Bearer token.
        #[test]
        fn other_schemes_are_not_bearer(scheme in "[A-Za-z]{1,10}", rest in "[ -~]{0,20}") {
            prop_assume!(!scheme.eq_ignore_ascii_case("bearer"));
            let header = format!("{scheme} {rest}");
            prop_assert_eq!(bearer_token(&header), None);
        }
    }
}
