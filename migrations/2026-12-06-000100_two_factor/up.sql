-- A second factor (contract §8). The TOTP secret is stored encrypted with
-- auth.encryption_key (nonce and key id inside the value), never in plain text.
-- `totp_pending` holds a secret set up but not yet confirmed with a code;
-- `totp_last_step` is the newest 30-second step a code was accepted for, so a code is
-- accepted once. `two_factor` is derived, so it can never disagree with the secret.
ALTER TABLE users
    ADD COLUMN totp_secret    BYTEA,
    ADD COLUMN totp_pending   BYTEA,
    ADD COLUMN totp_last_step BIGINT,
    ADD COLUMN two_factor     BOOLEAN GENERATED ALWAYS AS (totp_secret IS NOT NULL) STORED;

-- Whether a session was started with a second factor (`/me/sessions` shows it).
ALTER TABLE sessions ADD COLUMN mfa BOOLEAN NOT NULL DEFAULT FALSE;

-- Recovery codes, as SHA-256 hashes (the codes are random, 80 bits each). A code is
-- used up by setting `used_at`, in one UPDATE, so it works exactly once.
CREATE TABLE recovery_codes (
    user_id   BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA       NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- Sign-ins waiting for their second factor: the right password was given, the code
-- not yet. The token the client holds is stored as its SHA-256; the row is deleted
-- when the sign-in completes, after too many wrong codes, or when it expires.
-- `password_digest` is the SHA-256 of the password hash the sign-in was checked
-- against, so a password change in between voids it.
CREATE TABLE mfa_challenges (
    token_hash      BYTEA       PRIMARY KEY,
    user_id         BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_digest BYTEA       NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    wrong_codes     INTEGER     NOT NULL DEFAULT 0
);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
