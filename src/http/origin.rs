//! The `Origin` rule (contract §4): an unsafe request whose `Origin` names another
//! origin than the site's own is refused. The site's own origin is `server.public_url`
//! when set; otherwise the request's `Host` must match the `Origin`'s host and port.
//! (The middleware that applies it is `web::origin`.)

use actix_web::http::Method;

pub fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// `origin` is the site's own: equal to `public_url` (already reduced to an origin),
/// or, without one, naming the same host and port as the `Host` header.
pub fn is_same_origin(origin: &str, public_url: &str, host: Option<&str>) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    if !public_url.is_empty() {
        return origin == public_url;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false; // "null" and other opaque origins
    };
    let Some(host) = host else {
        return false;
    };
    let default_port = match scheme {
        "http" => "80",
        "https" => "443",
        _ => return false,
    };
    let with_port = |a: &str| -> String {
        if a.rsplit_once(':')
            .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
            && !a.ends_with(']')
        {
            a.to_string()
        } else {
            format!("{a}:{default_port}")
        }
    };
    with_port(authority) == with_port(&host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::is_same_origin;

    #[test]
    fn same_origin_by_host() {
        assert!(is_same_origin(
            "http://127.0.0.1:8080",
            "",
            Some("127.0.0.1:8080")
        ));
        assert!(is_same_origin(
            "http://Example.com",
            "",
            Some("example.com")
        ));
        assert!(is_same_origin(
            "http://example.com:80",
            "",
            Some("example.com")
        ));
        assert!(!is_same_origin(
            "http://evil.example",
            "",
            Some("example.com")
        ));
        assert!(!is_same_origin(
            "http://127.0.0.1:9090",
            "",
            Some("127.0.0.1:8080")
        ));
        assert!(!is_same_origin("null", "", Some("example.com")));
        assert!(!is_same_origin("http://example.com", "", None));
    }

    #[test]
    fn same_origin_by_public_url() {
        let public = "https://id.example.com";
        assert!(is_same_origin(
            "https://id.example.com",
            public,
            Some("internal:8080")
        ));
        assert!(!is_same_origin(
            "http://id.example.com",
            public,
            Some("id.example.com")
        ));
        assert!(!is_same_origin(
            "https://evil.example",
            public,
            Some("evil.example")
        ));
    }
}
