-- Users (contract §2). Usernames are kept as typed but unique without regard to
-- case: the database enforces it, so two racing sign-ups cannot both win.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT        NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
    display_name  TEXT        CHECK (char_length(display_name) <= 64),
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled      BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
-- The admin dashboard counts enabled admins (last-admin rule) often.
CREATE INDEX users_enabled_admins ON users (id) WHERE role = 'admin' AND NOT disabled;
