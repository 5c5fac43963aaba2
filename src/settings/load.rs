//! Layering, later wins: built-in defaults (the `Default` impls), `config/default.toml`,
//! `config/<KEYCARD_ENV>.toml`, `config/local.toml`, `KEYCARD__SECTION__KEY` variables,
//! then `DATABASE_URL`. Any variable may instead name a file with a `_FILE` suffix
//! (`KEYCARD__AUTH__JWT_SECRET_FILE=/run/secrets/jwt`), which is how secrets are mounted.

use std::collections::BTreeMap;
use std::path::Path;

use config::{Config, File, FileFormat};

use super::{AppEnv, Settings};

const ENV_PREFIX: &str = "KEYCARD__";
/// Keys whose environment value is a comma-separated list.
const LIST_KEYS: &[&str] = &[
    "auth.jwt_previous_secrets",
    "auth.previous_encryption_keys",
    "server.trusted_proxies",
];
/// Keys whose environment value is PEM text: one key, or several PEM blocks one after
/// the other (a PEM holds no comma, but it holds newlines, which must survive).
const PEM_LIST_KEYS: &[&str] = &["auth.jwt_previous_keys"];

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
}

impl SettingsError {
    fn invalid(message: impl Into<String>) -> Self {
        SettingsError::Invalid(message.into())
    }
}

/// Loads the settings for the current process: `config/` under the working directory
/// (or `KEYCARD_CONFIG_DIR`) and the process environment.
pub fn load_from_process() -> Result<Settings, SettingsError> {
    let vars: BTreeMap<String, String> = std::env::vars().collect();
    let dir = vars
        .get("KEYCARD_CONFIG_DIR")
        .cloned()
        .unwrap_or_else(|| "config".into());
    load(Path::new(&dir), &vars)
}

/// Loads settings from `config_dir` and the given environment. Pure apart from
/// reading files, so the loader is unit-tested without touching the process environment.
pub fn load(config_dir: &Path, vars: &BTreeMap<String, String>) -> Result<Settings, SettingsError> {
    let env = AppEnv::try_from(vars.get("KEYCARD_ENV").map_or("", String::as_str))
        .map_err(SettingsError::invalid)?;

    let mut builder = Config::builder();
    for name in ["default", env.as_str(), "local"] {
        let path = config_dir.join(format!("{name}.toml"));
        builder = builder.add_source(File::from(path).format(FileFormat::Toml).required(false));
    }
    for (key, value) in environment_overrides(vars)? {
        builder = if LIST_KEYS.contains(&key.as_str()) {
            let items: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(String::from)
                .collect();
            builder.set_override(key.as_str(), items)
        } else if PEM_LIST_KEYS.contains(&key.as_str()) {
            builder.set_override(key.as_str(), pem_blocks(&value))
        } else {
            builder.set_override(key.as_str(), value)
        }
        .map_err(|e| SettingsError::invalid(e.to_string()))?;
    }

    let config = builder.build().map_err(describe)?;
    let mut settings: Settings = config.try_deserialize().map_err(describe)?;
    settings.env = env;
    Ok(settings)
}

/// `(dotted key, value)` pairs from `KEYCARD__*`, `DATABASE_URL` and their `_FILE` forms,
/// in the order they apply.
fn environment_overrides(
    vars: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, SettingsError> {
    let mut overrides = Vec::new();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let (rest, from_file) = match rest.strip_suffix("_FILE") {
            Some(stripped) => (stripped, true),
            None => (rest, false),
        };
        let key = rest
            .split("__")
            .collect::<Vec<_>>()
            .join(".")
            .to_ascii_lowercase();
        let value = if from_file {
            read_secret_file(name, value)?
        } else {
            value.clone()
        };
        overrides.push((key, value));
    }
    if let Some(path) = vars.get("DATABASE_URL_FILE") {
        overrides.push((
            "database.url".into(),
            read_secret_file("DATABASE_URL_FILE", path)?,
        ));
    }
    if let Some(url) = vars.get("DATABASE_URL").filter(|url| !url.is_empty()) {
        overrides.push(("database.url".into(), url.clone()));
    }
    Ok(overrides)
}

/// Each `-----BEGIN ...-----` to `-----END ...-----` block of `text`, newlines kept;
/// text without a block is one item as it is (so that the key check names the setting).
fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start..];
        let Some(end) = after.find("-----END ") else {
            break;
        };
        let tail = &after[end + "-----END ".len()..];
        let close = tail.find("-----").map_or(tail.len(), |i| i + "-----".len());
        let length = end + "-----END ".len() + close;
        blocks.push(after[..length].to_string());
        rest = &after[length..];
    }
    if blocks.is_empty() && !text.trim().is_empty() {
        blocks.push(text.to_string());
    }
    blocks
}

fn read_secret_file(variable: &str, path: &str) -> Result<String, SettingsError> {
    std::fs::read_to_string(path)
        .map(|text| text.trim_end_matches(['\n', '\r']).to_string())
        .map_err(|e| SettingsError::invalid(format!("cannot read {variable} ({path}): {e}")))
}

/// Turns a `config` error into one line that names the key but not its value
/// (a wrong-typed secret must not be echoed back).
fn describe(error: config::ConfigError) -> SettingsError {
    let text = error.to_string();
    let text = match text.find("invalid type: string \"") {
        Some(start) => {
            let after = &text[start + "invalid type: string \"".len()..];
            match after.find('"') {
                Some(end) => format!(
                    "{}invalid type: string{}",
                    &text[..start],
                    &after[end + 1..]
                ),
                None => text,
            }
        }
        None => text,
    };
    SettingsError::invalid(format!("invalid settings: {text}"))
}

#[cfg(test)]
mod tests;
