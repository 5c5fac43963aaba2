-- The first page of a common search at a million users (issue 10): `q=abc` matches 0.2 %
-- of the names, scattered over the table, and a GIN index knows no id order, so the
-- 20 lowest ids among its 2 000 matches cost a heap visit per match.
--
-- The pg_trgm index now also holds each user's block of 1024 ids (`id >> 10`, through
-- btree_gin, a trusted extension like pg_trgm), so that "matches among the first few
-- blocks" is answered inside the index: the page looks there first and visits a few
-- dozen rows (`db::directory::page`). It replaces the plain pg_trgm index, which the planner
-- would otherwise prefer even for the search bounded to the first blocks.
--
-- Building it holds a SHARE lock on users (reads go on; sign-ups, account changes and
-- successful sign-ins, which write the user row, wait): about 30 s at a million users on
-- a small machine.

CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX users_username_trgm_block ON users
    USING gin (username gin_trgm_ops, (id >> 10)) WITH (fastupdate = off);
DROP INDEX users_username_trgm;
