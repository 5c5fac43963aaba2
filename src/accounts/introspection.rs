//! Token introspection (contract §7, RFC 7662): a service configured in
//! `introspection.clients` asks whether a token is good *now*, revocations included.
//!
//! The caller proves who it is with HTTP Basic; its secret is compared in constant time
//! (SHA-256 digests of both sides, so neither length nor content shows in the timing,
//! and every configured client is compared, so the name does not either). Wrong
//! secrets are limited with the sign-in slots of `auth::throttle`, on keys of their own:
//! `introspect:<client>@<address>` (a name that is not configured counts as `?`) under
//! the per-username limit, and `introspect:<address>` under the per-address one. So a
//! flood of guesses locks out only the guesser's address, never sign-ins from that
//! address and never the real client calling from its own.
//!
//! A token is active exactly when `/me` would accept it: `Authenticator::identify`.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::accounts::{Accounts, Client};
use crate::auth::authenticate::Authenticator;
use crate::auth::identity::Identity;
use crate::auth::throttle;
use crate::error::{AppError, Limit};
use crate::http::client_addr::limit_key;
use crate::settings::Secret;

/// The introspection use case, built once at start-up.
pub struct Introspection {
    accounts: Accounts,
    authenticator: Arc<Authenticator>,
    /// `(name, SHA-256 of the secret)` of each configured client.
    clients: Vec<(String, [u8; 32])>,
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Introspection {
    pub fn new<'a>(
        accounts: Accounts,
        authenticator: Arc<Authenticator>,
        clients: impl IntoIterator<Item = (&'a String, &'a Secret)>,
    ) -> Self {
        Introspection {
            accounts,
            authenticator,
            clients: clients
                .into_iter()
                .map(|(name, secret)| (name.clone(), digest(secret.expose())))
                .collect(),
        }
    }

    /// The identity behind `token` when the caller is a configured client and the token
    /// is good now; `Ok(None)` for any other token (`422` for none at all). `401` without the credentials of a
    /// client (counted as a failure when credentials were sent), `429` once the limit of
    /// failures is reached (the right secret too, as for sign-ins, so that the answer
    /// never tells a guesser whether a guess was right).
    pub async fn introspect(
        &self,
        credentials: Option<(String, String)>,
        client: &Client,
        token: &str,
    ) -> Result<Option<Identity>, AppError> {
        let Some((name, secret)) = credentials else {
            return Err(AppError::ClientUnauthenticated);
        };
        let known = self.clients.iter().any(|(known, _)| *known == name);
        let address = limit_key(&client.address);
        let shown = if known { name.as_str() } else { "?" };
        let client_key = format!("introspect:{shown}@{address}");
        let address_key = format!("introspect:{address}");
        let slot = self
            .accounts
            .take_slot(client_key, &address_key)
            .await
            .map_err(|error| match error {
                AppError::TooManyRequests {
                    retry_after_secs, ..
                } => AppError::TooManyRequests {
                    limit: Limit::Introspection,
                    retry_after_secs,
                },
                other => other,
            })?;
        if !client_matches(&self.clients, &name, &secret) {
            self.accounts
                .db(move |conn| throttle::fail(conn, &slot))
                .await?;
            return Err(AppError::ClientUnauthenticated);
        }
        self.accounts
            .db(move |conn| throttle::succeed(conn, &slot))
            .await?;
        if token.is_empty() {
            return Err(AppError::Validation(crate::error::FieldErrors::single(
                "token",
                "is required",
            )));
        }
        self.authenticator.identify(token).await
    }
}

/// Whether `name:secret` is one of `clients`, in time independent of both.
fn client_matches(clients: &[(String, [u8; 32])], name: &str, secret: &str) -> bool {
    let (name, secret) = (digest(name), digest(secret));
    let mut found = Choice::from(0);
    for (known, known_secret) in clients {
        found |= digest(known).ct_eq(&name) & known_secret.ct_eq(&secret);
    }
    found.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_configured_name_with_its_own_secret_matches() {
        let clients = [
            ("billing".to_string(), digest("billing-secret")),
            ("reports".to_string(), digest("reports-secret")),
        ];
        let matches = |name: &str, secret: &str| client_matches(&clients, name, secret);
        assert!(matches("billing", "billing-secret"));
        assert!(matches("reports", "reports-secret"));
        assert!(!matches("billing", "reports-secret"));
        assert!(!matches("billing", "billing-secret "));
        assert!(!matches("billing", ""));
        assert!(!matches("nobody", "billing-secret"));
    }
}
