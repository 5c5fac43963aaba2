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
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn built_in_defaults_apply_without_any_file() {
        let dir = dir_with(&[]);
        let s = load(dir.path(), &vars(&[])).unwrap();
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.auth.token_ttl_secs, 3600);
        assert_eq!(s.auth.session_max_secs, 604_800);
        assert_eq!(s.auth.leeway_secs, 30);
        assert_eq!(s.auth.bcrypt_cost, 12);
        assert!(s.auth.registration_open);
        assert_eq!(s.env, AppEnv::Development);
    }

    #[test]
    fn each_layer_overrides_the_one_before() {
        let dir = dir_with(&[
            (
                "default.toml",
                "[server]\nport = 1\nhost = \"default\"\nworkers = 1\n[log]\nlevel = \"a\"\n",
            ),
            (
                "test.toml",
                "[server]\nport = 2\nhost = \"test\"\nworkers = 2\n",
            ),
            ("local.toml", "[server]\nport = 3\nhost = \"local\"\n"),
        ]);
        let s = load(
            dir.path(),
            &vars(&[("KEYCARD_ENV", "test"), ("KEYCARD__SERVER__PORT", "4")]),
        )
        .unwrap();
        assert_eq!(s.server.port, 4);
        assert_eq!(s.server.host, "local");
        assert_eq!(s.server.workers, 2);
        assert_eq!(s.log.level, "a");
        assert_eq!(s.env, AppEnv::Test);
    }

    #[test]
    fn database_url_beats_the_keycard_variable_and_files() {
        let dir = dir_with(&[("default.toml", "[database]\nurl = \"postgres://file\"\n")]);
        let s = load(
            dir.path(),
            &vars(&[
                ("KEYCARD__DATABASE__URL", "postgres://keycard-var"),
                ("DATABASE_URL", "postgres://database-url"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.url.unwrap().expose(), "postgres://database-url");
    }

    #[test]
    fn a_file_variant_reads_the_secret_from_the_file() {
        let dir = dir_with(&[("jwt", "from-a-file-0123456789abcdef0123456789\n")]);
        let path = dir.path().join("jwt");
        let s = load(
            dir.path(),
            &vars(&[("KEYCARD__AUTH__JWT_SECRET_FILE", path.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(
            s.auth.jwt_secret.unwrap().expose(),
            "from-a-file-0123456789abcdef0123456789"
        );
    }

    #[test]
    fn a_missing_secret_file_names_the_variable() {
        let dir = dir_with(&[]);
        let err = load(
            dir.path(),
            &vars(&[("KEYCARD__AUTH__JWT_SECRET_FILE", "/nope/jwt")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("KEYCARD__AUTH__JWT_SECRET_FILE"), "{err}");
    }

    #[test]
    fn list_settings_are_comma_separated_in_the_environment() {
        let dir = dir_with(&[]);
        let s = load(
            dir.path(),
            &vars(&[
                ("KEYCARD__AUTH__JWT_PREVIOUS_SECRETS", "one, two,"),
                ("KEYCARD__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,::1/128"),
            ]),
        )
        .unwrap();
        let previous: Vec<&str> = s
            .auth
            .jwt_previous_secrets
            .iter()
            .map(|s| s.expose())
            .collect();
        assert_eq!(previous, ["one", "two"]);
        assert_eq!(s.server.trusted_proxies.len(), 2);
    }

    const PEM_A: &str = "-----BEGIN PUBLIC KEY-----\nAAAA\nBBBB\n-----END PUBLIC KEY-----";
    const PEM_B: &str = "-----BEGIN PRIVATE KEY-----\nCCCC\n-----END PRIVATE KEY-----";

    #[test]
    fn a_pem_in_one_variable_is_one_previous_key_with_its_newlines() {
        let dir = dir_with(&[]);
        let s = load(
            dir.path(),
            &vars(&[("KEYCARD__AUTH__JWT_PREVIOUS_KEYS", &format!("{PEM_A}\n"))]),
        )
        .unwrap();
        let keys: Vec<&str> = s
            .auth
            .jwt_previous_keys
            .iter()
            .map(|k| k.expose())
            .collect();
        assert_eq!(keys, [PEM_A]);
        let two = load(
            dir.path(),
            &vars(&[(
                "KEYCARD__AUTH__JWT_PREVIOUS_KEYS",
                &format!("{PEM_A}\n{PEM_B}\n"),
            )]),
        )
        .unwrap();
        let keys: Vec<&str> = two
            .auth
            .jwt_previous_keys
            .iter()
            .map(|k| k.expose())
            .collect();
        assert_eq!(keys, [PEM_A, PEM_B], "several blocks, one after the other");
    }

    #[test]
    fn the_private_key_and_previous_keys_come_from_files_and_toml_lists() {
        let dir = dir_with(&[
            ("key.pem", &format!("{PEM_B}\n")),
            (
                "default.toml",
                &format!(
                    "[auth]\njwt_algorithm = \"EdDSA\"\njwt_previous_keys = [\"\"\"{PEM_A}\"\"\", \"\"\"{PEM_B}\"\"\"]\n"
                ),
            ),
        ]);
        let path = dir.path().join("key.pem");
        let s = load(
            dir.path(),
            &vars(&[(
                "KEYCARD__AUTH__JWT_PRIVATE_KEY_FILE",
                path.to_str().unwrap(),
            )]),
        )
        .unwrap();
        assert_eq!(s.auth.jwt_algorithm, crate::settings::JwtAlgorithm::EdDSA);
        assert_eq!(s.auth.jwt_private_key.unwrap().expose(), PEM_B);
        assert_eq!(s.auth.jwt_previous_keys.len(), 2);
    }

    #[test]
    fn introspection_clients_come_from_toml_and_from_variables_and_files() {
        let dir = dir_with(&[
            ("billing", "billing-secret-from-a-file\n"),
            (
                "default.toml",
                "[introspection.clients]\nreports = \"reports-secret\"\n",
            ),
        ]);
        let path = dir.path().join("billing");
        let s = load(
            dir.path(),
            &vars(&[
                (
                    "KEYCARD__INTROSPECTION__CLIENTS__BILLING_FILE",
                    path.to_str().unwrap(),
                ),
                ("KEYCARD__INTROSPECTION__CLIENTS__MAIL", "mail-secret"),
            ]),
        )
        .unwrap();
        let clients: Vec<(&str, &str)> = s
            .introspection
            .clients
            .iter()
            .map(|(name, secret)| (name.as_str(), secret.expose()))
            .collect();
        assert_eq!(
            clients,
            [
                ("billing", "billing-secret-from-a-file"),
                ("mail", "mail-secret"),
                ("reports", "reports-secret"),
            ]
        );
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let dir = dir_with(&[("default.toml", "[server]\nprot = 1\n")]);
        let err = load(dir.path(), &vars(&[])).unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn an_unknown_variable_is_an_error_naming_it() {
        let dir = dir_with(&[]);
        let err = load(dir.path(), &vars(&[("KEYCARD__AUTH__JWT_SECRT", "x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("jwt_secrt"), "{err}");
    }

    #[test]
    fn a_wrong_type_is_an_error_naming_the_key_without_the_value() {
        let dir = dir_with(&[]);
        let err = load(dir.path(), &vars(&[("KEYCARD__SERVER__PORT", "eighty")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.port"), "{err}");
        assert!(!err.contains("eighty"), "{err}");
    }

    #[test]
    fn an_unknown_environment_name_is_refused() {
        let dir = dir_with(&[]);
        let err = load(dir.path(), &vars(&[("KEYCARD_ENV", "staging")])).unwrap_err();
        assert!(err.to_string().contains("KEYCARD_ENV"));
    }
}
