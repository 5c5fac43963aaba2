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

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    revoked_tokens,
    login_failures,
    signup_attempts
);
