use super::*;

#[test]
fn the_thumbprint_of_rfc_7638s_example_key_is_the_one_it_gives() {
    // RFC 7638 §3.1: an RSA key; the members are the required ones, {e, kty, n}.
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let members = [("kty", "RSA"), ("n", n), ("e", "AQAB")];
    assert_eq!(
        thumbprint(&members),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

fn jsonwebtoken_thumbprint(jwk: &PublicJwk) -> String {
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(serde_json::to_value(jwk).unwrap()).unwrap();
    jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .unwrap()
}

#[test]
fn generated_keys_parse_and_their_kid_is_their_thumbprint() {
    for algorithm in [JwtAlgorithm::ES256, JwtAlgorithm::EdDSA] {
        let pem = generate(algorithm).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        let key = private_key(algorithm, &pem, "auth.jwt_private_key").unwrap();
        let jwk = key.verifying.jwk.clone().unwrap();
        assert_eq!(key.kid(), jwk.kid);
        assert_eq!(jsonwebtoken_thumbprint(&jwk), jwk.kid, "{algorithm:?}");
        assert_eq!(key.kid().len(), 43);
        // The same key as a "previous" one (private PEM) has the same kid.
        let previous = public_key(algorithm, &pem, "auth.jwt_previous_keys").unwrap();
        assert_eq!(previous.kid, key.kid());
        assert_ne!(generate(algorithm).unwrap(), pem, "fresh every time");
    }
}

/// A fresh key's published JWK, and its member names in order.
fn published(algorithm: JwtAlgorithm) -> (serde_json::Value, Vec<String>) {
    let key = private_key(algorithm, &generate(algorithm).unwrap(), "k").unwrap();
    let value = serde_json::to_value(key.verifying.jwk.unwrap()).unwrap();
    let mut names: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    names.sort_unstable();
    (value, names)
}

#[test]
fn the_published_jwk_has_no_private_part_and_the_contract_members() {
    let (value, names) = published(JwtAlgorithm::ES256);
    assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert_eq!(value["kty"], "EC");
    assert_eq!(value["crv"], "P-256");
    assert_eq!(value["alg"], "ES256");
    assert_eq!(value["use"], "sig");
    let (value, names) = published(JwtAlgorithm::EdDSA);
    assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x"]);
    assert_eq!(value["kty"], "OKP");
    assert_eq!(value["crv"], "Ed25519");
    assert_eq!(value["alg"], "EdDSA");
}

// openssl ecparam -name prime256v1 -genkey -noout (SEC1) and its public key.
const SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIMsJNlkSBrK7n9TyhtVDL/13a6wv/Sv9XDIJ5WpQl+vYoAoGCCqGSM49
AwEHoUQDQgAEsFQELjAr4MsnMRPpNRlj3+VILtrUv+0E7n1+oiCfB4KqFtzwmSHV
kTH3khrkZ8OPTga7pZLRkvbf3vfFv1wO+g==
-----END EC PRIVATE KEY-----";
const SEC1_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsFQELjAr4MsnMRPpNRlj3+VILtrU
v+0E7n1+oiCfB4KqFtzwmSHVkTH3khrkZ8OPTga7pZLRkvbf3vfFv1wO+g==
-----END PUBLIC KEY-----";

#[test]
fn sec1_private_and_spki_public_pems_are_the_same_key() {
    let private = private_key(JwtAlgorithm::ES256, SEC1, "auth.jwt_private_key").unwrap();
    let public = public_key(JwtAlgorithm::ES256, SEC1_PUBLIC, "auth.jwt_previous_keys").unwrap();
    assert_eq!(private.kid(), public.kid);
    // As a secret store may hand it over: CRLF, escaped newlines, blanks around.
    let mangled = format!("  {}\r\n", SEC1.replace('\n', "\\n"));
    let again = private_key(JwtAlgorithm::ES256, &mangled, "auth.jwt_private_key").unwrap();
    assert_eq!(again.kid(), public.kid);
    let crlf = SEC1_PUBLIC.replace('\n', "\r\n");
    assert_eq!(
        public_key(JwtAlgorithm::ES256, &crlf, "x").unwrap().kid,
        public.kid
    );
}

#[test]
fn a_key_of_the_wrong_kind_is_one_line_naming_the_setting_and_not_the_key() {
    let ed = generate(JwtAlgorithm::EdDSA).unwrap();
    let es = generate(JwtAlgorithm::ES256).unwrap();
    let cases = [
        private_key(JwtAlgorithm::ES256, &ed, "auth.jwt_private_key").err(),
        private_key(JwtAlgorithm::EdDSA, &es, "auth.jwt_private_key").err(),
        private_key(JwtAlgorithm::ES256, SEC1_PUBLIC, "auth.jwt_private_key").err(),
        private_key(JwtAlgorithm::ES256, "hunter2", "auth.jwt_private_key").err(),
        private_key(
            JwtAlgorithm::ES256,
            "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----",
            "auth.jwt_private_key",
        )
        .err(),
        public_key(
            JwtAlgorithm::EdDSA,
            SEC1_PUBLIC,
            "auth.jwt_previous_keys[0]",
        )
        .err(),
        public_key(JwtAlgorithm::ES256, &ed, "auth.jwt_previous_keys[0]").err(),
    ];
    for error in cases {
        let error = error.expect("refused");
        assert!(error.starts_with("auth.jwt_"), "{error}");
        assert!(!error.contains('\n'), "{error}");
        assert!(
            !error.contains("MHcCAQEEIMsJ") && !error.contains("hunter2"),
            "{error}"
        );
    }
}

#[test]
fn hmac_key_ids_are_unchanged() {
    // The kid HS256 tokens have carried since the first release.
    assert_eq!(key_id(b"current-secret").unwrap().len(), 16);
    assert_eq!(
        hmac(b"current-secret").unwrap().kid(),
        key_id(b"current-secret").unwrap()
    );
}
