//! The contract's negotiation rule (§1, RFC 9110 §12.5.1), as a pure function.
//!
//! For each of `text/html` and `application/json`, the q-value comes from the most
//! specific range in `Accept` that matches it (`type/subtype` beats `type/*` beats `*/*`).
//! JSON wins on a higher q, or on equal q when it was matched more specifically.
//! Both at q=0 means nothing acceptable: 406. A missing or blank header is `*/*`.

/// The representation a response is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
}

/// Neither HTML nor JSON is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAcceptable;

/// How well one of our types is accepted: q in thousandths, and how specific the range was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    q: u16,
    specificity: u8,
}

const NO_MATCH: Match = Match {
    q: 0,
    specificity: 0,
};

pub fn negotiate(accept: Option<&str>) -> Result<Format, NotAcceptable> {
    let accept = match accept.map(str::trim) {
        None | Some("") => "*/*",
        Some(value) => value,
    };
    let ranges: Vec<Range<'_>> = accept.split(',').filter_map(Range::parse).collect();
    let html = best_match(&ranges, "text", "html");
    let json = best_match(&ranges, "application", "json");
    if html.q == 0 && json.q == 0 {
        return Err(NotAcceptable);
    }
    if json.q > html.q || (json.q == html.q && json.specificity > html.specificity) {
        Ok(Format::Json)
    } else {
        Ok(Format::Html)
    }
}

struct Range<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: u16,
}

impl<'a> Range<'a> {
    /// One element of `Accept`; malformed elements are skipped, as RFC 9110 allows.
    fn parse(element: &'a str) -> Option<Self> {
        let mut parts = element.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let (kind, subtype) = (kind.trim(), subtype.trim());
        if kind.is_empty() || subtype.is_empty() || (kind == "*" && subtype != "*") {
            return None;
        }
        let mut q = 1000;
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                q = parse_qvalue(value.trim())?;
            }
        }
        Some(Range { kind, subtype, q })
    }

    fn specificity_for(&self, kind: &str, subtype: &str) -> Option<u8> {
        match (self.kind, self.subtype) {
            ("*", "*") => Some(1),
            (k, "*") if k.eq_ignore_ascii_case(kind) => Some(2),
            (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(subtype) => Some(3),
            _ => None,
        }
    }
}

fn best_match(ranges: &[Range<'_>], kind: &str, subtype: &str) -> Match {
    ranges
        .iter()
        .filter_map(|r| {
            r.specificity_for(kind, subtype).map(|specificity| Match {
                q: r.q,
                specificity,
            })
        })
        // The most specific range decides; among equally specific duplicates, the highest q.
        .max_by_key(|m| (m.specificity, m.q))
        .unwrap_or(NO_MATCH)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const BROWSER: &str =
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

    #[test]
    fn the_contract_table() {
        let cases: &[(Option<&str>, Result<Format, NotAcceptable>)] = &[
            (Some(BROWSER), Ok(Format::Html)),
            (Some("*/*"), Ok(Format::Html)),
            (None, Ok(Format::Html)),
            (Some(""), Ok(Format::Html)),
            (Some("application/json"), Ok(Format::Json)),
            (Some("application/json, text/plain, */*"), Ok(Format::Json)),
            (Some("text/html"), Ok(Format::Html)),
            (Some("text/csv"), Err(NotAcceptable)),
            (
                Some("application/json;q=0, text/html;q=0"),
                Err(NotAcceptable),
            ),
            (Some("application/json;q=0, */*"), Ok(Format::Html)),
            (Some("text/html;q=0, */*"), Ok(Format::Json)),
            (Some("*/*;q=0"), Err(NotAcceptable)),
            (Some("application/*"), Ok(Format::Json)),
            (Some("text/*"), Ok(Format::Html)),
            (Some("application/*, text/*"), Ok(Format::Html)),
            (
                Some("application/json;q=0.5, text/html;q=0.9"),
                Ok(Format::Html),
            ),
            (
                Some("application/json;q=0.9, text/html;q=0.5"),
                Ok(Format::Json),
            ),
            (Some("application/json, text/html"), Ok(Format::Html)),
            (Some("application/json;q=0.8, */*;q=0.8"), Ok(Format::Json)),
            (
                Some("text/html;q=0.8, application/*;q=0.8"),
                Ok(Format::Html),
            ),
            (Some("APPLICATION/JSON"), Ok(Format::Json)),
            (Some("application/json; charset=utf-8"), Ok(Format::Json)),
            (Some("application/json;q=0.001"), Ok(Format::Json)),
            (Some("*/*, application/json;q=0"), Ok(Format::Html)),
            (
                Some("text/html;q=0, application/json;q=0, */*;q=1"),
                Err(NotAcceptable),
            ),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate(*accept), *expected, "Accept: {accept:?}");
        }
    }

    #[test]
    fn malformed_elements_are_skipped() {
        assert_eq!(
            negotiate(Some("garbage, application/json")),
            Ok(Format::Json)
        );
        assert_eq!(negotiate(Some("application/json;q=2")), Err(NotAcceptable));
        assert_eq!(
            negotiate(Some("application/json;q=abc, text/html")),
            Ok(Format::Html)
        );
        assert_eq!(negotiate(Some("*/json")), Err(NotAcceptable));
        assert_eq!(negotiate(Some(",,,")), Err(NotAcceptable));
    }

    #[test]
    fn qvalues_parse_per_the_grammar() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.125"), Some(125));
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
        assert_eq!(parse_qvalue("-1"), None);
    }

    /// One `Accept` element: a plausible media range with plausible parameters, or noise.
    fn element() -> impl Strategy<Value = String> {
        let range = prop_oneof![
            Just("text/html"),
            Just("application/json"),
            Just("application/*"),
            Just("text/*"),
            Just("*/*"),
            Just("text/plain"),
            Just("application/xhtml+xml"),
            Just("*/json"),
            Just("TEXT/HTML"),
        ];
        let param = prop_oneof![
            Just(String::new()),
            "(0|1)(\\.[0-9]{0,4})?".prop_map(|q| format!(";q={q}")),
            "[ ;=a-zA-Z0-9.\\-]{0,10}".prop_map(|p| format!(";{p}")),
        ];
        prop_oneof![
            4 => (range, param, " {0,2}").prop_map(|(r, p, pad)| format!("{pad}{r}{p}")),
            1 => ".{0,16}",
        ]
    }

    fn accept_header() -> impl Strategy<Value = String> {
        proptest::collection::vec(element(), 0..6).prop_map(|parts| parts.join(","))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_header_is_answered_without_panicking(accept in ".{0,64}") {
            let _ = negotiate(Some(&accept));
        }

        /// A full-quality `text/html` is the most specific match for HTML and nothing can
        /// beat q=1, so appending one always gives HTML.
        #[test]
        fn adding_text_html_always_gives_html(accept in accept_header()) {
            prop_assert_eq!(negotiate(Some(&format!("{accept},text/html"))), Ok(Format::Html));
        }

        /// Appending a full-quality `application/json` always gives JSON, unless `text/html`
        /// itself is there at full quality (equal q, equal specificity: HTML).
        #[test]
        fn adding_application_json_makes_json_acceptable(accept in accept_header()) {
            let answer = negotiate(Some(&format!("{accept}, application/json")));
            let ranges: Vec<Range<'_>> = accept.split(',').filter_map(Range::parse).collect();
            let html = best_match(&ranges, "text", "html");
            let expected = if html.specificity == 3 && html.q == 1000 {
                Format::Html
            } else {
                Format::Json
            };
            prop_assert_eq!(answer, Ok(expected));
        }

        /// Media types and parameter names are case-insensitive.
        #[test]
        fn case_does_not_matter(accept in accept_header()) {
            prop_assert_eq!(
                negotiate(Some(&accept)),
                negotiate(Some(&accept.to_ascii_uppercase()))
            );
        }

        /// q-values parse to thousandths in 0..=1000, or not at all.
        #[test]
        fn qvalues_stay_in_range(text in "[0-9.]{0,6}") {
            if let Some(q) = parse_qvalue(&text) {
                prop_assert!(q <= 1000);
            }
        }
    }
}
