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
