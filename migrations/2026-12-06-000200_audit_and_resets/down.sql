DROP TABLE password_resets;
ALTER TABLE users DROP COLUMN last_sign_in_at;
DROP TABLE audit_counts;
DROP TABLE audit_events;
DROP FUNCTION audit_counts_add();
DROP FUNCTION audit_counts_remove();
