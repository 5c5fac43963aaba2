//! The `revoked_tokens` denylist: single tokens revoked before their `exp`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::revoked_tokens;

/// Denylists `jti` until `until` (the token's `exp` plus the leeway: tokens are
/// accepted that long), and purges entries past theirs.
pub fn deny(conn: &mut PgConnection, jti: Uuid, until: DateTime<Utc>) -> QueryResult<()> {
    purge_expired(conn)?;
    diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(jti),
            revoked_tokens::expires_at.eq(until),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|_| ())
}

/// Drops entries whose token is no longer accepted anyway.
pub fn purge_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(diesel::dsl::now)))
        .execute(conn)
}
