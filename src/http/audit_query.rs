//! The audit log's query string (contract §9 `GET /admin/audit`): the list's `page` and
//! `per_page`, and the filters `kind`, `user` (an id or a username), `since` and
//! `until` (RFC 3339 times, or dates meaning their midnight UTC). Bad values are `400`
//! naming the parameter.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::domain::EventKind;
use crate::error::AppError;
use crate::http::pagination::{self, ListQuery};

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub list: ListQuery,
    pub kind: Option<EventKind>,
    pub user: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Deserialize)]
struct Raw {
    kind: Option<String>,
    user: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

fn nonempty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn time(value: Option<String>, name: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let Some(text) = nonempty(value) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|midnight| Some(midnight.and_utc()))
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "{name} must be a time like 2026-12-06T10:00:00Z or a date like 2026-12-06"
            ))
        })
}

pub fn parse(query_string: &str) -> Result<AuditQuery, AppError> {
    let list = pagination::parse(query_string)?;
    let raw: Raw = serde_urlencoded::from_str(query_string)
        .map_err(|_| AppError::BadRequest("malformed query string".into()))?;
    let kind = match nonempty(raw.kind) {
        None => None,
        Some(name) => Some(EventKind::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            AppError::BadRequest(format!("kind must be one of {}", names.join(", ")))
        })?),
    };
    let user = nonempty(raw.user);
    if user
        .as_ref()
        .is_some_and(|u| u.chars().count() > 64 || u.contains('\0'))
    {
        return Err(AppError::BadRequest(
            "user must be an id or a username".into(),
        ));
    }
    Ok(AuditQuery {
        list,
        kind,
        user,
        since: time(raw.since, "since")?,
        until: time(raw.until, "until")?,
    })
}

impl AuditQuery {
    /// The filters as a query string (for page links and the form's values).
    pub fn filters(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(kind) = self.kind {
            pairs.push(("kind", kind.as_str().to_string()));
        }
        if let Some(user) = &self.user {
            pairs.push(("user", user.clone()));
        }
        let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let Some(since) = &self.since {
            pairs.push(("since", stamp(since)));
        }
        if let Some(until) = &self.until {
            pairs.push(("until", stamp(until)));
        }
        pairs
    }

    /// `path` with the filters, for the pager to add `page` to.
    pub fn path_with_filters(&self, path: &str) -> String {
        let filters = self.filters();
        if filters.is_empty() {
            return path.to_string();
        }
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&filters).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_bad_values_name_their_parameter() {
        let q = parse("kind=sign_in&user=alice&since=2026-12-01&until=2026-12-06T10:00:00Z&page=2")
            .unwrap();
        assert_eq!(q.kind, Some(EventKind::SignIn));
        assert_eq!(q.user.as_deref(), Some("alice"));
        assert_eq!(q.since.unwrap().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(q.list.page, 2);
        assert_eq!(
            q.path_with_filters("/admin/audit"),
            "/admin/audit?kind=sign_in&user=alice&since=2026-12-01T00%3A00%3A00Z&until=2026-12-06T10%3A00%3A00Z"
        );
        for (bad, name) in [
            ("kind=nope", "kind"),
            ("since=yesterday", "since"),
            ("until=12/06", "until"),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.starts_with(name), "{bad}: {err}");
        }
        let empty = parse("kind=&user=").unwrap();
        assert!(empty.kind.is_none() && empty.user.is_none());
    }
}
