-- The directory (`GET /users`) and the dashboard (`GET /admin`) at any number of users
-- (issue 10): no page view scans the table, and every total stays exact.
--
-- 1. Searches with a run of 3 letters or digits: a pg_trgm GIN index serves `username
--    ILIKE '%q%'` (pg_trgm folds case itself). pg_trgm is a trusted extension: a
--    database owner may create it without being a superuser.
-- 2. Searches of 1 or 2 characters, which have no trigram: `username_grams(username)`,
--    every 1- and 2-character substring of the lower-cased name, indexed with GIN, and
--    `user_gram_counts`, how many users contain each such substring (at most 39 + 39²
--    rows: usernames use 39 characters without regard to case). The index also narrows
--    longer searches that give pg_trgm nothing, such as `a.b` or `_-_`.
-- 3. `user_counts`: one row with the numbers the dashboard shows and the unfiltered
--    directory's total.
-- 4. `user_id_blocks`: how many users have an id in each run of 1024 ids, so that a
--    deep page (`OFFSET` 40 000, say) finds its first id by adding up a few hundred
--    block counts and skipping at most 1023 entries of the primary key, instead of
--    stepping over every earlier entry.
--
-- The counting tables are kept exact by statement-level AFTER triggers with transition
-- tables, in the same transaction as the change: one UPDATE per statement however many
-- rows it touches. Each insert or delete of users locks the `user_counts` row until it
-- commits, so sign-ups take turns for the moment between their INSERT and COMMIT (the
-- bcrypt hash, hundreds of milliseconds, comes before the transaction); updates that
-- change no role, disabled flag, id or name write none of these tables. Triggers fire
-- in name order, so a writer takes the `user_counts` row first, then block and gram
-- rows in sorted order: no two writers wait for each other in a cycle.
--
-- Building the indexes and filling the tables holds a SHARE ROW EXCLUSIVE lock on users
-- (reads go on; sign-ups, account changes and successful sign-ins, which write the
-- user row, wait) for the length of this migration: about 30 s at a million users on a small machine.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops)
    WITH (fastupdate = off);

-- Every 1- and 2-character substring of lower(name) (repeats and all; GIN and the
-- counting below take each once). One expression, so the planner inlines it: the
-- 1-character pieces, then the 2-character ones starting at odd and at even positions.
-- ',' cannot occur in a username; a search that contains it matches nobody either way.
CREATE FUNCTION username_grams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_remove(
        regexp_split_to_array(lower(name), '')
        || string_to_array(regexp_replace(lower(name), '(..)', '\1,', 'g'), ',')
        || string_to_array(regexp_replace(substr(lower(name), 2), '(..)', '\1,', 'g'), ','),
        '');

CREATE INDEX users_username_grams ON users USING gin (username_grams(username))
    WITH (fastupdate = off);

CREATE TABLE user_counts (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    users    BIGINT  NOT NULL CHECK (users >= 0),
    admins   BIGINT  NOT NULL CHECK (admins >= 0),
    disabled BIGINT  NOT NULL CHECK (disabled >= 0)
);
INSERT INTO user_counts (users, admins, disabled)
SELECT count(*), count(*) FILTER (WHERE role = 'admin'), count(*) FILTER (WHERE disabled)
FROM users;

-- Rows are updated in place over and over: leave room on each page for HOT updates.
CREATE TABLE user_gram_counts (
    gram  TEXT   PRIMARY KEY,
    users BIGINT NOT NULL
) WITH (fillfactor = 50);
INSERT INTO user_gram_counts (gram, users)
SELECT g, count(DISTINCT u.id) FROM users u, unnest(username_grams(u.username)) AS g GROUP BY g;

CREATE TABLE user_id_blocks (
    block BIGINT PRIMARY KEY, -- id >> 10
    users BIGINT NOT NULL
) WITH (fillfactor = 50);
INSERT INTO user_id_blocks (block, users)
SELECT id >> 10, count(*) FROM users GROUP BY 1;

-- The id of the user at `n` (from 0) in id order, or NULL past the end: the block
-- counts give the block it lies in, the primary key the entry within the block. STABLE,
-- so it reads with the calling statement's snapshot (consistent with the rows that
-- statement returns); plpgsql keeps both plans for the session.
CREATE FUNCTION user_id_at(n BIGINT) RETURNS BIGINT
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
    found_block BIGINT;
    skip        BIGINT;
    found_id    BIGINT;
BEGIN
    IF n < 1024 THEN -- the first pages: fewer entries to step over than there are blocks
        SELECT id INTO found_id FROM users ORDER BY id OFFSET n LIMIT 1;
        RETURN found_id;
    END IF;
    SELECT block, n - (upto - users) INTO found_block, skip
    FROM (
        SELECT block, users, (sum(users) OVER (ORDER BY block))::BIGINT AS upto
        FROM user_id_blocks
    ) AS b
    WHERE upto > n
    ORDER BY block
    LIMIT 1;
    IF found_block IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT id INTO found_id FROM users WHERE id >= found_block << 10 ORDER BY id OFFSET skip LIMIT 1;
    RETURN found_id;
END
$$;

-- `user_counts` and `user_id_blocks`.
CREATE FUNCTION users_count_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d_users    BIGINT := 0;
    d_admins   BIGINT := 0;
    d_disabled BIGINT := 0;
    n_users    BIGINT;
    n_admins   BIGINT;
    n_disabled BIGINT;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE user_counts SET users = 0, admins = 0, disabled = 0;
        DELETE FROM user_id_blocks;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT count(*), count(*) FILTER (WHERE role = 'admin'), count(*) FILTER (WHERE disabled)
        INTO n_users, n_admins, n_disabled FROM new_rows;
        d_users := n_users;
        d_admins := n_admins;
        d_disabled := n_disabled;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT count(*), count(*) FILTER (WHERE role = 'admin'), count(*) FILTER (WHERE disabled)
        INTO n_users, n_admins, n_disabled FROM old_rows;
        d_users := d_users - n_users;
        d_admins := d_admins - n_admins;
        d_disabled := d_disabled - n_disabled;
    END IF;
    IF d_users <> 0 OR d_admins <> 0 OR d_disabled <> 0 THEN
        UPDATE user_counts
        SET users = users + d_users, admins = admins + d_admins, disabled = disabled + d_disabled;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_id_blocks AS b (block, users)
        SELECT id >> 10, count(*) FROM new_rows GROUP BY 1 ORDER BY 1
        ON CONFLICT (block) DO UPDATE SET users = b.users + excluded.users;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO user_id_blocks AS b (block, users)
        SELECT id >> 10, -count(*) FROM old_rows GROUP BY 1 ORDER BY 1
        ON CONFLICT (block) DO UPDATE SET users = b.users + excluded.users;
    ELSIF EXISTS (SELECT 1 FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL)
    THEN -- an UPDATE of ids
        INSERT INTO user_id_blocks AS b (block, users)
        SELECT block, sum(delta)
        FROM (
            SELECT id >> 10 AS block, 1 AS delta FROM new_rows
            UNION ALL
            SELECT id >> 10, -1 FROM old_rows
        ) AS x
        GROUP BY block HAVING sum(delta) <> 0 ORDER BY block
        ON CONFLICT (block) DO UPDATE SET users = b.users + excluded.users;
    END IF;
    RETURN NULL;
END
$$;

-- Adds 1 (new rows) or -1 (old rows) for every distinct gram of every name in the
-- statement's rows, taking the gram rows in sorted order.
CREATE FUNCTION users_count_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM user_gram_counts;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_gram_counts AS c (gram, users)
        SELECT g, count(DISTINCT n.id) FROM new_rows n, unnest(username_grams(n.username)) AS g
        GROUP BY g ORDER BY g
        ON CONFLICT (gram) DO UPDATE SET users = c.users + excluded.users;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO user_gram_counts AS c (gram, users)
        SELECT g, -count(DISTINCT o.id) FROM old_rows o, unnest(username_grams(o.username)) AS g
        GROUP BY g ORDER BY g
        ON CONFLICT (gram) DO UPDATE SET users = c.users + excluded.users;
    ELSIF EXISTS (
        SELECT 1 FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id
        WHERE o.id IS NULL OR o.username IS DISTINCT FROM n.username
    ) THEN -- an UPDATE that renamed someone (the usual ones change role, password, ...)
        INSERT INTO user_gram_counts AS c (gram, users)
        SELECT g, sum(delta)
        FROM (
            SELECT g, count(DISTINCT n.id) AS delta
            FROM new_rows n, unnest(username_grams(n.username)) AS g GROUP BY g
            UNION ALL
            SELECT g, -count(DISTINCT o.id)
            FROM old_rows o, unnest(username_grams(o.username)) AS g GROUP BY g
        ) AS x
        GROUP BY g HAVING sum(delta) <> 0 ORDER BY g
        ON CONFLICT (gram) DO UPDATE SET users = c.users + excluded.users;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_count_1_totals_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION users_count_totals();
CREATE TRIGGER users_count_1_totals_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_totals();
CREATE TRIGGER users_count_1_totals_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION users_count_totals();
CREATE TRIGGER users_count_1_totals_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_totals();

CREATE TRIGGER users_count_2_grams_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION users_count_grams();
CREATE TRIGGER users_count_2_grams_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_grams();
CREATE TRIGGER users_count_2_grams_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION users_count_grams();
CREATE TRIGGER users_count_2_grams_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_grams();
