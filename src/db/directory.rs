//! The directory: pages of users, searched by a substring of their name, with exact
//! totals, and the admin dashboard's counts — read at any size without scanning the
//! `users` table (migrations `2026-12-01-000100_directory_search_and_counts`,
//! `2026-12-06-000300_three_character_search` and
//! `2026-12-06-000400_trigram_index_by_id_block`).

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::{user_counts, user_gram_counts, users};
use super::users::{User, lower};

/// One page of the directory: users whose name contains `q` (literally, without regard
/// to case), ordered by id, and how many match in all (exact).
///
/// Every kind of `q` has a total that needs no scan of the table and a page that reads
/// few rows (migrations `2026-12-01-000100_directory_search_and_counts`,
/// `2026-12-06-000300_three_character_search` and
/// `2026-12-06-000400_trigram_index_by_id_block`):
///
/// - empty: the total is `user_counts.users`; the page starts at the id that the SQL
///   function `user_id_at(offset)` finds from `user_id_blocks` and at most 1023 entries
///   of the primary key, however deep the page is.
/// - 1 to 3 characters: the total is a row of `user_gram_counts`.
/// - longer, with a run of 3 letters or digits: counted with `ILIKE` through the pg_trgm
///   index.
/// - longer, without (such as `a.b.c`, of which pg_trgm makes no trigram): counted
///   through the GIN index of every name's 1- and 2-character substrings.
///
/// A search's page is then read one of two ways, chosen with the exact numbers rather
/// than the planner's guess of how many names match: walking the primary key until
/// `offset + limit` matches have passed (about `(offset + limit) × users / total` rows),
/// or taking every match from an index and sorting them (`total` rows), whichever
/// costs less. Before taking every match of a pg_trgm search, the page is looked for
/// among the matches in the first blocks of 1024 ids only (`first_blocks_end`), which
/// that index narrows to by itself. A page past the end costs no page query at all.
pub fn page(
    conn: &mut PgConnection,
    q: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let search = Search::of(q);
    let total = search.total(conn)?;
    if offset >= total || limit <= 0 {
        return Ok((Vec::new(), total));
    }
    let items = match search {
        Search::All => users::table
            // A subquery, so that PostgreSQL calls it once, when the statement runs (a
            // plain call would also be made by the planner, to estimate the rows).
            .filter(
                users::id
                    .nullable()
                    .ge(sql::<Nullable<BigInt>>("(SELECT user_id_at(")
                        .bind::<BigInt, _>(offset)
                        .sql("))")),
            )
            .order(users::id.asc())
            .limit(limit)
            .select(User::as_select())
            .load(conn)?,
        Search::Trigrams(q) | Search::Grams(q) => {
            let everyone: i64 = user_counts::table.select(user_counts::users).first(conn)?;
            let walk = walk_primary_key(total, offset, limit, everyone);
            if let (Search::Trigrams(q), false) = (search, walk)
                && let Some(position) = first_blocks_end(total, offset, limit, everyone)
            {
                let items: Vec<User> = diesel::sql_query(matches_first(TRIGRAMS_IN_FIRST_BLOCKS))
                    .bind::<Text, _>(like_pattern(q))
                    .bind::<BigInt, _>(offset)
                    .bind::<BigInt, _>(limit)
                    .bind::<BigInt, _>(position)
                    .load(conn)?;
                // The blocks are a prefix in id order and one statement sees one
                // snapshot: if they hold a full page, it is the page (whatever `total`,
                // read earlier, says). Otherwise (the matches bunch up later on) take
                // every match.
                if items.len() as i64 == limit {
                    return Ok((items, total));
                }
            }
            let (sql, pattern) = if walk {
                (
                    format!("{SELECT_USERS} WHERE {SUBSTRING} {PAGE}"),
                    q.to_string(),
                )
            } else if let Search::Trigrams(q) = search {
                (matches_first(TRIGRAMS), like_pattern(q))
            } else {
                (matches_first(GRAMS), q.to_string())
            };
            diesel::sql_query(sql)
                .bind::<Text, _>(pattern)
                .bind::<BigInt, _>(offset)
                .bind::<BigInt, _>(limit)
                .load(conn)?
        }
    };
    Ok((items, total))
}

/// Which index answers a directory search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search<'a> {
    All,
    Trigrams(&'a str),
    Grams(&'a str),
}

impl<'a> Search<'a> {
    fn of(q: &'a str) -> Self {
        if q.is_empty() {
            return Search::All;
        }
        // pg_trgm makes trigrams of runs of letters and digits ("words"); a `q` without
        // a run of 3 gives it nothing to look up.
        let mut run = 0;
        for c in q.chars() {
            run = if c.is_alphanumeric() { run + 1 } else { 0 };
            if run >= 3 {
                return Search::Trigrams(q);
            }
        }
        Search::Grams(q)
    }

    /// How many users match, exactly.
    fn total(self, conn: &mut PgConnection) -> QueryResult<i64> {
        match self {
            Search::All => user_counts::table.select(user_counts::users).first(conn),
            Search::Trigrams(q) | Search::Grams(q) if q.chars().count() <= 3 => {
                Ok(user_gram_counts::table
                    .filter(user_gram_counts::gram.eq(lower(q)))
                    .select(user_gram_counts::users)
                    .first(conn)
                    .optional()?
                    .unwrap_or(0))
            }
            Search::Trigrams(q) => Ok(diesel::sql_query(format!("{COUNT_USERS} WHERE {TRIGRAMS}"))
                .bind::<Text, _>(like_pattern(q))
                .get_result::<Total>(conn)?
                .total),
            Search::Grams(q) => Ok(diesel::sql_query(format!("{COUNT_USERS} WHERE {GRAMS}"))
                .bind::<Text, _>(q)
                .get_result::<Total>(conn)?
                .total),
        }
    }
}

/// Whether walking the primary key costs less than taking all `total` matches from an
/// index. Walking reads about `(offset + limit) × everyone / total` rows when the matches
/// are spread evenly, each a step along the primary key and one `strpos`; taking the
/// matches costs a bitmap heap visit and an `ILIKE` re-check for each of `total` rows,
/// several times as much a row (measured at 1 000 000 users: 16 000 rows walked in
/// 6.3 ms, 2 165 matches taken in 6 ms; matches cluster, so walks run long): 4 times.
fn walk_primary_key(total: i64, offset: i64, limit: i64, everyone: i64) -> bool {
    let (total, wanted, everyone) = (
        i128::from(total),
        i128::from(offset) + i128::from(limit),
        i128::from(everyone),
    );
    total.saturating_mul(total).saturating_mul(4) > wanted * everyone
}

/// Where the page of a search that takes its matches from the pg_trgm index may look
/// first: the position (in id order, among everyone) that `offset + limit` matches lie
/// before four times over when they are spread evenly; `None` past half of everyone,
/// where a miss (matches bunched later on) would cost more than half a second pass.
/// The page then takes only the matches in the blocks of 1024 ids up to that position's
/// block, an `AND` the index answers itself (migration
/// `2026-12-06-000400_trigram_index_by_id_block`): a few dozen rows instead of all
/// matches.
fn first_blocks_end(total: i64, offset: i64, limit: i64, everyone: i64) -> Option<i64> {
    let wanted = i128::from(offset) + i128::from(limit);
    let position = wanted
        .saturating_mul(4)
        .saturating_mul(i128::from(everyone))
        / i128::from(total.max(1));
    i64::try_from(position)
        .ok()
        .filter(|p| p.saturating_mul(2) < everyone)
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

// The searches run as SQL text, which Diesel does not cache: PostgreSQL plans each with
// the actual pattern instead of settling on one generic plan for all of them.
const SELECT_USERS: &str = "SELECT id, username, display_name, password_hash, role, disabled, \
                            created_at, updated_at, two_factor, last_sign_in_at FROM users";
const COUNT_USERS: &str = "SELECT count(*) AS total FROM users";
const PAGE: &str = "ORDER BY id OFFSET $2 LIMIT $3";
/// `$1` is `like_pattern(q)`: the pg_trgm index.
const TRIGRAMS: &str = "username ILIKE $1";
/// The same among the blocks of 1024 ids up to the one of the user at position `$4`
/// (`first_blocks_end`): both conditions go to the one GIN index.
const TRIGRAMS_IN_FIRST_BLOCKS: &str =
    "username ILIKE $1 AND (id >> 10) <= (SELECT user_id_at($4) >> 10)";
/// `$1` is `q`: the substrings index narrows, `strpos` decides.
const GRAMS: &str =
    "strpos(lower(username), lower($1)) > 0 AND username_grams(username) @> username_grams($1)";
/// `$1` is `q`: no index can serve it, so the plan walks the primary key in order. Means
/// the same as `ILIKE` with the pattern escaped (which lower-cases both sides in a UTF-8
/// database) and is cheaper.
const SUBSTRING: &str = "strpos(lower(username), lower($1)) > 0";

/// Every match's id through the index, sorted, then the page's rows by primary key: the
/// CTE keeps the planner from walking the primary key instead, and holds ids only (a
/// third cheaper than carrying every match's whole row to the sort).
fn matches_first(filter: &str) -> String {
    format!(
        "WITH matches AS MATERIALIZED (SELECT id FROM users WHERE {filter}) \
         {SELECT_USERS} WHERE id IN (SELECT id FROM matches {PAGE}) ORDER BY id"
    )
}

/// `%q%` with `q` matching itself.
fn like_pattern(q: &str) -> String {
    format!("%{}%", escape_like(q))
}

/// `q` as a LIKE pattern that matches itself: `%`, `_` and `\` lose their meaning
/// (backslash is PostgreSQL's default LIKE escape).
pub fn escape_like(q: &str) -> String {
    let mut escaped = String::with_capacity(q.len());
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The admin dashboard's numbers; also `GET /admin`'s JSON as they are (no secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub users: i64,
    pub admins: i64,
    pub disabled: i64,
}

/// The dashboard's numbers, from the one row that triggers keep exact in the same
/// transaction as every change to `users` (no scan of the table).
pub fn counts(conn: &mut PgConnection) -> QueryResult<Counts> {
    let (users, admins, disabled) = user_counts::table
        .select((
            user_counts::users,
            user_counts::admins,
            user_counts::disabled,
        ))
        .first(conn)?;
    Ok(Counts {
        users,
        admins,
        disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::{Search, escape_like, first_blocks_end, walk_primary_key};

    #[test]
    fn each_q_goes_to_the_index_that_can_answer_it() {
        assert_eq!(Search::of(""), Search::All);
        for q in ["a", "ab", "a_", "__", "a.b", "_-_", "ab.cd", "a%b", "1-2-3"] {
            assert_eq!(Search::of(q), Search::Grams(q), "{q}");
        }
        for q in ["abc", "x_abc", "ench_fil", "ALPHA.two", "123"] {
            assert_eq!(Search::of(q), Search::Trigrams(q), "{q}");
        }
    }

    #[test]
    fn a_page_walks_the_primary_key_only_when_matches_are_dense() {
        // 1 000 000 users, page 1 of 20: walking reads 20 000 000 / total rows.
        assert!(walk_primary_key(570_000, 0, 20, 1_000_000));
        assert!(walk_primary_key(10_000, 0, 20, 1_000_000));
        assert!(walk_primary_key(4_000, 0, 20, 1_000_000));
        assert!(!walk_primary_key(154, 0, 20, 1_000_000));
        assert!(!walk_primary_key(2_165, 0, 20, 1_000_000));
        // Deep pages of a search favour taking the matches.
        assert!(!walk_primary_key(10_000, 9_980, 20, 1_000_000));
        // No overflow at the extremes (when everyone matches, walking reads no more rows).
        assert!(walk_primary_key(i64::MAX, i64::MAX, 100, i64::MAX));
        assert!(walk_primary_key(i64::MAX, 0, 1, i64::MAX));
        assert!(!walk_primary_key(1, i64::MAX, 100, i64::MAX));
    }

    #[test]
    fn a_page_of_matches_looks_in_the_first_blocks_while_they_are_not_everyone() {
        // 2 165 of 1 000 000 match: page 1 looks among the first 36 951 users.
        assert_eq!(first_blocks_end(2_165, 0, 20, 1_000_000), Some(36_951));
        assert_eq!(first_blocks_end(2_165, 240, 20, 1_000_000), Some(480_369));
        assert_eq!(first_blocks_end(2_165, 280, 20, 1_000_000), None);
        assert_eq!(first_blocks_end(3, 0, 20, 1_000), None);
        assert_eq!(first_blocks_end(i64::MAX, i64::MAX, 100, i64::MAX), None);
        assert_eq!(first_blocks_end(0, 0, 20, 10), None);
    }

    #[test]
    fn like_metacharacters_match_themselves() {
        assert_eq!(escape_like("a_b"), "a\\_b");
        assert_eq!(escape_like("50%"), "50\\%");
        assert_eq!(escape_like("a\\b"), "a\\\\b");
        assert_eq!(escape_like("o'neil; drop"), "o'neil; drop");
    }
}
