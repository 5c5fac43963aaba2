//! What each command of `keycard` does. Every failure comes back as one `anyhow` error
//! that `main` prints as a single line.

use std::time::Duration;

use crate::auth::jwt::Keys;
use crate::auth::sealing::SecretBox;
use crate::auth::{keys, password};
use crate::db::{self, two_factor, users};
use crate::domain::{NewPassword, Username};
use crate::settings::{JwtAlgorithm, RedactedSettings, Settings};
use crate::startup::Application;

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    migrate(&settings)?;
    refuse_sealed_secrets_without_a_key(&settings)?;
    let host = settings.server.host.clone();
    let app = Application::build(settings)?;
    let shown_host = if host == "0.0.0.0" || host == "::" {
        "127.0.0.1".to_string()
    } else {
        host
    };
    println!("keycard is listening on http://{shown_host}:{}", app.port());
    actix_web::rt::spawn(app.shutdown().on_signal());
    app.run_until_stopped().await?;
    Ok(())
}

/// Production will not start without `auth.encryption_key` once any user has a second
/// factor: their sign-ins would all fail.
fn refuse_sealed_secrets_without_a_key(settings: &Settings) -> anyhow::Result<()> {
    if settings.env != crate::settings::AppEnv::Production || settings.auth.encryption_key.is_some()
    {
        return Ok(());
    }
    if db::two_factor::anyone_enabled(&mut connect(settings)?)? {
        anyhow::bail!(
            "auth.encryption_key is not set, but users have a second factor on: set it (KEYCARD__AUTH__ENCRYPTION_KEY_FILE) to the key their secrets were sealed with"
        );
    }
    Ok(())
}

pub fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let mut conn = connect(settings)?;
    let applied = db::run_migrations(&mut conn)?;
    for version in &applied {
        tracing::info!(version, "applied migration");
    }
    Ok(applied)
}

pub fn create_admin(settings: &Settings, username: &str) -> anyhow::Result<String> {
    let username =
        Username::parse(username).map_err(|e| anyhow::anyhow!("invalid username: {e}"))?;
    let mut conn = connect(settings)?;
    db::run_migrations(&mut conn)?;
    if let Some(user) = users::User::find_by_username(&mut conn, username.as_str())? {
        let promotion = users::UserChanges {
            role: Some(crate::domain::Role::Admin),
            disabled: Some(false),
            ..Default::default()
        };
        let user = users::update(&mut conn, user.id, &promotion)?;
        return Ok(format!(
            "promoted {} (id {}) to admin",
            user.username, user.id
        ));
    }
    let typed = read_password()?;
    let password = NewPassword::parse(&typed, username.as_str())
        .map_err(|e| anyhow::anyhow!("weak password: it {e}"))?;
    let hash = password::hash(&password, settings.auth.bcrypt_cost, &Default::default())?;
    let new = users::NewUser {
        username: username.as_str(),
        display_name: None,
        password_hash: &hash,
        role: crate::domain::Role::Admin,
    };
    match new.insert(&mut conn) {
        Ok(user) => Ok(format!("created admin {} (id {})", user.username, user.id)),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            anyhow::bail!("username {} is taken", username.as_str())
        }
        Err(e) => Err(e.into()),
    }
}

/// The redacted settings, then the keys they make: the algorithm and each key's `kid`
/// (public names, never key material), as comments. Fails, with one line naming the
/// setting, on a key that is missing, unreadable or of the wrong kind.
pub fn check_config(settings: &Settings) -> anyhow::Result<String> {
    let secret = settings
        .auth
        .jwt_secret
        .as_ref()
        .map(|s| s.expose().as_bytes())
        .unwrap_or_default();
    let keys = Keys::new(&settings.auth, secret)?;
    let (current, previous) = keys.key_ids();
    let mut text = RedactedSettings(settings).to_string();
    text.push_str(&format!(
        "# keys (derived from the settings above)\n# algorithm = {:?}\n# signing kid = {current:?}\n# previous kids = {previous:?}",
        format!("{:?}", keys.algorithm())
    ));
    Ok(text)
}

/// A one-time password-reset link for `username` (contract §9), recorded in the audit
/// log as made from the command line. The site's address is `server.public_url`, else
/// `http://host:port` from the settings.
pub fn reset_link(settings: &Settings, username: &str) -> anyhow::Result<String> {
    let mut conn = connect(settings)?;
    db::run_migrations(&mut conn)?;
    let user = users::User::find_by_username(&mut conn, username)?
        .ok_or_else(|| anyhow::anyhow!("no user named {username}"))?;
    let mut made = crate::accounts::audit::event(
        crate::domain::EventKind::ResetLinkCreated,
        None,
        Some(&user),
        &crate::accounts::Client::default(),
    );
    made.details = serde_json::json!({"by": "command line"});
    let link = crate::accounts::reset_links::make_link(
        &mut conn,
        &user,
        settings.auth.reset_link_ttl_secs,
        &made,
    )
    .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    let site = if settings.server.public_url.is_empty() {
        format!("http://{}:{}", settings.server.host, settings.server.port)
    } else {
        settings.server.public_url.clone()
    };
    Ok(format!("{site}{}", link.path))
}

/// Seals every stored second-factor secret with the current `auth.encryption_key`
/// (opening them with it or with `auth.previous_encryption_keys`), each in its own
/// short transaction, so it may run while keycard serves.
pub fn reseal(settings: &Settings) -> anyhow::Result<String> {
    use diesel::Connection;
    let secrets = SecretBox::new(
        settings.auth.encryption_key.as_ref(),
        &settings.auth.previous_encryption_keys,
    )?;
    if !secrets.can_seal() {
        anyhow::bail!("auth.encryption_key is not set: there is no key to seal with");
    }
    let mut conn = connect(settings)?;
    db::run_migrations(&mut conn)?;
    let (mut resealed, mut current) = (0, 0);
    for (user_id, sealed) in two_factor::all_secrets(&mut conn)? {
        let opened = secrets
            .open(user_id, &sealed)
            .map_err(|e| anyhow::anyhow!("user {user_id}: {e}"))?;
        if !opened.stale {
            current += 1;
            continue;
        }
        let fresh = secrets
            .seal(user_id, &opened.plain)
            .map_err(|e| anyhow::anyhow!("user {user_id}: {e}"))?;
        // Unless a sign-in resealed it meanwhile.
        conn.transaction(|conn| two_factor::reseal_if_unchanged(conn, user_id, &sealed, &fresh))?;
        resealed += 1;
    }
    Ok(format!(
        "resealed {resealed} secret(s); {current} already used the current key"
    ))
}

/// A new PEM private key for ES256 or EdDSA.
pub fn gen_key(algorithm: JwtAlgorithm) -> anyhow::Result<String> {
    keys::generate(algorithm).map_err(anyhow::Error::msg)
}

fn connect(settings: &Settings) -> anyhow::Result<diesel::PgConnection> {
    let url = settings
        .database
        .url
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("database.url is not set (set DATABASE_URL)"))?;
    db::connect(
        url.expose(),
        Duration::from_secs(settings.database.connect_timeout_secs),
        settings.database.prepared_statements,
    )
}

/// `KEYCARD_ADMIN_PASSWORD`, or typed twice at a prompt without echo.
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("KEYCARD_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let first = rpassword::prompt_password("Password for the new admin: ")
        .map_err(|e| anyhow::anyhow!("cannot read a password (set KEYCARD_ADMIN_PASSWORD): {e}"))?;
    let second = rpassword::prompt_password("Same password again: ")
        .map_err(|e| anyhow::anyhow!("cannot read a password: {e}"))?;
    if first != second {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}
