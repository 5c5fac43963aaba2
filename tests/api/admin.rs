//! Administration (contract §3): counts, role, disable, enable, revoke, delete,
//! revoke-all, and the last-admin rule.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_is_redirect_to, assert_problem, spawn_app};

const ACTIONS: [(&str, Option<&str>); 5] = [
    ("role", Some("admin")),
    ("disable", None),
    ("enable", None),
    ("revoke", None),
    ("delete", None),
];

fn body_for(role: Option<&str>) -> Value {
    role.map_or_else(|| json!({}), |r| json!({ "role": r }))
}

#[tokio::test]
async fn the_dashboard_counts_users_admins_and_disabled() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let (user, _) = app.user_with_token().await;
    app.user_with_token().await;
    app.sql(&format!(
        "UPDATE users SET disabled = true WHERE id = {}",
        user["id"]
    ))
    .await;
    let counts = app.api(&admin).get_body("/admin").await;
    assert_eq!(counts, json!({"users": 3, "admins": 1, "disabled": 1}));
}

#[tokio::test]
async fn non_admins_get_403_and_anonymous_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    let (target, user) = app.user_with_token().await;
    let id = target["id"].as_i64().unwrap();
    assert_problem(app.api(&user).get("/admin").await, 403).await;
    for (action, role) in ACTIONS {
        let path = format!("/admin/users/{id}/{action}");
        assert_problem(app.api(&user).post(&path, body_for(role)).await, 403).await;
        assert_problem(app.post_json(&path, &body_for(role)).await, 401).await;
    }
    assert_problem(
        app.api(&user).post("/admin/revoke-all", json!({})).await,
        403,
    )
    .await;
    assert_problem(app.post_json("/admin/revoke-all", &json!({})).await, 401).await;
    assert_is_redirect_to(&app.get_html("/admin").await, "/login?next=/admin");
    // Nothing changed: the user still works and is not an admin.
    assert_eq!(app.api(&user).get_body("/me").await["role"], "user");

    // A signed-in non-admin browser sees the 403 page.
    app.browser_user().await;
    let page = app.get_html("/admin").await;
    assert_eq!(page.status().as_u16(), 403);
    assert!(page.text().await.unwrap().contains("admins only"));
}

#[tokio::test]
async fn every_action_on_an_unknown_user_is_404() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    for id in ["999999", "abc", "0"] {
        for (action, role) in ACTIONS {
            let path = format!("/admin/users/{id}/{action}");
            assert_problem(app.api(&admin).post(&path, body_for(role)).await, 404).await;
        }
    }
}

#[tokio::test]
async fn role_disable_enable_revoke_and_delete_as_json() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let (target, token) = app.user_with_token().await;
    let username = target["username"].as_str().unwrap().to_string();
    let api = app.api(&admin);
    let base = format!("/admin/users/{}", target["id"]);

    let bad = assert_problem(
        api.post(&format!("{base}/role"), json!({"role": "root"}))
            .await,
        422,
    )
    .await;
    assert!(bad["errors"]["role"].is_array());
    let promoted = api
        .post(&format!("{base}/role"), json!({"role": "admin"}))
        .await;
    assert_eq!(promoted.status().as_u16(), 200);
    assert_eq!(promoted.json::<Value>().await.unwrap()["role"], "admin");
    assert_eq!(
        app.api(&token).get("/admin").await.status().as_u16(),
        200,
        "promoted at once"
    );
    let demoted = api
        .post(&format!("{base}/role"), json!({"role": "user"}))
        .await;
    assert_eq!(demoted.json::<Value>().await.unwrap()["role"], "user");
    assert_problem(app.api(&token).get("/admin").await, 403).await;

    let disabled = api.post(&format!("{base}/disable"), json!({})).await;
    assert_eq!(disabled.status().as_u16(), 200);
    assert_eq!(disabled.json::<Value>().await.unwrap()["disabled"], true);
    assert_eq!(
        app.whoami_bearer(&token).await,
        None,
        "disabled: signed out at once"
    );
    let refused = app
        .post_json(
            "/login",
            &json!({"username": username, "password": PASSWORD}),
        )
        .await;
    assert_problem(refused, 401).await;
    let enabled = api.post(&format!("{base}/enable"), json!({})).await;
    assert_eq!(enabled.json::<Value>().await.unwrap()["disabled"], false);
    let token = app.login_token(&username, PASSWORD).await;

    let revoked = api.post(&format!("{base}/revoke"), json!({})).await;
    assert_eq!(revoked.status().as_u16(), 204);
    assert_eq!(app.whoami_bearer(&token).await, None);
    let token = app.login_token(&username, PASSWORD).await;

    let deleted = api.post(&format!("{base}/delete"), json!({})).await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(app.whoami_bearer(&token).await, None);
    assert_problem(api.get(&base.replace("/admin", "")).await, 404).await;
    assert_problem(api.post(&format!("{base}/delete"), json!({})).await, 404).await;
}

#[tokio::test]
async fn the_last_enabled_admin_cannot_be_demoted_disabled_or_deleted() {
    let app = spawn_app().await;
    let (me, admin) = app.admin_with_token().await;
    let base = format!("/admin/users/{}", me["id"]);
    for (action, role) in [("role", Some("user")), ("disable", None), ("delete", None)] {
        let response = app
            .api(&admin)
            .post(&format!("{base}/{action}"), body_for(role))
            .await;
        let body = assert_problem(response, 409).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("last enabled admin")
        );
    }
    assert_eq!(app.api(&admin).get_body("/admin").await["admins"], 1);

    // A disabled admin does not count: with one enabled and one disabled admin, the
    // enabled one is still the last.
    let (other, _) = app.user_with_token().await;
    app.sql(&format!(
        "UPDATE users SET role = 'admin', disabled = true WHERE id = {}",
        other["id"]
    ))
    .await;
    let response = app
        .api(&admin)
        .post(&format!("{base}/disable"), json!({}))
        .await;
    assert_problem(response, 409).await;
    // Once another is enabled, demoting oneself is allowed (and takes effect at once).
    let response = app
        .api(&admin)
        .post(&format!("/admin/users/{}/enable", other["id"]), json!({}))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let response = app
        .api(&admin)
        .post(&format!("{base}/role"), json!({"role": "user"}))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_problem(app.api(&admin).get("/admin").await, 403).await;
}

/// Two admins, the only ones, each demote one of the two at the same moment; returns
/// the two statuses (sorted) and how many enabled admins are left.
async fn race_two_demotions(each_demotes_the_other: bool) -> ([u16; 2], i64) {
    let app = spawn_app().await;
    let (a, token_a) = app.admin_with_token().await;
    let (b, token_b) = app.admin_with_token().await;
    let (api_a, api_b) = (app.api(&token_a), app.api(&token_b));
    let (path_a, path_b) = (
        format!("/admin/users/{}/role", a["id"]),
        format!("/admin/users/{}/role", b["id"]),
    );
    let (target_of_a, target_of_b) = if each_demotes_the_other {
        (&path_b, &path_a)
    } else {
        (&path_a, &path_b)
    };
    let (one, two) = tokio::join!(
        api_a.post(target_of_a, json!({"role": "user"})),
        api_b.post(target_of_b, json!({"role": "user"})),
    );
    let mut statuses = [one.status().as_u16(), two.status().as_u16()];
    statuses.sort_unstable();
    let url = app.database_url.clone();
    let enabled_admins = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use keycard::db::schema::users;
        let mut conn = PgConnection::establish(&url).unwrap();
        users::table
            .filter(users::role.eq("admin"))
            .filter(users::disabled.eq(false))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap()
    })
    .await
    .unwrap();
    (statuses, enabled_admins)
}

#[tokio::test]
async fn two_concurrent_demotions_of_the_two_remaining_admins_let_exactly_one_through() {
    for _ in 0..3 {
        let (statuses, left) = race_two_demotions(true).await;
        // The loser is refused by the rule (409), or, when it was demoted first, because
        // it is no admin any more (403); never do both succeed.
        assert!(
            statuses == [200, 409] || statuses == [200, 403],
            "{statuses:?}"
        );
        assert_eq!(left, 1);
    }
}

#[tokio::test]
async fn two_concurrent_self_demotions_of_the_two_remaining_admins_let_exactly_one_through() {
    for _ in 0..3 {
        let (statuses, left) = race_two_demotions(false).await;
        assert_eq!(statuses, [200, 409]);
        assert_eq!(left, 1);
    }
}

#[tokio::test]
async fn admin_action_paths_outside_the_contract_are_404_and_a_get_is_405() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let (target, _) = app.user_with_token().await;
    let bogus = format!("/admin/users/{}/promote", target["id"]);
    assert_problem(app.api(&admin).post(&bogus, json!({})).await, 404).await;
    let get = app
        .api(&admin)
        .get(&format!("/admin/users/{}/disable", target["id"]))
        .await;
    assert_eq!(get.headers()["allow"], "POST");
    assert_problem(get, 405).await;
    assert_eq!(
        app.api(&admin)
            .get_body(&format!("/users/{}", target["id"]))
            .await["disabled"],
        false
    );
}

#[tokio::test]
async fn revoke_all_signs_everyone_out_including_the_admin_and_sign_in_works_after() {
    let app = spawn_app().await;
    let (me, admin) = app.admin_with_token().await;
    let (other, token) = app.user_with_token().await;
    let response = app.api(&admin).post("/admin/revoke-all", json!({})).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(app.whoami_bearer(&admin).await, None);
    assert_eq!(app.whoami_bearer(&token).await, None);
    for user in [&me, &other] {
        let username = user["username"].as_str().unwrap();
        let fresh = app.login_token(username, PASSWORD).await;
        assert_eq!(app.whoami_bearer(&fresh).await.as_deref(), Some(username));
    }
}

#[tokio::test]
async fn the_html_dashboard_acts_through_forms_with_flash_messages() {
    let app = spawn_app().await;
    app.browser_admin().await;
    let target = app.create_user("alice").await;
    let id = target["id"].as_i64().unwrap();

    let response = app.get_html("/admin").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("alice"));
    for action in ["role", "disable", "revoke", "delete"] {
        assert!(
            html.contains(&format!(r#"action="/admin/users/{id}/{action}""#)),
            "{action}"
        );
    }
    assert!(html.contains(r#"name="csrf_token""#));
    assert!(html.contains("/admin?confirm=revoke-all"));
    assert!(
        !html.contains(r#"action="/admin/revoke-all""#),
        "confirmation comes first"
    );

    for (path, fields, message) in [
        ("role", vec![("role", "admin")], "alice is now an admin"),
        ("role", vec![("role", "user")], "alice is now a user"),
        ("disable", vec![], "alice is disabled"),
        ("enable", vec![], "alice is enabled"),
        ("revoke", vec![], "alice is signed out everywhere"),
        ("delete", vec![], "alice was deleted"),
    ] {
        let response = app
            .submit(&format!("/admin/users/{id}/{path}"), &fields)
            .await;
        assert_is_redirect_to(&response, "/admin");
        let page = app.follow_redirect(&response).await;
        assert!(page.contains(message), "{message}");
    }

    let confirm = app
        .get_html("/admin?confirm=revoke-all")
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains(r#"action="/admin/revoke-all""#));
    let response = app.submit("/admin/revoke-all", &[]).await;
    assert_is_redirect_to(&response, "/login");
    assert!(
        app.follow_redirect(&response)
            .await
            .contains("Everyone was signed out")
    );
    assert_eq!(app.whoami().await, None);
}

#[tokio::test]
async fn the_html_last_admin_refusal_is_a_409_page() {
    let app = spawn_app().await;
    let me = app.browser_admin().await;
    let response = app
        .submit(&format!("/admin/users/{}/disable", me["id"]), &[])
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("last enabled admin")
    );
}

#[tokio::test]
async fn admin_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    let admin = app.browser_admin().await;
    let admin_name = admin["username"].as_str().unwrap().to_string();
    let target = app.create_user("bob_target").await;
    for (action, role) in ACTIONS {
        let path = format!("/admin/users/{}/{action}", target["id"]);
        let fields: Vec<(&str, &str)> = role.map(|r| vec![("role", r)]).unwrap_or_default();
        assert_eq!(
            app.post_form(&path, &fields).await.status().as_u16(),
            403,
            "{action}"
        );
    }
    assert_eq!(
        app.post_form("/admin/revoke-all", &[])
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(app.count_users().await, 2);
    assert_eq!(app.whoami().await.as_deref(), Some(admin_name.as_str()));
}

#[tokio::test]
async fn every_response_that_shows_a_signed_in_user_is_no_store() {
    let app = spawn_app().await;
    let me = app.browser_admin().await;
    let token = app
        .login_token(me["username"].as_str().unwrap(), PASSWORD)
        .await;
    let paths = [
        "/".to_string(),
        "/me".to_string(),
        "/me/sessions".to_string(),
        "/users".to_string(),
        format!("/users/{}", me["id"]),
        "/admin".to_string(),
    ];
    for path in &paths {
        let json = app.api(&token).get(path).await;
        assert_eq!(json.status().as_u16(), 200, "{path}");
        assert_eq!(json.headers()["cache-control"], "no-store", "JSON {path}");
        let html = app.get_html(path).await;
        assert_eq!(html.status().as_u16(), 200, "{path}");
        assert_eq!(html.headers()["cache-control"], "no-store", "HTML {path}");
        assert!(html.headers()["vary"].to_str().unwrap().contains("Accept"));
    }
    let refreshed = app.api(&token).post("/refresh", json!({})).await;
    assert_eq!(refreshed.headers()["cache-control"], "no-store");
}

/// `{"users","admins","disabled"}` counted in the database itself, without keycard.
async fn counts_in_database(app: &crate::helpers::TestApp) -> Value {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use keycard::db::schema::users;
        let mut conn = PgConnection::establish(&url).unwrap();
        let users = users::table.count().get_result::<i64>(&mut conn).unwrap();
        let admins = users::table
            .filter(users::role.eq("admin"))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap();
        let disabled = users::table
            .filter(users::disabled.eq(true))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap();
        json!({"users": users, "admins": admins, "disabled": disabled})
    })
    .await
    .unwrap()
}

/// The dashboard's numbers and the directory's total against the database.
async fn assert_counts_agree(app: &crate::helpers::TestApp, admin: &str, step: &str) {
    let expected = counts_in_database(app).await;
    assert_eq!(app.api(admin).get_body("/admin").await, expected, "{step}");
    assert_eq!(
        app.api(admin).get_body("/users").await["total"],
        expected["users"],
        "{step}"
    );
}

/// Runs several SQL statements at once (a migration file, a transaction).
async fn batch(app: &crate::helpers::TestApp, sql: &str) {
    let (url, sql) = (app.database_url.clone(), sql.to_string());
    tokio::task::spawn_blocking(move || {
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        let mut conn = PgConnection::establish(&url).unwrap();
        conn.batch_execute(&sql).unwrap();
    })
    .await
    .unwrap();
}

async fn id_of(app: &crate::helpers::TestApp, username: &str) -> i64 {
    let url = app.database_url.clone();
    let username = username.to_string();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use keycard::db::schema::users;
        let mut conn = PgConnection::establish(&url).unwrap();
        users::table
            .filter(users::username.eq(username))
            .select(users::id)
            .first::<i64>(&mut conn)
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_counts_stay_exact_through_sign_ups_role_and_disable_changes_and_deletes() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    assert_eq!(
        app.api(&admin).get_body("/admin").await,
        json!({"users": 1, "admins": 1, "disabled": 0})
    );

    // Sign-ups at the same moment each add one.
    let names: Vec<String> = (0..8).map(|i| format!("racer{i}")).collect();
    let signups: Vec<_> = names.iter().map(|name| app.create_user(name)).collect();
    futures_util::future::join_all(signups).await;
    assert_counts_agree(&app, &admin, "after 8 concurrent sign-ups").await;

    // Many rows in one statement, admins and disabled among them.
    app.sql(
        "INSERT INTO users (username, password_hash, role, disabled) \
         SELECT 'bulk' || i, 'x', CASE WHEN i % 10 = 0 THEN 'admin' ELSE 'user' END, i % 4 = 0 \
         FROM generate_series(1, 40) AS i",
    )
    .await;
    assert_counts_agree(&app, &admin, "after a bulk insert").await;

    // The dashboard's actions, some at the same moment.
    let api = app.api(&admin);
    let mut ids = Vec::new();
    for name in &names[..5] {
        ids.push(id_of(&app, name).await);
    }
    let (r0, r1, r2, r3, r4) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    for (id, action, body) in [
        (r0, "role", json!({"role": "admin"})),
        (r1, "role", json!({"role": "admin"})),
        (r1, "disable", json!({})),
        (r2, "disable", json!({})),
        (r2, "disable", json!({})), // twice: still one
        (r3, "disable", json!({})),
        (r3, "enable", json!({})),
        (r0, "role", json!({"role": "admin"})), // already an admin
        (r4, "role", json!({"role": "user"})),  // already a user
    ] {
        let response = api.post(&format!("/admin/users/{id}/{action}"), body).await;
        assert_eq!(response.status().as_u16(), 200, "{action} {id}");
        assert_counts_agree(&app, &admin, &format!("after {action} of {id}")).await;
    }
    let paths: Vec<String> = [r1, r2, r4]
        .iter()
        .map(|id| format!("/admin/users/{id}/delete"))
        .collect();
    let deletes: Vec<_> = paths.iter().map(|path| api.post(path, json!({}))).collect();
    for response in futures_util::future::join_all(deletes).await {
        assert_eq!(response.status().as_u16(), 204);
    }
    assert_counts_agree(&app, &admin, "after 3 concurrent deletes").await;

    // Statements that change many rows, and both columns at once.
    app.sql("UPDATE users SET disabled = NOT disabled WHERE username LIKE 'bulk%'")
        .await;
    assert_counts_agree(&app, &admin, "after flipping disabled").await;
    app.sql(
        "UPDATE users SET role = CASE role WHEN 'admin' THEN 'user' ELSE 'admin' END, \
         disabled = id % 2 = 0 WHERE username LIKE 'bulk1%'",
    )
    .await;
    assert_counts_agree(&app, &admin, "after swapping roles").await;
    app.sql("UPDATE users SET display_name = 'Nobody', updated_at = now()")
        .await;
    assert_counts_agree(&app, &admin, "after an update of other columns").await;
    app.sql("DELETE FROM users WHERE username LIKE 'bulk%' AND id % 3 <> 0")
        .await;
    assert_counts_agree(&app, &admin, "after a bulk delete").await;
    // An update inside a transaction that rolls back leaves the numbers alone.
    batch(&app, "BEGIN; UPDATE users SET disabled = true; ROLLBACK;").await;
    assert_counts_agree(&app, &admin, "after a rolled-back update").await;

    // TRUNCATE (everyone, this admin too) starts the numbers from zero.
    app.sql("TRUNCATE users CASCADE").await;
    let (_, admin) = app.admin_with_token().await;
    assert_eq!(
        app.api(&admin).get_body("/admin").await,
        json!({"users": 1, "admins": 1, "disabled": 0})
    );
    assert_counts_agree(&app, &admin, "after TRUNCATE").await;
}

#[tokio::test]
async fn the_html_dashboard_searches_and_pages_its_table_with_exact_totals() {
    let app = spawn_app().await;
    app.browser_admin().await;
    app.sql(
        "INSERT INTO users (username, password_hash) \
         SELECT 'staff_' || i, 'x' FROM generate_series(1, 5) AS i",
    )
    .await;
    let html = app
        .get_html("/admin?q=STAFF_&per_page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("staff_1") && html.contains("staff_2"));
    assert!(!html.contains("staff_3"));
    assert!(html.contains("Page 1 of 3"), "{html}");
    let html = app
        .get_html("/admin?q=f_&per_page=2&page=3")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("staff_5") && !html.contains("staff_4"));
    assert!(html.contains("Page 3 of 3"), "{html}");
    // The counts above the table are everyone's, whatever the search.
    let html = app.get_html("/admin?q=nobody").await.text().await.unwrap();
    assert!(!html.contains("staff_1"));
}

/// The directory migrations' `down.sql` files (the id-block index's, the 3-character
/// search's, then the counts') remove everything they made (pg_trgm and btree_gin
/// included), and their `up.sql` files
/// applied again count the users as they are by then.
#[tokio::test]
async fn the_directory_migration_reverts_and_reapplies() {
    const COUNTS_UP: &str =
        include_str!("../../migrations/2026-12-01-000100_directory_search_and_counts/up.sql");
    const COUNTS_DOWN: &str =
        include_str!("../../migrations/2026-12-01-000100_directory_search_and_counts/down.sql");
    const TRIGRAMS_UP: &str =
        include_str!("../../migrations/2026-12-06-000300_three_character_search/up.sql");
    const TRIGRAMS_DOWN: &str =
        include_str!("../../migrations/2026-12-06-000300_three_character_search/down.sql");
    const BLOCKS_UP: &str =
        include_str!("../../migrations/2026-12-06-000400_trigram_index_by_id_block/up.sql");
    const BLOCKS_DOWN: &str =
        include_str!("../../migrations/2026-12-06-000400_trigram_index_by_id_block/down.sql");
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    app.sql(
        "INSERT INTO users (username, password_hash, role, disabled) \
         SELECT 'before' || i, 'x', 'user', i % 2 = 0 FROM generate_series(1, 10) AS i",
    )
    .await;
    assert_counts_agree(&app, &admin, "before").await;

    batch(&app, &format!("BEGIN; {BLOCKS_DOWN} COMMIT;")).await;
    assert_counts_agree(&app, &admin, "after the id-block index's down").await;
    batch(&app, &format!("BEGIN; {TRIGRAMS_DOWN} COMMIT;")).await;
    assert_counts_agree(&app, &admin, "after the 3-character search's down").await;
    batch(&app, &format!("BEGIN; {COUNTS_DOWN} COMMIT;")).await;
    let url = app.database_url.clone();
    let leftovers = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Left {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(
            "SELECT (SELECT count(*) FROM pg_extension WHERE extname IN ('pg_trgm', 'btree_gin')) \
             + (SELECT count(*) FROM pg_class WHERE relname IN ('user_counts', \
                'user_gram_counts', 'users_username_trgm', 'users_username_trgm_block', \
                'users_username_grams')) \
             + (SELECT count(*) FROM pg_proc WHERE proname IN ('username_grams', 'username_trigrams', \
                'users_count_totals', 'users_count_grams')) \
             + (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'users_count%') AS n",
        )
        .get_result::<Left>(&mut conn)
        .unwrap()
        .n
    })
    .await
    .unwrap();
    assert_eq!(leftovers, 0, "down.sql leaves nothing behind");

    // Changes while the counting is gone, then the migration once more.
    app.sql("DELETE FROM users WHERE username IN ('before1', 'before2')")
        .await;
    app.sql("UPDATE users SET role = 'admin' WHERE username = 'before3'")
        .await;
    batch(
        &app,
        &format!("BEGIN; {COUNTS_UP} {TRIGRAMS_UP} {BLOCKS_UP} COMMIT;"),
    )
    .await;
    assert_counts_agree(&app, &admin, "after down and up").await;
    assert_eq!(app.api(&admin).get_body("/users?q=ore").await["total"], 8);
    assert_eq!(app.api(&admin).get_body("/users?q=re10").await["total"], 1);
    app.create_user("after_up").await;
    assert_counts_agree(&app, &admin, "a sign-up after up").await;
}
