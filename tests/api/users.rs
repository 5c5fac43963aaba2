//! The directory: `GET /users` (pagination and search) and `GET /users/{id}`.

use serde_json::json;

use crate::helpers::{Api, TestApp, assert_problem, spawn_app};

#[tokio::test]
async fn the_list_is_paginated_by_id_with_a_total() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    for i in 0..24 {
        app.create_user(&format!("member{i:02}")).await;
    }
    let api = app.api(&token);
    let first = api.get_body("/users").await;
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 20);
    assert_eq!(first["total"], 25);
    let ids: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered by id");
    assert!(first["items"][0].get("password_hash").is_none());

    let second = api.get_body("/users?page=2").await;
    assert_eq!(second["items"].as_array().unwrap().len(), 5);
    let ten = api.get_body("/users?per_page=10&page=3").await;
    assert_eq!(ten["items"].as_array().unwrap().len(), 5);
    assert_eq!(ten["per_page"], 10);
    let one = api.get_body("/users?per_page=1").await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let all = api.get_body("/users?per_page=100").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 25);
    let past = api.get_body("/users?page=99").await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], 25);
}

#[tokio::test]
async fn bad_paging_values_are_400() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "per_page=0",
        "per_page=101",
        "per_page=1e2",
        "q=%00",
    ] {
        let response = app.api(&token).get(&format!("/users?{query}")).await;
        let body = assert_problem(response, 400).await;
        assert!(
            body["detail"].as_str().unwrap().len() > 3,
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn q_is_a_literal_case_insensitive_substring() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    for name in [
        "Alpha_one",
        "alphaXone",
        "beta.50",
        "gamma-5x0",
        "ALPHA.two",
    ] {
        app.create_user(name).await;
    }
    let api = app.api(&token);
    let names = |body: serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(api.get_body("/users?q=alpha").await),
        ["Alpha_one", "alphaXone", "ALPHA.two"]
    );
    assert_eq!(
        names(api.get_body("/users?q=a_o").await),
        ["Alpha_one"],
        "_ is literal"
    );
    assert_eq!(
        names(api.get_body("/users?q=%25").await),
        Vec::<String>::new(),
        "% is literal"
    );
    assert_eq!(
        names(api.get_body("/users?q=5%250").await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(api.get_body("/users?q=%5C").await),
        Vec::<String>::new(),
        "\\ is literal"
    );
    assert_eq!(
        names(api.get_body("/users?q=.").await),
        ["beta.50", "ALPHA.two"]
    );
    for hostile in [
        "'",
        "\"",
        "' OR 1=1 --",
        "'; DROP TABLE users; --",
        "a%' OR '1'='1",
    ] {
        let query = serde_urlencoded::to_string([("q", hostile)]).unwrap();
        let body = api.get_body(&format!("/users?{query}")).await;
        assert_eq!(body["total"], 0, "{hostile}");
    }
    assert_eq!(app.count_users().await, 6);
}

#[tokio::test]
async fn the_html_list_links_pages_and_keeps_the_search() {
    let app = spawn_app().await;
    app.browser_user().await;
    for i in 0..5 {
        app.create_user(&format!("page_user{i}")).await;
    }
    let response = app.get_html("/users?q=page_user&per_page=2").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("page_user0") && html.contains("page_user1"));
    assert!(!html.contains("page_user2"));
    assert!(
        html.contains("/users?page=2&amp;per_page=2&amp;q=page_user")
            || html.contains("/users?page=2&#38;per_page=2&#38;q=page_user"),
        "{html}"
    );
    assert!(html.contains("Page 1 of 3"));
    let bad = app.get_html("/users?page=zero").await;
    assert_eq!(bad.status().as_u16(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Page must be a whole number")
    );
}

#[tokio::test]
async fn a_profile_by_id_and_404_for_unknown_or_non_numeric_ids() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    let body = app
        .api(&token)
        .get_body(&format!("/users/{}", user["id"]))
        .await;
    assert_eq!(body, user);
    for id in ["999999", "0", "-1", "abc", "1.5", "99999999999999999999"] {
        let response = app.api(&token).get(&format!("/users/{id}")).await;
        assert_problem(response, 404).await;
    }
    app.browser_user().await;
    let html = app.get_html(&format!("/users/{}", user["id"])).await;
    assert_eq!(html.status().as_u16(), 200);
    assert!(
        html.text()
            .await
            .unwrap()
            .contains(user["username"].as_str().unwrap())
    );
    assert_eq!(app.get_html("/users/abc").await.status().as_u16(), 404);
}

#[tokio::test]
async fn hostile_display_names_are_escaped_on_every_page_that_shows_them() {
    let app = spawn_app().await;
    let hostile = r#"<script>alert("x")</script> & 'quoted'"#;
    let (victim, token) = app.user_with_token().await;
    let response = app
        .api(&token)
        .post("/me", json!({"display_name": hostile}))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    // JSON carries it as data.
    assert_eq!(
        app.api(&token).get_body("/me").await["display_name"],
        hostile
    );

    // The victim's own pages, in a browser.
    let browser = app.another_browser();
    let response = browser
        .browser_login(
            victim["username"].as_str().unwrap(),
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    browser.make_admin(&victim).await;
    for path in [
        "/".to_string(),
        "/me".to_string(),
        "/users".to_string(),
        format!("/users/{}", victim["id"]),
        "/admin".to_string(),
        "/me/sessions".to_string(),
    ] {
        let response = browser.get_html(&path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path} has a raw <script>");
        assert!(!html.contains("'quoted'"), "{path} has raw quotes");
        assert!(!html.contains("& '"), "{path} has a raw ampersand");
    }
}

/// Every user in the database as `(id, username)`, by id: what the directory must agree
/// with, read without keycard's queries.
async fn users_in_database(app: &TestApp) -> Vec<(i64, String)> {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use keycard::db::schema::users;
        let mut conn = PgConnection::establish(&url).unwrap();
        users::table
            .select((users::id, users::username))
            .order(users::id)
            .load::<(i64, String)>(&mut conn)
            .unwrap()
    })
    .await
    .unwrap()
}

/// The ids, by id, of the users whose name contains `q` without regard to case.
fn expected_ids(all: &[(i64, String)], q: &str) -> Vec<i64> {
    let q = q.to_lowercase();
    all.iter()
        .filter(|(_, name)| name.to_lowercase().contains(&q))
        .map(|(id, _)| *id)
        .collect()
}

/// Follows `/users?q=…&per_page=…` from page 1 to the first empty page; returns the ids
/// in the order listed and the total, which every page must agree on.
async fn walk(api: &Api<'_>, q: &str, per_page: usize) -> (Vec<i64>, i64) {
    let mut ids = Vec::new();
    let mut total = None;
    for page in 1..=1000 {
        let query = serde_urlencoded::to_string([
            ("q", q.to_string()),
            ("per_page", per_page.to_string()),
            ("page", page.to_string()),
        ])
        .unwrap();
        let body = api.get_body(&format!("/users?{query}")).await;
        let this_total = body["total"].as_i64().unwrap();
        assert_eq!(*total.get_or_insert(this_total), this_total, "q={q:?}");
        assert_eq!(body["page"], page);
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= per_page, "q={q:?} page {page}");
        if items.is_empty() {
            break;
        }
        ids.extend(items.iter().map(|u| u["id"].as_i64().unwrap()));
    }
    (ids, total.unwrap())
}

/// Searches of every length and kind (the trigram index, the 1- and 2-character
/// substrings, neither) against what the database holds; pages of 2 so that every
/// answer spans pages.
async fn assert_every_search_agrees(app: &TestApp, api: &Api<'_>, queries: &[&str]) {
    let all = users_in_database(app).await;
    let (ids, total) = walk(api, "", 7).await;
    let every: Vec<i64> = all.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, every, "the unfiltered directory");
    assert_eq!(total, every.len() as i64);
    for q in queries {
        let expected = expected_ids(&all, q);
        let (ids, total) = walk(api, q, 2).await;
        assert_eq!(ids, expected, "q={q:?}");
        assert_eq!(total, expected.len() as i64, "total for q={q:?}");
    }
}

const NAMES: &[&str] = &[
    "Alpha_one",
    "alphaXone",
    "beta.50",
    "gamma-5x0",
    "ALPHA.two",
    "a_b",
    "aXb",
    "x__y",
    "x_y",
    "xay",
    "Zz9",
    "q.q",
    "under_score_",
    "__init__",
    "a-b-c",
    "Chuck.Norris",
    "xa__bx",
];

const QUERIES: &[&str] = &[
    "a",
    "A",
    "z",
    "5",
    "_",
    ".",
    "-",
    "al",
    "AL",
    "zz",
    "x_",
    "_y",
    "__",
    "q.",
    ".q",
    "-b",
    "ab",
    "a_b",
    "x_y",
    "x__y",
    "_b",
    "a-b-",
    "_-_",
    "alpha",
    "ALPHA.T",
    "ha_on",
    "PHAx",
    "50",
    "5x0",
    "chuck.n",
    "init",
    "%",
    "%%",
    "a%",
    "5%0",
    "\\",
    "a\\",
    "_%_",
    "é",
    "ß",
    ",",
    "a,b",
    "'",
    "nobody-has-this",
    "ALPHA_one",
    "alp%one",
    "alpha\\x",
    "PHA_",
    "x__",
];

#[tokio::test]
async fn every_kind_of_q_finds_exactly_the_names_that_contain_it() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    app.create_user("Percent_Free").await;
    let values: Vec<String> = NAMES.iter().map(|n| format!("('{n}', 'x')")).collect();
    app.sql(&format!(
        "INSERT INTO users (username, password_hash) VALUES {}",
        values.join(", ")
    ))
    .await;
    let api = app.api(&token);
    assert_every_search_agrees(&app, &api, QUERIES).await;

    // A few answers spelled out, so that the oracle above is not the only judge.
    let names = |body: serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    let body = api.get_body("/users?q=_&per_page=100").await;
    assert_eq!(
        names(body.clone()),
        [
            "Percent_Free",
            "Alpha_one",
            "a_b",
            "x__y",
            "x_y",
            "under_score_",
            "__init__",
            "xa__bx"
        ],
        "_ is literal"
    );
    assert_eq!(body["total"], 8);
    assert_eq!(names(api.get_body("/users?q=X_").await), ["x__y", "x_y"]);
    assert_eq!(names(api.get_body("/users?q=A_B").await), ["a_b"]);
    assert_eq!(names(api.get_body("/users?q=zZ").await), ["Zz9"]);
    assert_eq!(
        names(api.get_body("/users?q=%5C").await),
        Vec::<String>::new()
    );
    assert_eq!(api.get_body("/users?q=%25").await["total"], 0);
}

#[tokio::test]
async fn search_totals_follow_sign_ups_renames_and_deletes() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let api = app.api(&admin);
    let values: Vec<String> = NAMES.iter().map(|n| format!("('{n}', 'x')")).collect();
    app.sql(&format!(
        "INSERT INTO users (username, password_hash) VALUES {}",
        values.join(", ")
    ))
    .await;
    let probes = [
        "a", "x", "_", "al", "x_", "__", "zz", "a_b", "bul", "ULK", "zz_", "al_", "one", "lph",
        "alpha", "init", "q",
    ];
    assert_eq!(api.get_body("/users?q=al").await["total"], 3);
    assert_eq!(api.get_body("/users?q=Q").await["total"], 1);

    // Sign-ups over HTTP, and many rows in one statement.
    for name in ["Alma", "ALBERT_q"] {
        app.create_user(name).await;
    }
    app.sql(
        "INSERT INTO users (username, password_hash) \
         SELECT 'al_bulk' || i, 'x' FROM generate_series(1, 30) AS i",
    )
    .await;
    assert_eq!(api.get_body("/users?q=al").await["total"], 35);
    assert_eq!(api.get_body("/users?q=q").await["total"], 2);
    assert_every_search_agrees(&app, &api, &probes).await;

    // Renames (not something keycard offers, but the counts must not care who writes):
    // a change of case keeps every substring; others add and remove some.
    app.sql("UPDATE users SET username = upper(username) WHERE username LIKE 'al\\_bulk1%'")
        .await;
    app.sql("UPDATE users SET username = username || 'q' WHERE username LIKE 'al\\_bulk2%'")
        .await;
    app.sql("UPDATE users SET username = 'zz_' || id WHERE username = 'xay'")
        .await;
    // Updates that touch no name leave everything as it was.
    app.sql("UPDATE users SET display_name = 'Someone', updated_at = now()")
        .await;
    assert_eq!(api.get_body("/users?q=q").await["total"], 13);
    assert_every_search_agrees(&app, &api, &probes).await;

    // Deletes: through the dashboard, and many rows in one statement.
    let all = users_in_database(&app).await;
    let some_alpha = all.iter().find(|(_, n)| n == "alphaXone").unwrap().0;
    let response = api
        .post(&format!("/admin/users/{some_alpha}/delete"), json!({}))
        .await;
    assert_eq!(response.status().as_u16(), 204);
    app.sql("DELETE FROM users WHERE username ILIKE 'al\\_bulk%' AND id % 3 = 0")
        .await;
    assert_every_search_agrees(&app, &api, &probes).await;
    assert_eq!(
        api.get_body("/users").await["total"],
        users_in_database(&app).await.len()
    );
}

#[tokio::test]
async fn deep_pages_list_every_user_once_in_id_order_after_deletes() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_with_token().await;
    let api = app.api(&admin);
    app.sql(
        "INSERT INTO users (username, password_hash) \
         SELECT 'deep' || i, 'x' FROM generate_series(1, 400) AS i",
    )
    .await;
    // Holes: a run, scattered rows, and single deletes through the dashboard.
    app.sql("DELETE FROM users WHERE username IN ('deep100', 'deep101', 'deep102', 'deep103')")
        .await;
    app.sql("DELETE FROM users WHERE username LIKE 'deep%' AND id % 7 = 0")
        .await;
    // Ids far apart too, over more than a hundred blocks of 1024 ids (the counts behind
    // deep pages), then a run of blocks emptied and ids moved to other blocks.
    app.sql(
        "INSERT INTO users (id, username, password_hash) \
         SELECT 10000 + i * 397, 'spread' || i, 'x' FROM generate_series(1, 300) AS i",
    )
    .await;
    app.sql("DELETE FROM users WHERE id BETWEEN 20000 AND 30000")
        .await;
    app.sql("UPDATE users SET id = id + 500000 WHERE id > 10000 AND id % 5 = 0")
        .await;
    app.sql("UPDATE users SET id = id - 9000 WHERE id > 10000 AND id < 11000")
        .await;
    for name in ["deep1", "deep250", "deep399"] {
        let all = users_in_database(&app).await;
        let id = all.iter().find(|(_, n)| n == name).unwrap().0;
        let response = api
            .post(&format!("/admin/users/{id}/delete"), json!({}))
            .await;
        assert_eq!(response.status().as_u16(), 204, "{name}");
    }
    let all: Vec<i64> = users_in_database(&app)
        .await
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert!(all.len() > 600);

    for per_page in [1, 9, 20, 100] {
        let (ids, total) = walk(&api, "", per_page).await;
        assert_eq!(ids, all, "per_page={per_page}");
        assert_eq!(total, all.len() as i64);
    }
    // One deep page on its own: exactly the slice of the list it names.
    let body = api.get_body("/users?per_page=20&page=13").await;
    let ids: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, all[240..260]);
    // Past the end: nothing, with the same total.
    for page in ["1000", "1000000000"] {
        let body = api
            .get_body(&format!("/users?per_page=100&page={page}"))
            .await;
        assert_eq!(body["items"], json!([]));
        assert_eq!(body["total"], all.len());
    }
    // Searches page the same way, whichever index answers them.
    let all = users_in_database(&app).await;
    for q in ["deep3", "p3", "3", "P", "spread1", "d2", "d"] {
        let (ids, total) = walk(&api, q, 6).await;
        let expected = expected_ids(&all, q);
        assert_eq!(ids, expected, "q={q:?}");
        assert_eq!(total, expected.len() as i64, "q={q:?}");
    }
}

/// A search that matches a small share of many users: its first pages come from the
/// matches in the first blocks of ids (the pg_trgm index narrows to them), deeper pages
/// and matches bunched at the end from every match. Every page agrees with the database.
#[tokio::test]
async fn a_common_search_pages_alike_through_the_first_blocks_and_past_them() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token().await;
    app.sql(
        "INSERT INTO users (username, password_hash) \
         SELECT CASE WHEN i % 300 = 0 THEN 'spread_' || i ELSE 'filler' || i END, 'x' \
         FROM generate_series(1, 30000) AS i",
    )
    .await;
    app.sql(
        "INSERT INTO users (username, password_hash) \
         SELECT 'bunched_' || i, 'x' FROM generate_series(1, 40) AS i",
    )
    .await;
    let all = users_in_database(&app).await;
    let api = app.api(&token);
    for (q, per_page) in [("spread", 2), ("SPREAD_", 7), ("bunched", 3), ("ed_1", 5)] {
        let expected = expected_ids(&all, q);
        assert!(expected.len() >= 10, "q={q:?} matches {}", expected.len());
        let (ids, total) = walk(&api, q, per_page).await;
        assert_eq!(ids, expected, "q={q:?}");
        assert_eq!(total, expected.len() as i64, "total for q={q:?}");
    }
}
