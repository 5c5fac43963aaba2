LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

CREATE OR REPLACE FUNCTION users_count_grams() RETURNS trigger LANGUAGE plpgsql AS $$
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

DELETE FROM user_gram_counts WHERE length(gram) = 3;
DROP FUNCTION username_trigrams(text);
