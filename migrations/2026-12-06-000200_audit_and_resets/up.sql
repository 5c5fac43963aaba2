-- The audit log (contract §9): one row per security event, written in the transaction
-- of the change it records. Users are kept by id *and* by the username they had then,
-- without a foreign key, so the history outlives a deleted account.
--
-- Failed and throttled sign-ins are aggregated: one row per (kind, username, address,
-- 5-minute bucket) with a count, so a password spray adds rows by the bucket, not by
-- the guess (`aggregate` names the row; the unique index makes the upsert exact).
CREATE TABLE audit_events (
    id               BIGSERIAL   PRIMARY KEY,
    at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind             TEXT        NOT NULL,
    actor_id         BIGINT,
    actor_username   TEXT,
    subject_id       BIGINT,
    subject_username TEXT,
    client_address   TEXT,
    request_id       TEXT,
    details          JSONB       NOT NULL DEFAULT '{}'::jsonb,
    aggregate        TEXT
);
-- Newest first, filtered by kind, by user (actor or subject) or by time: each filter
-- has an index that yields rows in id order, so a page reads about as many rows as it
-- shows, and `at` rises with `id`.
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_kind ON audit_events (kind, id);
CREATE INDEX audit_events_subject ON audit_events (subject_id, id) WHERE subject_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_id, id) WHERE actor_id IS NOT NULL;
CREATE UNIQUE INDEX audit_events_aggregate ON audit_events (aggregate) WHERE aggregate IS NOT NULL;

-- When each user last signed in (the admin table shows it).
ALTER TABLE users ADD COLUMN last_sign_in_at TIMESTAMPTZ;

-- One-time password-reset links (contract §9), stored as the SHA-256 of their token.
CREATE TABLE password_resets (
    token_hash BYTEA       PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_expires_at ON password_resets (expires_at);

-- Exact totals for the audit page without counting the table: rows per kind, kept by
-- statement-level triggers (one UPDATE per kind a statement touched), like user_counts.
CREATE TABLE audit_counts (
    kind   TEXT   PRIMARY KEY,
    events BIGINT NOT NULL
);

CREATE FUNCTION audit_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_counts AS c (kind, events)
    SELECT kind, count(*) FROM new_rows GROUP BY kind
    ON CONFLICT (kind) DO UPDATE SET events = c.events + EXCLUDED.events;
    RETURN NULL;
END $$;

CREATE FUNCTION audit_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_counts c SET events = c.events - gone.n
    FROM (SELECT kind, count(*) AS n FROM old_rows GROUP BY kind) gone
    WHERE c.kind = gone.kind;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_counts_add();
CREATE TRIGGER audit_counts_delete AFTER DELETE ON audit_events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_counts_remove();
