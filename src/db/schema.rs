// @generated shape of `diesel print-schema` for the migrations in migrations/.

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        display_name -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        /// Encrypted with `auth.encryption_key` (`auth::sealing`).
        totp_secret -> Nullable<Bytea>,
        totp_pending -> Nullable<Bytea>,
        totp_last_step -> Nullable<Int8>,
        /// Generated: `totp_secret IS NOT NULL`.
        two_factor -> Bool,
        last_sign_in_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Int8,
        generation -> Int4,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        client_address -> Text,
        user_agent -> Text,
        expires_at -> Timestamptz,
        mfa -> Bool,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        username_key -> Text,
        client_address -> Text,
        failed_at -> Timestamptz,
        pending -> Bool,
    }
}

diesel::table! {
    signup_attempts (id) {
        id -> Int8,
        client_address -> Text,
        attempted_at -> Timestamptz,
    }
}

diesel::table! {
    /// One row, kept exact by triggers on `users` (migration 2026-12-01-000100).
    user_counts (only_row) {
        only_row -> Bool,
        users -> Int8,
        admins -> Int8,
        disabled -> Int8,
    }
}

diesel::table! {
    /// How many users' lower-cased names contain each 1- and 2-character string; kept
    /// exact by triggers on `users`.
    user_gram_counts (gram) {
        gram -> Text,
        users -> Int8,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> Int8,
        code_hash -> Bytea,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    mfa_challenges (token_hash) {
        token_hash -> Bytea,
        user_id -> Int8,
        password_digest -> Bytea,
        expires_at -> Timestamptz,
        wrong_codes -> Int4,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        at -> Timestamptz,
        kind -> Text,
        actor_id -> Nullable<Int8>,
        actor_username -> Nullable<Text>,
        subject_id -> Nullable<Int8>,
        subject_username -> Nullable<Text>,
        client_address -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Jsonb,
        aggregate -> Nullable<Text>,
    }
}

diesel::table! {
    /// Rows of `audit_events` per kind; kept exact by triggers.
    audit_counts (kind) {
        kind -> Text,
        events -> Int8,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Bytea,
        user_id -> Int8,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(mfa_challenges -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    revoked_tokens,
    login_failures,
    signup_attempts,
    user_counts,
    user_gram_counts,
    recovery_codes,
    mfa_challenges,
    audit_events,
    audit_counts,
    password_resets
);
