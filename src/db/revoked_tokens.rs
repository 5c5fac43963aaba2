//! The `revoked_tokens` denylist: single tokens revoked before their `exp`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::revoked_tokens;

/// Denylists `jti` until `expires_at`, and purges entries whose token has expired anyway.
pub fn deny(conn: &mut PgConnection, jti: Uuid, expires_at: DateTime<Utc>) -> QueryResult<()> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(diesel::dsl::now)))
        .execute(conn)?;
    diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(jti),
            revoked_tokens::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|_| ())
}
