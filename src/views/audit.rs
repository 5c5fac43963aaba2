//! The audit log as JSON and as pages (contract §9): `/admin/audit` (every event, for
//! admins) and `/me/activity` (one's own security history, in sentences).

use askama::Template;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::audit::Event;
use crate::domain::EventKind;
use crate::views::json::rfc3339;
use crate::views::pages::{Layout, Pager, readable_time};

/// `{"id","username"}` of a user an event involves.
#[derive(Debug, Clone, Serialize)]
pub struct UserRef {
    pub id: i64,
    pub username: String,
}

fn user_ref(id: Option<i64>, username: &Option<String>) -> Option<UserRef> {
    Some(UserRef {
        id: id?,
        username: username.clone().unwrap_or_default(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct EventJson {
    pub id: i64,
    #[serde(serialize_with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: Option<UserRef>,
    pub subject: Option<UserRef>,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

impl From<&Event> for EventJson {
    fn from(e: &Event) -> Self {
        EventJson {
            id: e.id,
            at: e.at,
            kind: e.kind.clone(),
            actor: user_ref(e.actor_id, &e.actor_username),
            subject: user_ref(e.subject_id, &e.subject_username),
            client_address: e.client_address.clone(),
            request_id: e.request_id.clone(),
            details: e.details.clone(),
        }
    }
}

/// A row of the admin's table.
pub struct EventRow {
    pub at: String,
    pub kind: String,
    pub label: String,
    pub actor: Option<UserRef>,
    pub subject: Option<UserRef>,
    pub client_address: String,
    pub request_id: String,
    pub details: String,
}

impl From<&Event> for EventRow {
    fn from(e: &Event) -> Self {
        let details = match &e.details {
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        };
        EventRow {
            at: readable_time(&e.at),
            kind: e.kind.clone(),
            label: EventKind::parse(&e.kind).map_or(e.kind.clone(), |k| k.label().to_string()),
            actor: user_ref(e.actor_id, &e.actor_username),
            subject: user_ref(e.subject_id, &e.subject_username),
            client_address: e.client_address.clone().unwrap_or_default(),
            request_id: e.request_id.clone().unwrap_or_default(),
            details,
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub events: Vec<EventRow>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub kind: String,
    pub user: String,
    pub since: String,
    pub until: String,
    pub pager: Pager,
}

/// One line of a user's own history: what happened, from where, how long ago.
pub struct ActivityLine {
    pub sentence: String,
    pub address: String,
    pub ago: String,
    pub at: String,
}

impl ActivityLine {
    pub fn new(e: &Event, now: DateTime<Utc>) -> Self {
        ActivityLine {
            sentence: sentence(e),
            address: e.client_address.clone().unwrap_or_default(),
            ago: ago(e.at, now),
            at: readable_time(&e.at),
        }
    }
}

#[derive(Template)]
#[template(path = "activity.html")]
pub struct ActivityPage {
    pub layout: Layout,
    pub lines: Vec<ActivityLine>,
    pub pager: Pager,
}

fn count(e: &Event) -> i64 {
    count_of(e, "count")
}

/// A number in the event's details (1 when it is missing).
fn count_of(e: &Event, field: &str) -> i64 {
    e.details
        .get(field)
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(1)
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The event as a person reads it about themselves.
fn sentence(e: &Event) -> String {
    let by = match (&e.actor_id, &e.actor_username) {
        (Some(actor), Some(name)) if Some(*actor) != e.subject_id => format!(" by {name}"),
        _ => String::new(),
    };
    let Some(kind) = EventKind::parse(&e.kind) else {
        return e.kind.clone();
    };
    match kind {
        EventKind::SignUp => "Account created".into(),
        EventKind::SignIn => {
            let agent = e
                .details
                .get("user_agent")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let mfa = e.details.get("mfa").and_then(serde_json::Value::as_bool) == Some(true);
            format!(
                "Signed in from {}{}",
                crate::views::device::describe(agent),
                if mfa { " with a second factor" } else { "" }
            )
        }
        EventKind::SignInFailed => plural(count(e), "failed sign-in", "failed sign-ins"),
        EventKind::SignInThrottled => format!(
            "{} after too many failures",
            plural(count(e), "sign-in refused", "sign-ins refused")
        ),
        EventKind::SessionsRevoked => {
            if e.details.get("reason").and_then(serde_json::Value::as_str)
                == Some("max_sessions_per_user")
            {
                format!(
                    "{} (the most a user may have at once)",
                    plural(
                        count_of(e, "sessions"),
                        "least recently used session ended",
                        "least recently used sessions ended"
                    )
                )
            } else if e
                .details
                .get("kept_current")
                .and_then(serde_json::Value::as_bool)
                == Some(true)
            {
                "Signed out of your other sessions".into()
            } else {
                "Signed out everywhere".into()
            }
        }
        other => {
            let label = other.label();
            let mut text = crate::error::capitalise(label);
            text.push_str(&by);
            text
        }
    }
}

/// "2 minutes ago", "3 hours ago", "5 days ago".
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds().max(0);
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} ago", plural(secs / 60, "minute", "minutes")),
        3600..=86_399 => format!("{} ago", plural(secs / 3600, "hour", "hours")),
        _ => format!("{} ago", plural(secs / 86_400, "day", "days")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, details: serde_json::Value) -> Event {
        Event {
            id: 1,
            at: Utc::now(),
            kind: kind.into(),
            actor_id: Some(1),
            actor_username: Some("alice".into()),
            subject_id: Some(1),
            subject_username: Some("alice".into()),
            client_address: Some("127.0.0.1".into()),
            request_id: None,
            details,
        }
    }

    #[test]
    fn events_read_as_sentences() {
        let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        let e = event(
            "sign_in",
            serde_json::json!({"user_agent": agent, "mfa": false}),
        );
        assert_eq!(sentence(&e), "Signed in from Firefox on Linux");
        let e = event("sign_in_failed", serde_json::json!({"count": 3}));
        assert_eq!(sentence(&e), "3 failed sign-ins");
        let mut e = event("user_disabled", serde_json::json!({}));
        e.actor_id = Some(2);
        e.actor_username = Some("root".into());
        assert_eq!(sentence(&e), "Account disabled by root");
        assert_eq!(
            sentence(&event("password_changed", serde_json::json!({}))),
            "Password changed"
        );
    }

    #[test]
    fn times_read_as_how_long_ago() {
        let now = Utc::now();
        assert_eq!(ago(now, now), "just now");
        assert_eq!(
            ago(now - chrono::Duration::seconds(125), now),
            "2 minutes ago"
        );
        assert_eq!(ago(now - chrono::Duration::hours(1), now), "1 hour ago");
        assert_eq!(ago(now - chrono::Duration::days(3), now), "3 days ago");
    }
}
