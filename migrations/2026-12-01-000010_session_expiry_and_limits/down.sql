DROP TABLE signup_attempts;
ALTER TABLE login_failures DROP COLUMN pending;
CREATE INDEX sessions_user_id ON sessions (user_id);
DROP INDEX sessions_user_last_used;
DROP INDEX sessions_expires_at;
ALTER TABLE sessions DROP COLUMN expires_at;
