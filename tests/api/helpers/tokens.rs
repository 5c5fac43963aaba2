//! Reading and forging JWTs as an attacker would: no keycard code is used.

/// Decodes a JWT's header and claims without verifying it.
pub fn token_parts(token: &str) -> (serde_json::Value, serde_json::Value) {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let header = engine.decode(parts.next().unwrap()).unwrap();
    let claims = engine.decode(parts.next().unwrap()).unwrap();
    (
        serde_json::from_slice(&header).unwrap(),
        serde_json::from_slice(&claims).unwrap(),
    )
}

/// Re-signs a header and claims with HMAC-SHA256 under `secret`, as a forger would.
pub fn sign_hs256(header: &serde_json::Value, claims: &serde_json::Value, secret: &[u8]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = engine.encode(header.to_string());
    let body = engine.encode(claims.to_string());
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!(
        "{head}.{body}.{}",
        engine.encode(mac.finalize().into_bytes())
    )
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Re-signs a header and claims (as given) with the test apps' own key, which only
/// keycard holds in production: for tokens that differ from a real one in one claim.
pub fn sign_as_keycard(header: &serde_json::Value, claims: &serde_json::Value) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Some((algorithm, pem)) = super::spawn::test_signing_key() else {
        return sign_hs256(header, claims, TEST_SECRET.as_bytes());
    };
    let input = format!(
        "{}.{}",
        engine.encode(header.to_string()),
        engine.encode(claims.to_string())
    );
    let signature = match algorithm {
        keycard::settings::JwtAlgorithm::ES256 => {
            use p256::ecdsa::signature::Signer;
            use p256::pkcs8::DecodePrivateKey;
            let key = p256::ecdsa::SigningKey::from_pkcs8_pem(pem).unwrap();
            let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
            signature.to_bytes().to_vec()
        }
        _ => {
            use ed25519_dalek::Signer;
            use ed25519_dalek::pkcs8::DecodePrivateKey;
            let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem).unwrap();
            key.sign(input.as_bytes()).to_bytes().to_vec()
        }
    };
    format!("{input}.{}", engine.encode(signature))
}

const TEST_SECRET: &str = "test-secret-do-not-use-in-production-0123456789";
