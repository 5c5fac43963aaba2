//! Operating keycard (contract §9): the audit log (every event kind, aggregated
//! failures, filters, the same-transaction rule, retention), `/me/activity`, lockouts
//! and reset links, in both representations.

use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_is_redirect_to, assert_problem, spawn_app, unique_username,
};

/// The audit events an admin sees with this query string (JSON).
async fn events(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let body = app
        .api(admin)
        .get_body(&format!("/admin/audit?per_page=100&{query}"))
        .await;
    body["items"].as_array().unwrap().clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

async fn wrong_sign_in(app: &TestApp, username: &str) -> u16 {
    let body = json!({"username": username, "password": "wrong-password-1"});
    app.post_json_anonymously("/login", &body)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_change_is_recorded_with_who_whom_where_and_the_request_id() {
    let app = spawn_app().await;
    let (admin_user, admin) = app.admin_with_token().await;
    let username = unique_username();
    let user = app.create_user(&username).await;
    let token = app.login_token(&username, PASSWORD).await;
    app.login_token(&username, PASSWORD).await;

    let change = json!({"current_password": PASSWORD, "new_password": "another-long-passphrase"});
    let response = app
        .cookieless
        .post(app.url("/me/password"))
        .header("Accept", "application/json")
        .header("X-Request-Id", "audit-test-request-1")
        .bearer_auth(&token)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let token: Value = response.json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    app.login_token(&username, "another-long-passphrase").await;
    let sessions = app.api(&token).get_body("/me/sessions").await;
    let third_sid = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/me/sessions/{third_sid}/revoke");
    assert_eq!(
        app.api(&token)
            .post(&path, json!({}))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        app.api(&token)
            .post("/me/logout-others", json!({}))
            .await
            .status()
            .as_u16(),
        204
    );
    let id = user["id"].as_i64().unwrap();
    let admin_api = app.api(&admin);
    for action in ["disable", "enable", "revoke"] {
        let path = format!("/admin/users/{id}/{action}");
        assert!(
            admin_api.post(&path, json!({})).await.status().is_success(),
            "{action}"
        );
    }
    let role = admin_api
        .post(&format!("/admin/users/{id}/role"), json!({"role": "admin"}))
        .await;
    assert_eq!(role.status().as_u16(), 200);

    let about_user = events(&app, &admin, &format!("user={username}")).await;
    assert_eq!(
        kinds(&about_user),
        [
            "role_changed",
            "user_tokens_revoked",
            "user_enabled",
            "user_disabled",
            "sessions_revoked",
            "session_revoked",
            "sign_in",
            "password_changed",
            "sign_in",
            "sign_in",
            "sign_up",
        ]
    );
    let changed = &about_user[0];
    assert_eq!(
        changed["actor"],
        json!({"id": admin_user["id"], "username": admin_user["username"]})
    );
    assert_eq!(changed["subject"], json!({"id": id, "username": username}));
    assert_eq!(changed["details"], json!({"from": "user", "to": "admin"}));
    assert_eq!(changed["client_address"], "127.0.0.1");
    let password = about_user
        .iter()
        .find(|e| e["kind"] == "password_changed")
        .unwrap();
    assert_eq!(password["request_id"], "audit-test-request-1");
    assert_eq!(password["actor"], password["subject"]);
    let sign_in = about_user.iter().find(|e| e["kind"] == "sign_in").unwrap();
    assert_eq!(sign_in["details"]["mfa"], false);

    // Deleting and signing everyone out, by the id filter (the user is gone).
    let delete = admin_api
        .post(&format!("/admin/users/{id}/delete"), json!({}))
        .await;
    assert_eq!(delete.status().as_u16(), 204);
    let by_id = events(&app, &admin, &format!("user={id}&kind=user_deleted")).await;
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0]["subject"]["username"], username.as_str());
    assert_eq!(
        admin_api
            .post("/admin/revoke-all", json!({}))
            .await
            .status()
            .as_u16(),
        204
    );
    let admin = app
        .login_token(admin_user["username"].as_str().unwrap(), PASSWORD)
        .await;
    let everyone = events(&app, &admin, "kind=everyone_signed_out").await;
    assert_eq!(everyone.len(), 1);
    assert!(everyone[0]["subject"].is_null());
}

#[tokio::test]
async fn failed_sign_ins_are_one_event_per_username_address_and_five_minutes() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let username = unique_username();
    app.create_user(&username).await;
    for _ in 0..5 {
        assert_eq!(wrong_sign_in(&app, &username).await, 401);
    }
    for _ in 0..3 {
        assert_eq!(wrong_sign_in(&app, &username).await, 429);
    }
    let failed = events(
        &app,
        &admin,
        &format!("user={username}&kind=sign_in_failed"),
    )
    .await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["details"]["count"], 5);
    let throttled = events(
        &app,
        &admin,
        &format!("user={username}&kind=sign_in_throttled"),
    )
    .await;
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0]["details"]["count"], 3);
    // Guesses at names nobody has are counted by address, without the name.
    for _ in 0..2 {
        assert_eq!(wrong_sign_in(&app, "nobody_has_this_name").await, 401);
    }
    let all = events(&app, &admin, "kind=sign_in_failed").await;
    assert_eq!(all.len(), 2);
    let anonymous = all.iter().find(|e| e["subject"].is_null()).unwrap();
    assert_eq!(anonymous["details"]["count"], 2);
    assert!(!anonymous.to_string().contains("nobody_has_this_name"));
}

#[tokio::test]
async fn the_audit_page_filters_pages_and_counts_exactly() {
    let app = spawn_app().await;
    let (admin_user, admin) = app.admin_with_token().await;
    for _ in 0..4 {
        app.user_with_token().await;
    }
    // 5 sign-ups and 5 sign-ins.
    let body = app
        .api(&admin)
        .get_body("/admin/audit?per_page=3&page=2")
        .await;
    assert_eq!(body["total"], 10);
    assert_eq!(body["page"], 2);
    assert_eq!(body["items"].as_array().unwrap().len(), 3);
    let ids: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let sign_ups = app.api(&admin).get_body("/admin/audit?kind=sign_up").await;
    assert_eq!(sign_ups["total"], 5);
    let mine = app
        .api(&admin)
        .get_body(&format!("/admin/audit?user={}", admin_user["id"]))
        .await;
    assert_eq!(mine["total"], 2);
    let later = app
        .api(&admin)
        .get_body("/admin/audit?since=2999-01-01")
        .await;
    assert_eq!(later["total"], 0);
    let earlier = app
        .api(&admin)
        .get_body("/admin/audit?until=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(earlier["total"], 0);
    let nobody = app
        .api(&admin)
        .get_body("/admin/audit?user=no_such_user")
        .await;
    assert_eq!(nobody["total"], 0);

    for bad in ["kind=sign_inn", "since=yesterday", "page=0", "per_page=500"] {
        let response = app.api(&admin).get(&format!("/admin/audit?{bad}")).await;
        assert_problem(response, 400).await;
    }
    let (_, user) = app.user_with_token().await;
    assert_eq!(
        app.api(&user).get("/admin/audit").await.status().as_u16(),
        403
    );

    // The page: a filter form, rows linking to the users involved.
    app.browser_login(admin_user["username"].as_str().unwrap(), PASSWORD)
        .await;
    let page = app
        .get_html("/admin/audit?kind=sign_up&per_page=2&page=3")
        .await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<option value="sign_up" selected>"#));
    // Each user involved links to their own events (which outlive a deleted account).
    assert!(html.contains(&format!(r#"href="/admin/audit?user={}""#, admin_user["id"])));
    assert!(
        html.contains("/admin/audit?kind=sign_up&#38;page=2&#38;per_page=2"),
        "the pager keeps the filters: {}",
        &html[html.find("pagination").unwrap_or(0)..]
    );
}

#[tokio::test]
async fn a_change_that_fails_records_nothing_and_an_event_that_fails_undoes_the_change() {
    let app = spawn_app().await;
    let (admin_user, admin) = app.admin_with_token().await;
    // The last admin cannot demote themselves: 409, and no role_changed event.
    let path = format!("/admin/users/{}/role", admin_user["id"]);
    let refused = app.api(&admin).post(&path, json!({"role": "user"})).await;
    assert_problem(refused, 409).await;
    assert!(events(&app, &admin, "kind=role_changed").await.is_empty());

    // With the audit table refusing rows, a change fails whole: nothing is half done.
    let (_, token) = app.user_with_token().await;
    app.sql("ALTER TABLE audit_events ADD CONSTRAINT refuse_rows CHECK (kind = '') NOT VALID")
        .await;
    let failed = app.api(&token).post("/me/logout-all", json!({})).await;
    assert_eq!(failed.status().as_u16(), 500);
    assert!(
        app.whoami_bearer(&token).await.is_some(),
        "still signed in: the sign-out rolled back"
    );
    app.sql("ALTER TABLE audit_events DROP CONSTRAINT refuse_rows")
        .await;
    assert_eq!(
        app.api(&token)
            .post("/me/logout-all", json!({}))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(events(&app, &admin, "kind=sessions_revoked").await.len(), 1);
}

#[tokio::test]
async fn events_past_the_retention_go_at_the_sweep() {
    let app = spawn_app().await;
    app.sql(
        "INSERT INTO audit_events (at, kind, details) VALUES \
         (now() - interval '91 days', 'sign_up', '{}'), (now() - interval '89 days', 'sign_up', '{}')",
    )
    .await;
    // The periodic sweep, run once now.
    let instance = keycard::startup::Application::build(app.settings.clone()).unwrap();
    instance.sweep_now().await.unwrap();
    let left = app
        .scalar("SELECT count(*) AS v FROM audit_events WHERE at < now() - interval '30 days'")
        .await;
    assert_eq!(
        left, 1,
        "the 91-day-old event is gone, the 89-day-old one stays"
    );
    let counted = app
        .scalar("SELECT coalesce(sum(events), 0)::bigint AS v FROM audit_counts")
        .await;
    let rows = app.scalar("SELECT count(*) AS v FROM audit_events").await;
    assert_eq!(counted, rows, "the kept totals follow deletes");
}

#[tokio::test]
async fn my_activity_is_my_own_history_in_sentences() {
    let app = spawn_app().await;
    let username = unique_username();
    app.create_user(&username).await;
    for _ in 0..3 {
        wrong_sign_in(&app, &username).await;
    }
    app.browser_login(&username, PASSWORD).await;
    app.user_with_token().await;
    let mine = app.get_json("/me/activity").await;
    assert_eq!(mine.status().as_u16(), 200);
    let body: Value = mine.json().await.unwrap();
    assert_eq!(
        kinds(body["items"].as_array().unwrap()),
        ["sign_in", "sign_in_failed", "sign_up"]
    );
    assert_eq!(body["total"], 3);
    let html = app.get_html("/me/activity").await.text().await.unwrap();
    assert!(html.contains("3 failed sign-ins"), "{html}");
    assert!(html.contains("Signed in from"));
    assert!(html.contains("127.0.0.1"));
    assert!(html.contains("just now") || html.contains("minute"));
    let anonymous = app.another_browser().get_json("/me/activity").await;
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[tokio::test]
async fn lockouts_list_what_is_refused_and_clearing_one_lets_sign_in_work() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let username = unique_username();
    app.create_user(&username).await;
    for _ in 0..5 {
        wrong_sign_in(&app, &username).await;
    }
    let body = json!({"username": username, "password": PASSWORD});
    assert_eq!(
        app.post_json_anonymously("/login", &body)
            .await
            .status()
            .as_u16(),
        429
    );

    let listed = app.api(&admin).get_body("/admin/lockouts").await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["username"], username.to_lowercase());
    assert_eq!(items[0]["failures"], 5);
    assert!(items[0]["frees_at"].as_str().unwrap().ends_with('Z'));

    let neither = app
        .api(&admin)
        .post("/admin/lockouts/clear", json!({}))
        .await;
    assert_problem(neither, 422).await;
    let unknown = app
        .api(&admin)
        .post("/admin/lockouts/clear", json!({"username": "nobody_here"}))
        .await;
    assert_problem(unknown, 404).await;
    let cleared = app
        .api(&admin)
        .post("/admin/lockouts/clear", json!({"username": username}))
        .await;
    assert_eq!(cleared.status().as_u16(), 204);
    assert_eq!(
        app.post_json_anonymously("/login", &body)
            .await
            .status()
            .as_u16(),
        200
    );
    assert!(
        app.api(&admin).get_body("/admin/lockouts").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let event = events(&app, &admin, "kind=lockout_cleared").await;
    assert_eq!(event[0]["details"]["failures"], 5);
    assert_eq!(event[0]["subject"]["username"], username.as_str());
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let (user, token) = app.user_with_token().await;
    let made = app
        .api(&admin)
        .post(
            &format!("/admin/users/{}/reset-link", user["id"]),
            json!({}),
        )
        .await;
    assert_eq!(made.status().as_u16(), 200);
    let made: Value = made.json().await.unwrap();
    let path = made["path"].as_str().unwrap().to_string();
    assert!(path.starts_with("/reset/") && made["url"].as_str().unwrap().ends_with(&path));
    assert_eq!(made["user"]["id"], user["id"]);
    let stored = app
        .scalar("SELECT count(*) AS v FROM password_resets")
        .await;
    assert_eq!(stored, 1);
    let token_part = path.trim_start_matches("/reset/");
    let in_clear = app
        .scalar(&format!(
            "SELECT count(*) AS v FROM password_resets WHERE position(convert_to('{token_part}', 'UTF8') IN token_hash) > 0"
        ))
        .await;
    assert_eq!(in_clear, 0);

    let form = app.get_html(&path).await;
    assert_eq!(form.status().as_u16(), 200);
    assert_eq!(form.headers()["cache-control"], "no-store");
    assert!(
        form.text()
            .await
            .unwrap()
            .contains(&format!(r#"action="{path}""#))
    );
    assert_eq!(app.get_json(&path).await.status().as_u16(), 406);

    let weak = app.submit(&path, &[("new_password", "password")]).await;
    assert_eq!(weak.status().as_u16(), 422);
    let done = app
        .submit(&path, &[("new_password", "a-brand-new-passphrase")])
        .await;
    assert_is_redirect_to(&done, "/login");
    assert_eq!(app.whoami_bearer(&token).await, None, "every session ended");
    let username = user["username"].as_str().unwrap();
    app.login_token(username, "a-brand-new-passphrase").await;
    let old = json!({"username": username, "password": PASSWORD});
    assert_eq!(
        app.post_json_anonymously("/login", &old)
            .await
            .status()
            .as_u16(),
        401
    );

    for gone in [path.clone(), "/reset/not-a-link".to_string()] {
        assert_eq!(app.get_html(&gone).await.status().as_u16(), 404, "{gone}");
        let again = app
            .post_json_anonymously(&gone, &json!({"new_password": "yet-another-passphrase"}))
            .await;
        assert_problem(again, 404).await;
    }
    let second: Value = app
        .api(&admin)
        .post(
            &format!("/admin/users/{}/reset-link", user["id"]),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.sql("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .await;
    let expired = second["path"].as_str().unwrap();
    assert_eq!(app.get_html(expired).await.status().as_u16(), 404);

    let about = events(&app, &admin, &format!("user={}", user["id"])).await;
    let kinds = kinds(&about);
    assert_eq!(
        kinds.iter().filter(|k| **k == "reset_link_created").count(),
        2
    );
    assert_eq!(kinds.iter().filter(|k| **k == "password_reset").count(), 1);
}

#[tokio::test]
async fn a_password_set_by_one_link_or_by_the_user_voids_every_other_link() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let (user, _) = app.user_with_token().await;
    let make = || async {
        let made: Value = app
            .api(&admin)
            .post(
                &format!("/admin/users/{}/reset-link", user["id"]),
                json!({}),
            )
            .await
            .json()
            .await
            .unwrap();
        made["path"].as_str().unwrap().to_string()
    };
    let (first, second) = (make().await, make().await);
    let body = json!({"new_password": "set-by-the-second-link"});
    assert_eq!(
        app.post_json_anonymously(&second, &body)
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(app.post_json_anonymously(&first, &body).await, 404).await;

    let third = make().await;
    let token = app
        .login_token(user["username"].as_str().unwrap(), "set-by-the-second-link")
        .await;
    let change = json!({"current_password": "set-by-the-second-link", "new_password": "changed-by-the-user"});
    assert_eq!(
        app.api(&token)
            .post("/me/password", change)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(app.get_html(&third).await.status().as_u16(), 404);
}

#[tokio::test]
async fn what_an_admin_did_shows_in_my_activity_without_their_address() {
    let app = spawn_app().await;
    let (admin_user, admin) = app.admin_with_token().await;
    let (user, token) = app.user_with_token().await;
    let path = format!("/admin/users/{}/role", user["id"]);
    assert_eq!(
        app.api(&admin)
            .post(&path, json!({"role": "admin"}))
            .await
            .status()
            .as_u16(),
        200
    );
    let mine = app.api(&token).get_body("/me/activity").await;
    let changed = &mine["items"][0];
    assert_eq!(changed["kind"], "role_changed");
    assert_eq!(changed["actor"]["username"], admin_user["username"]);
    assert!(changed["client_address"].is_null() && changed["request_id"].is_null());
    let own = &mine["items"][1];
    assert_eq!(own["kind"], "sign_in");
    assert_eq!(own["client_address"], "127.0.0.1");
}

#[tokio::test]
async fn checks_that_never_finished_count_in_lockouts_and_are_cleared_with_them() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    // Five checks left pending by an instance that died two minutes ago.
    app.sql(
        "INSERT INTO login_failures (username_key, client_address, failed_at, pending) \
         SELECT 'stuck_user', '192.0.2.7', now() - interval '2 minutes', true \
         FROM generate_series(1, 5)",
    )
    .await;
    let listed = app.api(&admin).get_body("/admin/lockouts").await;
    assert_eq!(listed["items"][0]["username"], "stuck_user", "{listed}");
    assert_eq!(listed["items"][0]["failures"], 5);
    let cleared = app
        .api(&admin)
        .post("/admin/lockouts/clear", json!({"username": "stuck_user"}))
        .await;
    assert_eq!(cleared.status().as_u16(), 204);
    assert!(
        app.api(&admin).get_body("/admin/lockouts").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// A browser's sign-up also starts a session: it is recorded as a sign-in (with the
/// device), like any other session's start.
#[tokio::test]
async fn an_html_sign_up_records_the_session_it_starts() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let username = unique_username();
    let response = app
        .submit("/users", &[("username", &username), ("password", PASSWORD)])
        .await;
    assert_is_redirect_to(&response, "/me");
    let found = events(&app, &admin, &format!("user={username}")).await;
    assert_eq!(kinds(&found), ["sign_in", "sign_up"], "{found:?}");
    assert_eq!(found[0]["details"]["mfa"], false);
}
