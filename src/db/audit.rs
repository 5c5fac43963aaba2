//! The `audit_events` table (contract §9): recording an event inside the caller's
//! transaction, the aggregated failure rows, pages for `/admin/audit` and
//! `/me/activity`, and the retention sweep.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{audit_counts, audit_events};

/// An event about to be recorded. Usernames are kept as they were, beside the ids.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewEvent {
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub subject_id: Option<i64>,
    pub subject_username: Option<String>,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

/// Records `event`; call it in the transaction of the change it describes.
pub fn record(conn: &mut PgConnection, event: &NewEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// Records `event` as one more of its kind in the row named `aggregate` (its
/// `details.count` goes up by one), or starts that row.
pub fn record_aggregated(
    conn: &mut PgConnection,
    event: &NewEvent,
    aggregate: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO audit_events \
           (kind, subject_id, subject_username, client_address, request_id, details, aggregate) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (aggregate) WHERE aggregate IS NOT NULL DO UPDATE SET \
           details = jsonb_set(audit_events.details, '{count}', \
             to_jsonb(coalesce((audit_events.details->>'count')::bigint, 1) + 1)), \
           request_id = EXCLUDED.request_id",
    )
    .bind::<diesel::sql_types::Text, _>(&event.kind)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, _>(event.subject_id)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(&event.subject_username)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(&event.client_address)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(&event.request_id)
    .bind::<diesel::sql_types::Jsonb, _>(&event.details)
    .bind::<diesel::sql_types::Text, _>(aggregate)
    .execute(conn)
    .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg))]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub subject_id: Option<i64>,
    pub subject_username: Option<String>,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

/// Which events a page shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    /// Events this user did or that were about them.
    pub user_id: Option<i64>,
    /// Events about this user only (`/me/activity`).
    pub subject_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

fn filtered(filter: &Filter) -> audit_events::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = audit_events::table.into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(audit_events::kind.eq(kind.clone()));
    }
    if let Some(id) = filter.user_id {
        query = query.filter(
            audit_events::subject_id
                .eq(id)
                .or(audit_events::actor_id.eq(id)),
        );
    }
    if let Some(id) = filter.subject_id {
        query = query.filter(audit_events::subject_id.eq(id));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::at.lt(until));
    }
    query
}

/// One page of events, newest first, and how many match in all (exact). Without a
/// filter, or with `kind` alone, the total is read from `audit_counts`; the other
/// filters count through their indexes (as many rows as match).
pub fn page(
    conn: &mut PgConnection,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Event>, i64)> {
    let items = filtered(filter)
        .order(audit_events::id.desc())
        .offset(offset)
        .limit(limit)
        .select(Event::as_select())
        .load(conn)?;
    let only_kind = filter.user_id.is_none()
        && filter.subject_id.is_none()
        && filter.since.is_none()
        && filter.until.is_none();
    let total = if only_kind {
        let sum = diesel::dsl::sql::<diesel::sql_types::BigInt>("coalesce(sum(events), 0)::bigint");
        match &filter.kind {
            Some(kind) => audit_counts::table
                .filter(audit_counts::kind.eq(kind.clone()))
                .select(sum)
                .first(conn)?,
            None => audit_counts::table.select(sum).first(conn)?,
        }
    } else {
        filtered(filter).count().get_result(conn)?
    };
    Ok((items, total))
}

/// Deletes events older than `before` (the retention sweep); returns how many.
pub fn purge_before(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(audit_events::table.filter(audit_events::at.lt(before))).execute(conn)
}
