//! `Authorization: Basic` (RFC 7617), for the services that call `POST /introspect`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The `(user, password)` of an `Authorization: Basic <base64(user:password)>` header:
/// the scheme in any case, standard base64 (padding optional), UTF-8, split at the
/// first `:`. `None` for anything else. The values are taken as they are (not
/// form-decoded: keycard's client names and secrets need no escaping).
pub fn basic_credentials(header_value: &str) -> Option<(String, String)> {
    let (scheme, rest) = header_value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let encoded = rest.trim().trim_end_matches('=');
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(encoded)
        .or_else(|_| STANDARD.decode(rest.trim()))
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if user.is_empty() || text.chars().any(char::is_control) {
        return None;
    }
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn header(text: &str) -> String {
        format!("Basic {}", STANDARD.encode(text))
    }

    #[test]
    fn basic_credentials_are_decoded_and_split_at_the_first_colon() {
        assert_eq!(
            basic_credentials(&header("billing:s3cr:et")),
            Some(("billing".into(), "s3cr:et".into()))
        );
        assert_eq!(
            basic_credentials(&header("billing:")),
            Some(("billing".into(), String::new()))
        );
        let unpadded = header("ab:c")
            .trim_end_matches('=')
            .replace("Basic", "basic");
        assert_eq!(
            basic_credentials(&unpadded),
            Some(("ab".into(), "c".into()))
        );
        for none in [
            String::new(),
            "Basic".into(),
            "Basic !!!".into(),
            "Bearer abc".into(),
            header("no-colon"),
            header(":secret"),
            header("a:b\u{0}c"),
            format!("Basic {}", STANDARD.encode([0xff, b':', 0xfe])),
        ] {
            assert_eq!(basic_credentials(&none), None, "{none:?}");
        }
    }

    proptest! {
        #[test]
        fn any_header_value_is_parsed_without_panicking(value in ".{0,80}") {
            let _ = basic_credentials(&value);
        }

        #[test]
        fn what_a_client_encodes_comes_back(user in "[a-z][a-z0-9_.-]{0,20}", password in "[ -~]{0,40}") {
            let parsed = basic_credentials(&header(&format!("{user}:{password}")));
            prop_assert_eq!(parsed, Some((user, password)));
        }
    }
}
