//! What is checked after loading: production refuses a missing, short or shipped JWT
//! secret; development and test make a random one and warn. The redacted view that
//! `keycard check-config` prints is `settings::redacted`.

use super::{AppEnv, Secret, Settings};

/// Secret values that appear anywhere in this repository (config/test.toml, docs).
/// Production refuses them: they are public.
pub const SHIPPED_SECRETS: &[&str] = &[
    "test-secret-do-not-use-in-production-0123456789",
    "test-encryption-key-do-not-use-in-production-0123",
    "change-me",
    "changeme",
    "secret",
];

const MIN_SECRET_BYTES: usize = 32;

/// Validates cross-field rules and fills in a development secret. Returns the
/// settings ready to use and the warnings to log.
pub fn finalize(mut settings: Settings) -> Result<(Settings, Vec<String>), String> {
    let mut warnings = Vec::new();
    let production = settings.env == AppEnv::Production;

    match &settings.auth.jwt_secret {
        Some(secret) if !secret.expose().is_empty() => {
            if production {
                refuse_weak("auth.jwt_secret", secret)?;
            }
        }
        _ if production => {
            return Err(
                "auth.jwt_secret is not set; production needs one (run `keycard gen-secret`)"
                    .into(),
            );
        }
        _ => {
            settings.auth.jwt_secret = Some(Secret::new(random_secret()));
            warnings.push(
                "auth.jwt_secret is not set: using a random one, so tokens will not survive a restart"
                    .into(),
            );
        }
    }
    if production {
        for secret in &settings.auth.jwt_previous_secrets {
            refuse_weak("auth.jwt_previous_secrets", secret)?;
        }
    }

    if settings
        .auth
        .encryption_key
        .as_ref()
        .is_some_and(|key| key.expose().is_empty())
    {
        settings.auth.encryption_key = None;
    }
    let encryption_keys = settings
        .auth
        .encryption_key
        .iter()
        .map(|key| ("auth.encryption_key", key))
        .chain(
            settings
                .auth
                .previous_encryption_keys
                .iter()
                .map(|key| ("auth.previous_encryption_keys", key)),
        );
    for (name, key) in encryption_keys {
        if key.expose().len() < crate::auth::sealing::MIN_KEY_BYTES {
            return Err(format!(
                "{name} is shorter than {} bytes (run `keycard gen-secret`)",
                crate::auth::sealing::MIN_KEY_BYTES
            ));
        }
        if production {
            refuse_weak(name, key)?;
        }
    }
    if production && settings.auth.encryption_key.is_none() {
        warnings.push(
            "auth.encryption_key is not set: users cannot turn on a second factor (run `keycard gen-secret` for one)"
                .into(),
        );
    }

    let algorithm = settings.auth.jwt_algorithm;
    if algorithm.is_hmac() {
        if settings.auth.jwt_private_key.is_some() || !settings.auth.jwt_previous_keys.is_empty() {
            warnings.push(format!(
                "auth.jwt_private_key and auth.jwt_previous_keys are ignored: auth.jwt_algorithm is {algorithm:?}"
            ));
        }
    } else {
        // Every environment: there is no sensible key to make up, since others verify it.
        if settings
            .auth
            .jwt_private_key
            .as_ref()
            .is_none_or(|key| key.expose().trim().is_empty())
        {
            return Err(format!(
                "auth.jwt_private_key is not set; auth.jwt_algorithm = {algorithm:?} needs one (make one with `keycard gen-key --alg {algorithm:?}`)"
            ));
        }
        if !settings.auth.jwt_previous_secrets.is_empty() {
            warnings.push(format!(
                "auth.jwt_previous_secrets are ignored: auth.jwt_algorithm is {algorithm:?}, so only tokens signed with auth.jwt_private_key or auth.jwt_previous_keys verify"
            ));
        }
    }
    for (name, secret) in &settings.introspection.clients {
        if name.is_empty() || name.contains(':') {
            return Err(
                "introspection.clients: a client name must be non-empty and hold no `:`".into(),
            );
        }
        if secret.expose().is_empty() {
            return Err(format!("introspection.clients.{name} has an empty secret"));
        }
        if production {
            refuse_weak(&format!("introspection.clients.{name}"), secret)?;
        }
    }

    let auth = &settings.auth;
    if !(4..=31).contains(&auth.bcrypt_cost) {
        return Err(format!(
            "auth.bcrypt_cost must be between 4 and 31, not {}",
            auth.bcrypt_cost
        ));
    }
    if auth.token_ttl_secs < 60 {
        return Err("auth.token_ttl_secs must be at least 60".into());
    }
    if auth.session_max_secs < auth.token_ttl_secs {
        return Err("auth.session_max_secs must be at least auth.token_ttl_secs".into());
    }
    if auth.leeway_secs > 300 {
        return Err("auth.leeway_secs must be at most 300".into());
    }
    if auth.issuer.is_empty() || auth.audience.is_empty() {
        return Err("auth.issuer and auth.audience must not be empty".into());
    }
    if auth.max_failures_per_username == 0
        || auth.max_failures_per_address == 0
        || auth.failure_window_secs == 0
    {
        return Err("auth.max_failures_per_username, auth.max_failures_per_address and auth.failure_window_secs must be positive".into());
    }
    if settings.database.pool_size == 0 {
        return Err("database.pool_size must be at least 1".into());
    }
    if settings.database.connect_timeout_secs == 0 {
        return Err("database.connect_timeout_secs must be at least 1".into());
    }
    if !settings.server.public_url.is_empty() {
        settings.server.public_url = origin_of(&settings.server.public_url)
            .ok_or("server.public_url must look like https://host[:port]")?;
    }
    if production && settings.server.public_url.is_empty() {
        warnings.push(
            "server.public_url is not set: the Origin check falls back to the request's Host \
             header and scheme; set it to the site's public URL (e.g. https://id.example.com)"
                .into(),
        );
    }
    if tracing_subscriber::EnvFilter::try_new(&settings.log.level).is_err() {
        return Err(format!(
            "log.level {:?} is not a valid filter",
            settings.log.level
        ));
    }
    Ok((settings, warnings))
}

fn refuse_weak(key: &str, secret: &Secret) -> Result<(), String> {
    let value = secret.expose();
    if value.len() < MIN_SECRET_BYTES {
        return Err(format!("{key} is shorter than {MIN_SECRET_BYTES} bytes"));
    }
    if SHIPPED_SECRETS.contains(&value) {
        return Err(format!(
            "{key} is a value shipped in the keycard repository; make a new one with `keycard gen-secret`"
        ));
    }
    Ok(())
}

/// `scheme://host[:port]` of a URL, lower-cased, without path and without a default
/// port: the form an `Origin` header has (so `https://x:443/` is `https://x`).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    crate::http::origin::origin_of_parts(scheme, authority)
}

/// 256 random bits, URL-safe base64: what `keycard gen-secret` prints.
pub fn random_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    crate::random::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production(secret: Option<&str>) -> Settings {
        let mut s = Settings {
            env: AppEnv::Production,
            ..Default::default()
        };
        s.auth.jwt_secret = secret.map(Secret::new);
        s.auth.encryption_key = Some(Secret::new(random_secret()));
        s
    }

    #[test]
    fn production_refuses_a_missing_secret() {
        let err = finalize(production(None)).unwrap_err();
        assert!(err.contains("auth.jwt_secret"));
    }

    #[test]
    fn production_refuses_a_short_secret_without_printing_it() {
        let err = finalize(production(Some("short-but-secret"))).unwrap_err();
        assert!(err.contains("auth.jwt_secret") && err.contains("32"));
        assert!(!err.contains("short-but-secret"));
    }

    #[test]
    fn production_refuses_every_shipped_secret() {
        for shipped in SHIPPED_SECRETS {
            let err = finalize(production(Some(shipped))).unwrap_err();
            assert!(err.contains("auth.jwt_secret"), "{shipped}: {err}");
        }
    }

    #[test]
    fn production_accepts_a_long_fresh_secret() {
        let mut settings = production(Some(&random_secret()));
        settings.server.public_url = "https://id.example.com".into();
        let (s, warnings) = finalize(settings).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(s.auth.jwt_secret.is_some());
    }

    #[test]
    fn production_without_a_public_url_warns_about_the_origin_check() {
        let (_, warnings) = finalize(production(Some(&random_secret()))).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("server.public_url"), "{warnings:?}");
        let (_, warnings) = finalize(Settings::default()).unwrap();
        assert!(
            !warnings.iter().any(|w| w.contains("public_url")),
            "development needs no public_url"
        );
    }

    #[test]
    fn development_makes_a_random_secret_and_warns() {
        let (a, warnings) = finalize(Settings::default()).unwrap();
        let (b, _) = finalize(Settings::default()).unwrap();
        assert_eq!(warnings.len(), 1);
        let (a, b) = (a.auth.jwt_secret.unwrap(), b.auth.jwt_secret.unwrap());
        assert!(a.expose().len() >= 32);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn an_asymmetric_algorithm_without_a_private_key_is_refused_in_every_env() {
        for env in [AppEnv::Development, AppEnv::Test, AppEnv::Production] {
            let mut s = production(Some(&random_secret()));
            s.env = env;
            s.auth.jwt_algorithm = crate::settings::JwtAlgorithm::ES256;
            let err = finalize(s).unwrap_err();
            assert!(err.starts_with("auth.jwt_private_key is not set"), "{err}");
        }
    }

    #[test]
    fn production_refuses_a_weak_introspection_secret_without_printing_it() {
        let mut s = production(Some(&random_secret()));
        s.introspection
            .clients
            .insert("billing".into(), Secret::new("short-client-secret"));
        let err = finalize(s).unwrap_err();
        assert!(err.contains("introspection.clients.billing"), "{err}");
        assert!(!err.contains("short-client-secret"), "{err}");
    }

    #[test]
    fn encryption_keys_must_be_long_and_fresh_and_production_warns_without_one() {
        let mut s = production(Some(&random_secret()));
        s.auth.encryption_key = Some(Secret::new("short-key-value"));
        let err = finalize(s).unwrap_err();
        assert!(err.contains("auth.encryption_key") && !err.contains("short-key-value"));
        let mut s = production(Some(&random_secret()));
        s.auth.encryption_key = Some(Secret::new(SHIPPED_SECRETS[1]));
        assert!(finalize(s).unwrap_err().contains("auth.encryption_key"));
        let mut s = production(Some(&random_secret()));
        s.auth.previous_encryption_keys = vec![Secret::new("old")];
        assert!(
            finalize(s)
                .unwrap_err()
                .contains("auth.previous_encryption_keys")
        );
        let mut s = production(Some(&random_secret()));
        s.auth.encryption_key = None;
        s.server.public_url = "https://id.example.com".into();
        let (_, warnings) = finalize(s).unwrap();
        assert!(
            warnings.iter().any(|w| w.contains("auth.encryption_key")),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_test_config_secret_is_listed_as_shipped() {
        let text = include_str!("../../config/test.toml");
        assert!(SHIPPED_SECRETS.iter().any(|s| text.contains(s)));
    }

    #[test]
    fn public_url_is_reduced_to_its_origin() {
        assert_eq!(
            origin_of("https://ID.example.com/path?x").as_deref(),
            Some("https://id.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("example.com"), None);
        // Default ports are the same as none: an Origin header never carries them.
        assert_eq!(
            origin_of("https://id.example.com:443/").as_deref(),
            Some("https://id.example.com")
        );
        assert_eq!(
            origin_of("HTTP://Example.com:80").as_deref(),
            Some("http://example.com")
        );
        assert_eq!(
            origin_of("http://example.com:443").as_deref(),
            Some("http://example.com:443")
        );
        assert_eq!(
            origin_of("https://[2001:DB8::1]:443").as_deref(),
            Some("https://[2001:db8::1]")
        );
        assert_eq!(origin_of("https://x:99999"), None);
        assert_eq!(origin_of("https://x:abc"), None);
        assert_eq!(origin_of("https://user@x"), None);
    }
}
