//! The `login_failures` table: one row per failed sign-in, and one `pending` row per
//! sign-in whose password is being checked right now.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::login_failures;

/// Serialises attempts on one key (username or address) until the transaction ends.
pub fn lock(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(key)
        .execute(conn)
        .map(|_| ())
}

/// The rows of one key newer than `since`: recorded failures (oldest first), and how
/// many checks are in flight. A pending row older than `stale` belongs to a check that
/// never finished (its instance died) and counts as a failure.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recent {
    pub failures: Vec<DateTime<Utc>>,
    pub in_flight: usize,
}

fn recent(rows: Vec<(DateTime<Utc>, bool)>, stale: DateTime<Utc>) -> Recent {
    let mut recent = Recent::default();
    for (at, pending) in rows {
        if pending && at >= stale {
            recent.in_flight += 1;
        } else {
            recent.failures.push(at);
        }
    }
    recent
}

pub fn recent_for_username(
    conn: &mut PgConnection,
    username_key: &str,
    since: DateTime<Utc>,
    stale: DateTime<Utc>,
) -> QueryResult<Recent> {
    let rows = login_failures::table
        .filter(login_failures::username_key.eq(username_key))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.asc())
        .select((login_failures::failed_at, login_failures::pending))
        .load(conn)?;
    Ok(recent(rows, stale))
}

pub fn recent_for_address(
    conn: &mut PgConnection,
    address: &str,
    since: DateTime<Utc>,
    stale: DateTime<Utc>,
) -> QueryResult<Recent> {
    let rows = login_failures::table
        .filter(login_failures::client_address.eq(address))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.asc())
        .select((login_failures::failed_at, login_failures::pending))
        .load(conn)?;
    Ok(recent(rows, stale))
}

/// Keys (usernames when `by_username`, else addresses) with at least `limit` recorded
/// failures since `since`, each with its failure times, oldest first. A pending row
/// older than `stale` counts as a failure, as it does for the limits.
pub fn over_limit(
    conn: &mut PgConnection,
    by_username: bool,
    since: DateTime<Utc>,
    stale: DateTime<Utc>,
    limit: u32,
) -> QueryResult<Vec<(String, Vec<DateTime<Utc>>)>> {
    let column = if by_username {
        "username_key"
    } else {
        "client_address"
    };
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key: String,
        #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Timestamptz>)]
        failures: Vec<DateTime<Utc>>,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT {column} AS key, array_agg(failed_at ORDER BY failed_at) AS failures \
         FROM login_failures WHERE (NOT pending OR failed_at < $3) AND failed_at > $1 \
         AND {column} <> '' \
         GROUP BY {column} HAVING count(*) >= $2 ORDER BY {column} LIMIT 1000"
    ))
    .bind::<diesel::sql_types::Timestamptz, _>(since)
    .bind::<diesel::sql_types::BigInt, _>(i64::from(limit))
    .bind::<diesel::sql_types::Timestamptz, _>(stale)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.key, r.failures)).collect())
}

/// An admin ends a username's lock: its recorded failures go (with the pending rows
/// older than `stale`, which count as failures).
pub fn clear_username(
    conn: &mut PgConnection,
    username_key: &str,
    stale: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::username_key.eq(username_key))
            .filter(
                login_failures::pending
                    .eq(false)
                    .or(login_failures::failed_at.lt(stale)),
            ),
    )
    .execute(conn)
}

/// An admin ends an address's lock.
pub fn clear_address(
    conn: &mut PgConnection,
    address: &str,
    stale: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::client_address.eq(address))
            .filter(
                login_failures::pending
                    .eq(false)
                    .or(login_failures::failed_at.lt(stale)),
            ),
    )
    .execute(conn)
}

/// A pending row for a check that starts now.
pub fn insert_pending(
    conn: &mut PgConnection,
    username_key: &str,
    address: &str,
) -> QueryResult<i64> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::username_key.eq(username_key),
            login_failures::client_address.eq(address),
            login_failures::pending.eq(true),
        ))
        .returning(login_failures::id)
        .get_result(conn)
}

/// The check found a wrong password: the pending row becomes a failure, dated now.
pub fn record_failure(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(login_failures::table.find(id))
        .set((
            login_failures::pending.eq(false),
            login_failures::failed_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The check ended without a failure: its pending row goes.
pub fn release(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// After a successful sign-in the username's failures are forgiven (the address's are not).
pub fn forgive_username(conn: &mut PgConnection, username_key: &str) -> QueryResult<()> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::username_key.eq(username_key))
            .filter(login_failures::pending.eq(false)),
    )
    .execute(conn)
    .map(|_| ())
}

/// Drops rows older than the window, to keep the table small.
pub fn purge_before(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}
