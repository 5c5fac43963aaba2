//! What each command of `keycard` does. Every failure comes back as one `anyhow` error
//! that `main` prints as a single line.

use std::time::Duration;

use crate::auth::jwt::Keys;
use crate::auth::{keys, password};
use crate::db::{self, users};
use crate::domain::{NewPassword, Username};
use crate::settings::{JwtAlgorithm, RedactedSettings, Settings};
use crate::startup::Application;

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    migrate(&settings)?;
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
