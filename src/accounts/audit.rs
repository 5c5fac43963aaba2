//! The audit log's use cases (contract §9): the events each change records (built
//! here, written by the change's own transaction through `db::audit`), the pages of
//! `/admin/audit` and `/me/activity`, and the retention sweep.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::accounts::{Accounts, Client};
use crate::db::audit::{self as rows, Event, Filter, NewEvent};
use crate::db::users::User;
use crate::domain::EventKind;
use crate::error::AppError;

/// Failed and throttled sign-ins share a row per username, address and this many
/// seconds.
const AGGREGATE_SECS: i64 = 300;

/// An event of `kind` that `actor` did to `subject` (either may be absent), from
/// `client`'s address in its request.
pub(crate) fn event(
    kind: EventKind,
    actor: Option<&User>,
    subject: Option<&User>,
    client: &Client,
) -> NewEvent {
    NewEvent {
        kind: kind.as_str().to_string(),
        actor_id: actor.map(|u| u.id),
        actor_username: actor.map(|u| u.username.clone()),
        subject_id: subject.map(|u| u.id),
        subject_username: subject.map(|u| u.username.clone()),
        client_address: Some(client.address.clone()).filter(|a| !a.is_empty()),
        request_id: Some(client.request_id.clone()).filter(|r| !r.is_empty()),
        details: json!({}),
    }
}

/// A user's own doing (signing in, changing their password, ...).
pub(crate) fn own(kind: EventKind, user: &User, client: &Client) -> NewEvent {
    event(kind, Some(user), Some(user), client)
}

/// Counts one more failed (or throttled) sign-in for `username_key` from `address` in
/// the current five minutes, inside the caller's transaction. The subject is the user
/// of that name when there is one; the name itself is kept only when it is one (a
/// guessed name that no account has is not recorded).
/// `stage` says what was wrong (`password` or `code`: a right password with a wrong
/// code is how a leaked password shows), or is empty for throttled sign-ins.
pub(crate) fn count_failure(
    conn: &mut PgConnection,
    kind: EventKind,
    stage: &str,
    username_key: &str,
    client: &Client,
) -> QueryResult<()> {
    let user = if username_key.is_empty() {
        None
    } else {
        User::find_by_username(conn, username_key)?
    };
    let mut event = event(kind, None, user.as_ref(), client);
    event.details = if stage.is_empty() {
        json!({"count": 1})
    } else {
        json!({"count": 1, "stage": stage})
    };
    let bucket = Utc::now().timestamp().div_euclid(AGGREGATE_SECS);
    let aggregate = format!(
        "{kind}|{stage}|{}|{}|{bucket}",
        user.as_ref().map_or(0, |u| u.id),
        crate::http::client_addr::limit_key(&client.address)
    );
    rows::record_aggregated(conn, &event, &aggregate)
}

impl Accounts {
    /// A page of events, newest first, with the exact total.
    pub async fn audit_page(
        &self,
        filter: Filter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Event>, i64), AppError> {
        self.db(move |conn| Ok(rows::page(conn, &filter, offset, limit)?))
            .await
    }

    /// The id of the user a filter names: an id, or an existing username.
    pub async fn user_id_for_filter(&self, user: &str) -> Result<Option<i64>, AppError> {
        if let Ok(id) = user.parse::<i64>() {
            return Ok(Some(id));
        }
        let name = user.to_string();
        self.db(move |conn| Ok(User::find_by_username(conn, &name)?.map(|u| u.id)))
            .await
    }

    /// Events older than `audit.retention_days` go (part of the periodic sweep).
    pub(crate) fn purge_old_events(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> QueryResult<usize> {
        let days = i64::from(self.audit_retention_days.max(1));
        rows::purge_before(conn, now - chrono::Duration::days(days))
    }
}
