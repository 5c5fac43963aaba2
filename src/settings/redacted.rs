//! The settings as `keycard check-config` prints them: every key, every secret shown
//! as `[redacted]`.

use std::fmt;

use super::{Secret, Settings};

/// The settings as `check-config` prints them: every key, secrets as `[redacted]`.
pub struct RedactedSettings<'a>(pub &'a Settings);

impl fmt::Display for RedactedSettings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let secret = |value: &Option<Secret>| match value {
            Some(_) => "[redacted]",
            None => "(not set)",
        };
        let proxies: Vec<String> = s
            .server
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        writeln!(f, "env = {:?}", s.env.as_str())?;
        writeln!(f, "[server]")?;
        writeln!(f, "host = {:?}", s.server.host)?;
        writeln!(f, "port = {}", s.server.port)?;
        writeln!(f, "workers = {}", s.server.workers)?;
        writeln!(f, "public_url = {:?}", s.server.public_url)?;
        writeln!(f, "trusted_proxies = {proxies:?}")?;
        writeln!(
            f,
            "static_dir = {:?}",
            s.server.static_dir.display().to_string()
        )?;
        writeln!(f, "drain_secs = {}", s.server.drain_secs)?;
        writeln!(
            f,
            "shutdown_timeout_secs = {}",
            s.server.shutdown_timeout_secs
        )?;
        writeln!(f, "[database]")?;
        writeln!(f, "url = {}", secret(&s.database.url))?;
        writeln!(f, "pool_size = {}", s.database.pool_size)?;
        writeln!(
            f,
            "connect_timeout_secs = {}",
            s.database.connect_timeout_secs
        )?;
        writeln!(
            f,
            "prepared_statements = {}",
            s.database.prepared_statements
        )?;
        let a = &s.auth;
        writeln!(f, "[auth]")?;
        writeln!(f, "jwt_secret = {}", secret(&a.jwt_secret))?;
        writeln!(
            f,
            "jwt_previous_secrets = [redacted] ({} set)",
            a.jwt_previous_secrets.len()
        )?;
        writeln!(f, "jwt_algorithm = {:?}", format!("{:?}", a.jwt_algorithm))?;
        writeln!(f, "jwt_private_key = {}", secret(&a.jwt_private_key))?;
        writeln!(
            f,
            "jwt_previous_keys = [redacted] ({} set)",
            a.jwt_previous_keys.len()
        )?;
        writeln!(f, "token_ttl_secs = {}", a.token_ttl_secs)?;
        writeln!(f, "session_max_secs = {}", a.session_max_secs)?;
        writeln!(f, "leeway_secs = {}", a.leeway_secs)?;
        writeln!(f, "bcrypt_cost = {}", a.bcrypt_cost)?;
        writeln!(f, "registration_open = {}", a.registration_open)?;
        writeln!(f, "issuer = {:?}", a.issuer)?;
        writeln!(f, "audience = {:?}", a.audience)?;
        writeln!(
            f,
            "max_failures_per_username = {}",
            a.max_failures_per_username
        )?;
        writeln!(
            f,
            "max_failures_per_address = {}",
            a.max_failures_per_address
        )?;
        writeln!(f, "failure_window_secs = {}", a.failure_window_secs)?;
        writeln!(f, "max_sessions_per_user = {}", a.max_sessions_per_user)?;
        writeln!(
            f,
            "signups_per_address_per_hour = {}",
            a.signups_per_address_per_hour
        )?;
        writeln!(f, "hash_threads = {}", a.hash_threads)?;
        writeln!(f, "hash_queue_limit = {}", a.hash_queue_limit)?;
        writeln!(f, "hash_priority = \"{}\"", a.hash_priority.as_str())?;
        writeln!(f, "encryption_key = {}", secret(&a.encryption_key))?;
        writeln!(
            f,
            "previous_encryption_keys = [redacted] ({} set)",
            a.previous_encryption_keys.len()
        )?;
        writeln!(f, "reset_link_ttl_secs = {}", a.reset_link_ttl_secs)?;
        writeln!(f, "[audit]")?;
        writeln!(f, "retention_days = {}", s.audit.retention_days)?;
        writeln!(f, "[cookie]")?;
        writeln!(f, "secure = {}", s.cookie.secure)?;
        writeln!(f, "[log]")?;
        writeln!(f, "level = {:?}", s.log.level)?;
        writeln!(
            f,
            "format = {:?}",
            format!("{:?}", s.log.format).to_lowercase()
        )?;
        writeln!(f, "[metrics]")?;
        writeln!(f, "listen = {:?}", s.metrics.listen)?;
        writeln!(f, "[introspection.clients]")?;
        for name in s.introspection.clients.keys() {
            writeln!(f, "{name:?} = [redacted]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redacted_view_hides_every_secret() {
        let mut s = Settings::default();
        s.auth.jwt_secret = Some(Secret::new("jwt-secret-value"));
        s.auth.jwt_previous_secrets = vec![Secret::new("old-secret-value")];
        s.database.url = Some(Secret::new("postgres://u:db-password@h/d"));
        s.auth.jwt_private_key = Some(Secret::new("private-key-pem"));
        s.auth.jwt_previous_keys = vec![Secret::new("previous-key-pem")];
        s.auth.encryption_key = Some(Secret::new("encryption-key-value"));
        s.auth.previous_encryption_keys = vec![Secret::new("old-encryption-key")];
        s.introspection
            .clients
            .insert("billing".into(), Secret::new("client-secret-value"));
        let text = RedactedSettings(&s).to_string();
        assert!(text.contains("\"billing\" = [redacted]"), "{text}");
        assert!(text.contains("jwt_private_key = [redacted]"), "{text}");
        for hidden in [
            "jwt-secret-value",
            "old-secret-value",
            "db-password",
            "private-key-pem",
            "previous-key-pem",
            "client-secret-value",
            "encryption-key-value",
            "old-encryption-key",
        ] {
            assert!(!text.contains(hidden), "{hidden} leaked: {text}");
        }
        assert!(text.contains("jwt_secret = [redacted]"));
        assert!(text.contains("port = 8080"));
        assert!(text.contains("drain_secs = 5"), "{text}");
        assert!(text.contains("shutdown_timeout_secs = 30"), "{text}");
        assert!(text.contains("prepared_statements = true"), "{text}");
    }
}
