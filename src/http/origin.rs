//! The `Origin` rule (contract §4): an unsafe request whose `Origin` names another
//! origin than the site's own is refused (the middleware is `web::origin`). The site's
//! own origin is `server.public_url` when set; otherwise the request's scheme and `Host`.
//!
//! Origins compare as RFC 6454 serializes them: scheme and host lower-cased, and a
//! default port (`:80` for http, `:443` for https) the same as none, on both sides.
//! Without `public_url`, the scheme is the connection's own; a trusted proxy's
//! `Forwarded: proto=` or `X-Forwarded-Proto` replaces it, and from any other peer those
//! headers are ignored (anyone can send them). `Host` is read as sent, never
//! `X-Forwarded-Host`: the proxies keycard expects pass `Host` through.

use std::net::Ipv6Addr;

use actix_web::HttpRequest;
use actix_web::http::Method;
use ipnet::IpNet;

use crate::http::client_addr;

pub fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The scheme the visitor used. actix's `ConnectionInfo` believes `Forwarded` and
/// `X-Forwarded-Proto` from anyone, so it is asked only when the peer is a trusted
/// proxy; otherwise the connection's own scheme counts (https only over TLS).
pub fn request_scheme(req: &HttpRequest, trusted: &[IpNet]) -> String {
    if client_addr::peer_is_trusted(req, trusted) {
        req.connection_info().scheme().to_ascii_lowercase()
    } else if req.app_config().secure() {
        "https".to_string()
    } else {
        "http".to_string()
    }
}

/// `origin` is the site's own: the same origin as `public_url` when that is set, or
/// else as `scheme://host` from the request. An opaque (`null`) or malformed origin,
/// or a missing `Host`, is never the site's own.
pub fn is_same_origin(origin: &str, public_url: &str, scheme: &str, host: Option<&str>) -> bool {
    let Some(origin) = serialize_origin(origin) else {
        return false;
    };
    let own = if public_url.is_empty() {
        host.and_then(|host| origin_of_parts(scheme, host))
    } else {
        serialize_origin(public_url)
    };
    own.is_some_and(|own| own == origin)
}

/// `scheme://host[:port]` as an `Origin` header serializes it, or `None` when `text` is
/// not exactly such an origin (a path, user info, another scheme...).
pub fn serialize_origin(text: &str) -> Option<String> {
    let (scheme, authority) = text.trim().split_once("://")?;
    origin_of_parts(scheme, authority)
}

/// The serialized origin of `scheme` and an authority (`host[:port]`, as in `Host`):
/// lower case, IPv6 hosts in their canonical form, no default port.
pub fn origin_of_parts(scheme: &str, authority: &str) -> Option<String> {
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let (host, port) = split_authority(authority)?;
    Some(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// `host` and the port if one is written. Hosts are DNS names or IPv4 addresses (ASCII
/// letters, digits, `-`, `.`, `_`) or bracketed IPv6 addresses; an empty or malformed
/// port is refused rather than guessed.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip = inside.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (format!("[{ip}]"), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !host_ok {
            return None;
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None => None,
        Some(digits)
            if (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(digits.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{is_same_origin, serialize_origin};

    #[test]
    fn same_origin_by_host() {
        let same = |origin, host| is_same_origin(origin, "", "http", Some(host));
        assert!(same("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(same("http://Example.com", "example.com"));
        assert!(same("http://example.com:80", "example.com"));
        assert!(same("http://example.com", "example.com:80"));
        assert!(same("http://[::1]:8080", "[::1]:8080"));
        assert!(same("http://[::1]", "[::1]:80"));
        assert!(!same("http://evil.example", "example.com"));
        assert!(!same("http://127.0.0.1:9090", "127.0.0.1:8080"));
        assert!(!same("http://example.com:8080", "example.com"));
        assert!(!same("null", "example.com"));
        assert!(!same("http://user@example.com", "example.com"));
        assert!(!same("http://example.com/path", "example.com"));
        assert!(!same("http://example.com:", "example.com:"));
        assert!(!is_same_origin("http://example.com", "", "http", None));
    }

    #[test]
    fn without_a_public_url_the_scheme_counts() {
        let same = |origin, scheme, host| is_same_origin(origin, "", scheme, Some(host));
        assert!(!same("http://example.com", "https", "example.com"));
        assert!(!same("https://example.com", "http", "example.com"));
        assert!(same("https://example.com", "https", "example.com"));
        assert!(same("https://example.com:443", "https", "example.com"));
        assert!(same("https://example.com", "https", "example.com:443"));
        assert!(same("HTTPS://EXAMPLE.COM", "https", "example.com"));
        assert!(!same("https://example.com:80", "https", "example.com"));
        assert!(same("http://example.com:443", "http", "example.com:443"));
        assert!(!same("http://example.com:443", "https", "example.com"));
    }

    #[test]
    fn same_origin_by_public_url() {
        let public = "https://id.example.com";
        let same = |origin, public| is_same_origin(origin, public, "http", Some("internal:8080"));
        assert!(same("https://id.example.com", public));
        assert!(same("https://id.example.com:443", public));
        assert!(same("https://ID.example.com", public));
        assert!(!same("http://id.example.com", public));
        assert!(!same("https://evil.example", public));
        assert!(!same("https://id.example.com:8443", public));
        // A default port in the setting itself is the same as none.
        assert!(same("https://id.example.com", "https://id.example.com:443"));
        assert!(same("http://id.example.com", "http://id.example.com:80"));
        assert!(same(
            "https://id.example.com:8443",
            "https://id.example.com:8443"
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Serializing is idempotent, and only ever yields `http(s)://host[:port]` with a
        /// non-default port; arbitrary text never panics.
        #[test]
        fn serialized_origins_are_canonical(text in "(?i)(https?://)?[a-z0-9.:\\[\\]@/_-]{0,24}") {
            if let Some(origin) = serialize_origin(&text) {
                let again = serialize_origin(&origin);
                prop_assert_eq!(again.as_ref(), Some(&origin));
                prop_assert!(origin.starts_with("http://") || origin.starts_with("https://"));
                prop_assert!(!origin.ends_with(":80") || origin.starts_with("https://"));
                prop_assert!(!origin.ends_with(":443") || origin.starts_with("http://"));
                prop_assert!(!origin.contains('@') && origin.matches('/').count() == 2);
            }
        }

        /// An origin is the site's own exactly when it names the request's scheme and host.
        #[test]
        fn any_host_is_its_own_origin_and_no_other_scheme_is(host in "[a-z0-9-]{1,12}(\\.[a-z]{2,5})?(:[0-9]{1,5})?") {
            if let Some(own) = serialize_origin(&format!("https://{host}")) {
                prop_assert!(is_same_origin(&own, "", "https", Some(&host)));
                prop_assert!(!is_same_origin(&own.replacen("https", "http", 1), "", "https", Some(&host)));
            }
        }
    }
}
