-- Sign-in sessions (contract §4). A token is good only while its session row exists
-- and its `gen` claim equals the row's generation: deleting rows revokes per session,
-- per user or globally; bumping the generation (password change) revokes every other
-- token of that session while the session itself goes on.
CREATE TABLE sessions (
    id             UUID        PRIMARY KEY,
    user_id        BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    generation     INTEGER     NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    client_address TEXT        NOT NULL,
    user_agent     TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Single tokens revoked before their expiry (the token `/refresh` replaced). A row is
-- useless once `expires_at` has passed and is purged then.
CREATE TABLE revoked_tokens (
    jti        UUID        PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- Failed sign-ins, counted per lower-cased username and per client address over a
-- sliding window; shared by every instance.
CREATE TABLE login_failures (
    id             BIGSERIAL   PRIMARY KEY,
    username_key   TEXT        NOT NULL,
    client_address TEXT        NOT NULL,
    failed_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username ON login_failures (username_key, failed_at);
CREATE INDEX login_failures_address ON login_failures (client_address, failed_at);
