//! The rule that a `next` target is a local path only, and the `303` to the sign-in form.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters escaped when a path travels in the `next` query parameter.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `303` to the sign-in form, remembering where the visitor was going.
pub fn to_login(req: &HttpRequest) -> HttpResponse {
    let uri = req.uri();
    let here = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let reading = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let next = if reading && is_local_path(here) {
        here
    } else {
        "/me"
    };
    see_other(&login_url(next))
}

pub fn login_url(next: &str) -> String {
    format!("/login?next={}", query_value(next))
}

/// A path escaped to travel as a query parameter's value.
pub fn query_value(path: &str) -> String {
    utf8_percent_encode(path, QUERY_VALUE).to_string()
}

/// A path on this site: starts with one `/`, not `//` or `/\` (which browsers treat as
/// another host), and has no control characters or backslashes.
pub fn is_local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(char::is_control)
        && target.len() <= 2048
}

/// `next` when it is local, else the default.
pub fn local_or<'a>(next: Option<&'a str>, default: &'a str) -> &'a str {
    next.filter(|n| is_local_path(n)).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn only_local_paths_are_accepted() {
        for good in ["/", "/me", "/users?page=2&q=a", "/users/7#x"] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in [
            "",
            "me",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/\u{0}x",
            "/a\nb",
            " /me",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn login_url_escapes_the_target() {
        assert_eq!(
            login_url("/users?q=a&page=2"),
            "/login?next=/users%3Fq%3Da%26page%3D2"
        );
        assert_eq!(local_or(Some("//evil"), "/me"), "/me");
        assert_eq!(local_or(Some("/admin"), "/me"), "/admin");
        assert_eq!(local_or(None, "/me"), "/me");
    }

    /// What an attacker would put in `next=`: slashes, backslashes, schemes, encodings,
    /// white space and control characters, in any order.
    fn target() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/"),
            Just("//"),
            Just("\\"),
            Just("/\\"),
            Just("evil.example"),
            Just("https:"),
            Just("javascript:"),
            Just("%2F"),
            Just("%5C"),
            Just("\t"),
            Just("\n"),
            Just("\r"),
            Just("\u{0}"),
            Just("\u{7f}"),
            Just("\u{85}"),
            Just(" "),
            Just("\u{3000}"),
            Just("?"),
            Just("#"),
            Just("@"),
            Just("me"),
        ];
        prop_oneof![
            proptest::collection::vec(piece, 0..8).prop_map(|p| p.concat()),
            ".{0,24}",
            "/.{0,24}",
        ]
    }

    fn is_plainly_local(target: &str) -> bool {
        let mut chars = target.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !target.chars().any(char::is_control)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A target that passes is a path on this site: one leading `/`, then neither `/`
        /// nor `\`, and no control characters (browsers drop tabs and newlines, which
        /// would turn `/\t/evil` into `//evil`).
        #[test]
        fn a_target_that_passes_is_always_a_local_path(next in target()) {
            if is_local_path(&next) {
                prop_assert!(is_plainly_local(&next), "{next:?}");
                prop_assert!(!next.contains('\\'), "{next:?}");
            }
            let chosen = local_or(Some(&next), "/me");
            prop_assert!(chosen == "/me" || chosen == next);
            prop_assert!(is_plainly_local(chosen), "{chosen:?}");
        }

        /// The escaped target in a sign-in link comes back as the same target: the query
        /// value holds no raw `&`, `#`, `?`, space or control character.
        #[test]
        fn login_urls_carry_the_target_intact(next in "/.{0,24}") {
            let url = login_url(&next);
            let value = url.strip_prefix("/login?next=").unwrap();
            prop_assert!(!value.contains(['&', '#', '?', ' ', '+']), "{url}");
            let decoded = percent_encoding::percent_decode_str(value).decode_utf8().unwrap();
            prop_assert_eq!(decoded, next);
        }
    }
}
