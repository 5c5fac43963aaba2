-- Searches of 3 characters at a million users (issue 10): `q=abc` matched 0.2 % of the
-- names, and its exact total cost a pass over those 2 000 rows through the pg_trgm
-- index. Now `user_gram_counts` also counts every 3-character substring (at most 39³
-- rows), kept by the same statement-level trigger: a search of up to 3 characters has
-- its total in one row.
--
-- Filling the counts holds a SHARE ROW EXCLUSIVE lock on users (reads go on; sign-ups,
-- account changes and successful sign-ins, which write the user row, wait): about 15 s
-- at a million users on a small machine.

LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

-- Every 3-character substring of lower(name), repeats and all.
CREATE FUNCTION username_trigrams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT substr(lower(name), i, 3) FROM generate_series(1, length(name) - 2) AS i);

INSERT INTO user_gram_counts (gram, users)
SELECT g, count(DISTINCT u.id) FROM users u, unnest(username_trigrams(u.username)) AS g GROUP BY g;

-- As before (migration 2026-12-01-000100), with the 3-character substrings added.
CREATE OR REPLACE FUNCTION users_count_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM user_gram_counts;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_gram_counts AS c (gram, users)
        SELECT g, count(DISTINCT n.id)
        FROM new_rows n, unnest(username_grams(n.username) || username_trigrams(n.username)) AS g
        GROUP BY g ORDER BY g
        ON CONFLICT (gram) DO UPDATE SET users = c.users + excluded.users;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO user_gram_counts AS c (gram, users)
        SELECT g, -count(DISTINCT o.id)
        FROM old_rows o, unnest(username_grams(o.username) || username_trigrams(o.username)) AS g
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
            FROM new_rows n, unnest(username_grams(n.username) || username_trigrams(n.username)) AS g
            GROUP BY g
            UNION ALL
            SELECT g, -count(DISTINCT o.id)
            FROM old_rows o, unnest(username_grams(o.username) || username_trigrams(o.username)) AS g
            GROUP BY g
        ) AS x
        GROUP BY g HAVING sum(delta) <> 0 ORDER BY g
        ON CONFLICT (gram) DO UPDATE SET users = c.users + excluded.users;
    END IF;
    RETURN NULL;
END
$$;
