//! `Authorization: Bearer` (RFC 6750 §2.1), read one way everywhere.

/// The credential of an `Authorization: Bearer <token>` header (RFC 6750 §2.1: the
/// scheme in any case, one or more spaces, one token). `None` for another scheme, an
/// empty credential or one with white space inside: such a header is no Bearer token,
/// so the cookie (and with it the CSRF rule) applies. Authentication and the CSRF gate
/// in `http::input` both read the header through this one function.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, rest) = header_value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    let well_formed =
        !token.is_empty() && !token.chars().any(|c| c.is_whitespace() || c.is_control());
    well_formed.then_some(token)
}
#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::bearer_token;

    #[test]
    fn bearer_credentials_are_split_from_their_scheme() {
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        for none in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            "Bearerabc",
            "Bearer\tabc",
            "Basic dXNlcjpwYXNz",
            "Bearer a b",
            " Bearer abc",
            "Token abc",
        ] {
            assert_eq!(bearer_token(none), None, "{none:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the header says, a token that comes out is non-empty, has no white
        /// space, and is exactly the end of a `Bearer` header.
        #[test]
        fn a_token_is_only_ever_the_credential_of_a_bearer_header(value in "[ -~\\t]{0,40}") {
            if let Some(token) = bearer_token(&value) {
                prop_assert!(!token.is_empty());
                prop_assert!(!token.chars().any(char::is_whitespace), "{token:?}");
                prop_assert!(value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer "));
                prop_assert_eq!(value[7..].trim(), token);
            }
        }

        /// Any b64token in a Bearer header with any casing of the scheme comes back as is.
        #[test]
        fn bearer_tokens_round_trip(
            scheme in "[bB][eE][aA][rR][eE][rR]",
            spaces in " {1,3}",
            token in "[A-Za-z0-9._~+/-]{1,40}=*",
        ) {
            let header = format!("{scheme}{spaces}{token}");
            prop_assert_eq!(bearer_token(&header), Some(token.as_str()));
        }

        /// Other schemes are never taken for a Bearer token.
        #[test]
        fn other_schemes_are_not_bearer(scheme in "[A-Za-z]{1,10}", rest in "[ -~]{0,20}") {
            prop_assume!(!scheme.eq_ignore_ascii_case("bearer"));
            let header = format!("{scheme} {rest}");
            prop_assert_eq!(bearer_token(&header), None);
        }
    }
}
