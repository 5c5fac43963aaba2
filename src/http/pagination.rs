//! `page`, `per_page` and `q` from a list's query string (contract §3 `GET /users`):
//! `page` from 1, `per_page` 1–100 (default 20), `q` a literal substring. Anything else
//! is `400` with a message that names the parameter.

use serde::Deserialize;

use crate::error::AppError;

pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;
/// Longer searches cannot match a username (at most 32 characters) anyway.
const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub page: i64,
    pub per_page: i64,
    pub q: String,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            q: String::new(),
        }
    }
}

impl ListQuery {
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// Number of the last page for `total` items (at least 1).
    pub fn last_page(&self, total: i64) -> i64 {
        ((total + self.per_page - 1) / self.per_page).max(1)
    }

    /// The query string of another page of the same list (keeps `q` and `per_page`).
    pub fn href_for(&self, path: &str, page: i64) -> String {
        let mut pairs = vec![("page", page.to_string())];
        if self.per_page != DEFAULT_PER_PAGE {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        // A path may carry other parameters already (the audit log's filters).
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{path}{separator}{query}")
    }
}

#[derive(Debug, Default, Deserialize)]
struct Raw {
    page: Option<String>,
    per_page: Option<String>,
    q: Option<String>,
}

pub fn parse(query_string: &str) -> Result<ListQuery, AppError> {
    let raw: Raw = serde_urlencoded::from_str(query_string)
        .map_err(|_| AppError::BadRequest("malformed query string".into()))?;
    let page = whole_number(
        raw.page,
        1,
        1..=1_000_000_000,
        "page must be a whole number from 1",
    )?;
    let per_page = whole_number(
        raw.per_page,
        DEFAULT_PER_PAGE,
        1..=MAX_PER_PAGE,
        &format!("per_page must be a whole number from 1 to {MAX_PER_PAGE}"),
    )?;
    let q = raw.q.unwrap_or_default();
    if q.contains('\0') {
        return Err(AppError::BadRequest(
            "q must not contain NUL characters".into(),
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadRequest(format!(
            "q must be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    Ok(ListQuery { page, per_page, q })
}

/// A whole number within `range`, `default` when absent or empty, else `400`.
fn whole_number(
    text: Option<String>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    message: &str,
) -> Result<i64, AppError> {
    match text.as_deref() {
        None | Some("") => Ok(default),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| AppError::BadRequest(message.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            parse("").unwrap(),
            ListQuery {
                page: 1,
                per_page: 20,
                q: String::new()
            }
        );
        assert_eq!(parse("page=3&per_page=100&q=a%25b").unwrap().q, "a%b");
        assert_eq!(parse("per_page=1").unwrap().per_page, 1);
        for bad in [
            "page=0",
            "page=-1",
            "page=x",
            "page=1.5",
            "per_page=0",
            "per_page=101",
            "per_page=ten",
            "q=%00",
            "page=99999999999999999999",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_links_keep_the_search() {
        let query = parse("q=a b&per_page=5").unwrap();
        assert_eq!(
            query.href_for("/users", 2),
            "/users?page=2&per_page=5&q=a+b"
        );
        assert_eq!(query.offset(), 0);
        assert_eq!(query.last_page(11), 3);
        assert_eq!(query.last_page(0), 1);
    }
}
