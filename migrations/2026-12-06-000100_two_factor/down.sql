DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
ALTER TABLE sessions DROP COLUMN mfa;
ALTER TABLE users
    DROP COLUMN two_factor,
    DROP COLUMN totp_last_step,
    DROP COLUMN totp_pending,
    DROP COLUMN totp_secret;
