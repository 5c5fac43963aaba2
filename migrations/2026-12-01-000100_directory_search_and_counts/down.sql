DROP TRIGGER users_count_2_grams_truncate ON users;
DROP TRIGGER users_count_2_grams_delete ON users;
DROP TRIGGER users_count_2_grams_update ON users;
DROP TRIGGER users_count_2_grams_insert ON users;
DROP TRIGGER users_count_1_totals_truncate ON users;
DROP TRIGGER users_count_1_totals_delete ON users;
DROP TRIGGER users_count_1_totals_update ON users;
DROP TRIGGER users_count_1_totals_insert ON users;
DROP FUNCTION users_count_grams();
DROP FUNCTION users_count_totals();
DROP FUNCTION user_id_at(BIGINT);
DROP TABLE user_id_blocks;
DROP TABLE user_gram_counts;
DROP TABLE user_counts;
DROP INDEX users_username_grams;
DROP FUNCTION username_grams(text);
DROP INDEX users_username_trgm;
-- The extension goes too, unless something else uses it now or it is not ours to drop
-- (made by a superuser before this migration, say).
DO $$
BEGIN
    DROP EXTENSION IF EXISTS pg_trgm;
EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm kept: %', SQLERRM;
END
$$;
