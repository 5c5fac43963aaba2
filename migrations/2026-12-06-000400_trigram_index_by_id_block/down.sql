CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops)
    WITH (fastupdate = off);
DROP INDEX users_username_trgm_block;
-- Unless something else uses it now or it is not ours to drop. (A database that had
-- btree_gin before the up migration loses it here too: nothing records who made it.)
DO $$
BEGIN
    DROP EXTENSION IF EXISTS btree_gin;
EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
    RAISE NOTICE 'btree_gin kept: %', SQLERRM;
END
$$;
