-- Sessions end when their newest token has expired (contract §4): each session keeps
-- the expiry of the newest token issued in it. Rows from before this migration get
-- the longest a token could have lived, so none is ended early.
ALTER TABLE sessions ADD COLUMN expires_at TIMESTAMPTZ;
UPDATE sessions SET expires_at = last_used_at + interval '1 day';
ALTER TABLE sessions ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX sessions_expires_at ON sessions (expires_at);
-- The least recently used sessions of a user are ended past the per-user cap.
CREATE INDEX sessions_user_last_used ON sessions (user_id, last_used_at);
DROP INDEX sessions_user_id;

-- A sign-in whose password is being checked right now holds a pending row: it is not
-- a failure (only wrong passwords count), but it takes one of the checks still allowed.
ALTER TABLE login_failures ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;

-- Sign-ups per client address, for auth.signups_per_address_per_hour.
CREATE TABLE signup_attempts (
    id             BIGSERIAL   PRIMARY KEY,
    client_address TEXT        NOT NULL,
    attempted_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX signup_attempts_address ON signup_attempts (client_address, attempted_at);
