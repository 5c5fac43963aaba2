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
