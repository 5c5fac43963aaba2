//! The `keycard` binary: each command's success and failure exit codes (contract §6).

use std::process::{Command, Output};

use crate::helpers::fresh_database;

fn keycard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keycard"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KEYCARD_ENV", "test")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// A failure is a non-zero exit and exactly one line on stderr, with no panic text.
fn assert_one_line_failure(output: &Output, mentions: &str) {
    assert!(!output.status.success(), "expected failure, got {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
    assert!(
        stderr.contains(mentions),
        "stderr should mention {mentions:?}: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

fn unreachable_database() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("postgres://postgres@127.0.0.1:{port}/none")
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["create-admin", "--help"],
        &["gen-secret", "--help"],
        &["check-config", "--help"],
        &["reseal", "--help"],
        &["reset-link", "--help"],
    ] {
        let output = keycard(args, &[]);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("Usage"), "{args:?}");
    }
}

#[test]
fn gen_secret_prints_a_fresh_256_bit_secret() {
    let (a, b) = (keycard(&["gen-secret"], &[]), keycard(&["gen-secret"], &[]));
    assert!(a.status.success());
    let (a, b) = (stdout(&a).trim().to_string(), stdout(&b).trim().to_string());
    assert_eq!(a.len(), 43, "{a}");
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    assert_ne!(a, b);
}

#[test]
fn check_config_prints_settings_with_every_secret_redacted() {
    let output = keycard(
        &["check-config"],
        &[
            (
                "DATABASE_URL",
                "postgres://keycard:db-password-123@db.internal/keycard",
            ),
            (
                "KEYCARD__AUTH__JWT_SECRET",
                "a-very-secret-signing-key-0123456789abcdef",
            ),
            (
                "KEYCARD__AUTH__JWT_PREVIOUS_SECRETS",
                "an-old-signing-key-0123456789abcdef",
            ),
            ("KEYCARD__SERVER__PORT", "9090"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("port = 9090"), "{text}");
    assert!(text.contains("jwt_secret = [redacted]"), "{text}");
    for secret in [
        "db-password-123",
        "a-very-secret-signing-key",
        "an-old-signing-key",
        "db.internal",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(!String::from_utf8_lossy(&output.stderr).contains("a-very-secret"));
}

#[test]
fn check_config_warns_when_production_has_no_public_url() {
    let secret = (
        "KEYCARD__AUTH__JWT_SECRET",
        "a-very-secret-signing-key-0123456789abcdef",
    );
    let output = keycard(&["check-config"], &[("KEYCARD_ENV", "production"), secret]);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("server.public_url"), "stderr: {stderr}");
    assert!(!stderr.contains("a-very-secret"), "{stderr}");

    let output = keycard(
        &["check-config"],
        &[
            ("KEYCARD_ENV", "production"),
            secret,
            ("KEYCARD__SERVER__PUBLIC_URL", "https://id.example.com:443"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("public_url"));
    assert!(stdout(&output).contains(r#"public_url = "https://id.example.com""#));
}

#[test]
fn check_config_refuses_bad_settings_in_one_line() {
    assert_one_line_failure(
        &keycard(&["check-config"], &[("KEYCARD__SERVER__PROT", "1")]),
        "prot",
    );
    assert_one_line_failure(
        &keycard(&["check-config"], &[("KEYCARD__SERVER__PORT", "x")]),
        "server.port",
    );
    assert_one_line_failure(
        &keycard(&["check-config"], &[("KEYCARD_ENV", "production")]),
        "auth.jwt_secret",
    );
    let short = keycard(
        &["check-config"],
        &[
            ("KEYCARD_ENV", "production"),
            ("KEYCARD__AUTH__JWT_SECRET", "too-short-secret"),
        ],
    );
    assert_one_line_failure(&short, "auth.jwt_secret");
    assert!(!String::from_utf8_lossy(&short.stderr).contains("too-short-secret"));
    let shipped = keycard(
        &["check-config"],
        &[
            ("KEYCARD_ENV", "production"),
            (
                "KEYCARD__AUTH__JWT_SECRET",
                keycard::settings::SHIPPED_SECRETS[0],
            ),
        ],
    );
    assert_one_line_failure(&shipped, "shipped");
}

#[test]
fn serve_refuses_bad_settings_and_an_unreachable_database() {
    assert_one_line_failure(
        &keycard(&["serve"], &[("KEYCARD__AUTH__BCRYPT_COST", "99")]),
        "bcrypt_cost",
    );
    assert_one_line_failure(
        &keycard(&[], &[("DATABASE_URL", &unreachable_database())]),
        "database unreachable",
    );
}

#[tokio::test]
async fn migrate_applies_pending_migrations_once() {
    let url = fresh_database().await;
    // The fresh database is a clone of the migrated template: nothing is pending.
    let output = keycard(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout(&output).trim(), "applied 0 migration(s)");
    assert_one_line_failure(
        &keycard(&["migrate"], &[("DATABASE_URL", &unreachable_database())]),
        "database unreachable",
    );
    assert_one_line_failure(&keycard(&["migrate"], &[]), "database.url");
}

#[tokio::test]
async fn create_admin_creates_then_promotes_and_refuses_bad_input() {
    let url = fresh_database().await;
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("KEYCARD_ADMIN_PASSWORD", "k3ycard-admin-pw"),
    ];
    let created = keycard(&["create-admin", "Root_Admin"], &env);
    assert!(created.status.success(), "{created:?}");
    assert!(stdout(&created).starts_with("created admin Root_Admin"));
    let again = keycard(&["create-admin", "root_admin"], &env);
    assert!(again.status.success(), "{again:?}");
    assert!(
        stdout(&again).starts_with("promoted Root_Admin"),
        "{}",
        stdout(&again)
    );

    assert_one_line_failure(&keycard(&["create-admin", "x"], &env), "invalid username");
    let weak = [
        ("DATABASE_URL", url.as_str()),
        ("KEYCARD_ADMIN_PASSWORD", "password"),
    ];
    assert_one_line_failure(&keycard(&["create-admin", "other"], &weak), "weak password");
    let down = unreachable_database();
    let unreachable = [
        ("DATABASE_URL", down.as_str()),
        ("KEYCARD_ADMIN_PASSWORD", "k3ycard-admin-pw"),
    ];
    assert_one_line_failure(
        &keycard(&["create-admin", "other"], &unreachable),
        "database unreachable",
    );
}

#[tokio::test]
async fn reseal_moves_second_factor_secrets_to_a_new_encryption_key() {
    let app = crate::helpers::spawn_app().await;
    let (user, _, secret, _) = crate::two_factor::enrolled(&app).await;
    let old = app.settings.auth.encryption_key.clone().unwrap();
    let new = "a-brand-new-encryption-key-0123456789abcdef";
    let url = app.database_url.as_str();
    let output = keycard(
        &["reseal"],
        &[
            ("DATABASE_URL", url),
            ("KEYCARD__AUTH__ENCRYPTION_KEY", new),
            ("KEYCARD__AUTH__PREVIOUS_ENCRYPTION_KEYS", old.expose()),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout(&output).contains("resealed 1 secret(s)"),
        "{}",
        stdout(&output)
    );
    assert!(!stdout(&output).contains(new) && !stdout(&output).contains(old.expose()));

    // The new key alone now opens the secret: a code signs in.
    let mut settings = app.settings.clone();
    settings.auth.encryption_key = Some(keycard::settings::Secret::new(new));
    let rotated = crate::helpers::spawn_with_settings(settings).await;
    let body = serde_json::json!({
        "username": user["username"],
        "password": crate::helpers::PASSWORD,
        "code": crate::two_factor::code(&secret, 1),
    });
    let response = rotated.post_json_anonymously("/login", &body).await;
    assert_eq!(response.status().as_u16(), 200);

    // Without the key that sealed them, the secrets stay where they are.
    let output = keycard(
        &["reseal"],
        &[
            ("DATABASE_URL", url),
            ("KEYCARD__AUTH__ENCRYPTION_KEY", old.expose()),
        ],
    );
    assert_one_line_failure(&output, "no longer configured");
}

#[tokio::test]
async fn production_refuses_to_serve_without_the_key_once_anyone_has_a_second_factor() {
    let app = crate::helpers::spawn_app().await;
    let env = [
        ("KEYCARD_ENV", "production"),
        ("DATABASE_URL", app.database_url.as_str()),
        (
            "KEYCARD__AUTH__JWT_SECRET",
            "a-very-secret-signing-key-0123456789abcdef",
        ),
        ("KEYCARD__SERVER__PORT", "0"),
    ];
    crate::two_factor::enrolled(&app).await;
    let output = keycard(&["serve"], &env);
    assert!(!output.status.success(), "{output:?}");
    // Warnings are logged first; the failure is the last line.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: auth.encryption_key is not set"),
        "{stderr}"
    );
}

#[tokio::test]
async fn reset_link_prints_a_one_time_link_that_works() {
    let app = crate::helpers::spawn_app().await;
    let (user, _) = app.user_with_token().await;
    let username = user["username"].as_str().unwrap().to_uppercase();
    let env = [
        ("DATABASE_URL", app.database_url.as_str()),
        ("KEYCARD__SERVER__PUBLIC_URL", "https://id.example.com"),
    ];
    let output = keycard(&["reset-link", &username], &env);
    assert!(output.status.success(), "{output:?}");
    let link = stdout(&output).trim().to_string();
    let path = link
        .strip_prefix("https://id.example.com")
        .unwrap_or_else(|| panic!("{link}"));
    assert!(path.starts_with("/reset/"));
    let body = serde_json::json!({"new_password": "set-from-the-command-line"});
    let done = app.post_json_anonymously(path, &body).await;
    assert_eq!(done.status().as_u16(), 204);
    app.login_token(
        user["username"].as_str().unwrap(),
        "set-from-the-command-line",
    )
    .await;
    let again = app.post_json_anonymously(path, &body).await;
    assert_eq!(again.status().as_u16(), 404);

    let output = keycard(&["reset-link", "nobody_by_that_name"], &env);
    assert_one_line_failure(&output, "no user named nobody_by_that_name");
}
