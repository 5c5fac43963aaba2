//! The second factor (contract §8): enrolment, sign-in with a code (in one body or in
//! two steps), clock tolerance, replay, recovery codes, limits, turning it off, new
//! codes, an admin's reset, the browser's flow, and what is stored. Codes are computed
//! here from the secret the server gave, as an authenticator app would.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{
    PASSWORD, TestApp, assert_is_redirect_to, assert_problem, set_cookie_header, spawn_app,
    spawn_app_with, unique_username,
};

fn now_step() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(secs / 30).unwrap()
}

/// The code of the step `offset` steps from now, from a base32 secret.
pub(crate) fn code(secret: &str, offset: i64) -> String {
    code_at_step(secret, now_step() + offset)
}

fn code_at_step(secret: &str, step: i64) -> String {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    totp.generate(u64::try_from(step * 30).unwrap())
}

/// A user who turned the second factor on with a code of the current step; returns the
/// user, a Bearer token, the base32 secret and the recovery codes.
pub(crate) async fn enrolled(app: &TestApp) -> (Value, String, String, Vec<String>) {
    let (user, token) = app.user_with_token().await;
    let setup = app
        .api(&token)
        .post("/me/2fa/setup", json!({"password": PASSWORD}))
        .await;
    assert_eq!(setup.status().as_u16(), 200);
    let setup: Value = setup.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_string();
    let enabled = app
        .api(&token)
        .post("/me/2fa/enable", json!({"code": code(&secret, 0)}))
        .await;
    assert_eq!(enabled.status().as_u16(), 200);
    let body: Value = enabled.json().await.unwrap();
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (user, token, secret, codes)
}

async fn sign_in(app: &TestApp, user: &Value, code: Option<&str>) -> reqwest::Response {
    let mut body = json!({"username": user["username"], "password": PASSWORD});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    app.post_json_anonymously("/login", &body).await
}

/// The `mfa_token` of a sign-in with the right password and no code.
async fn pending_sign_in(app: &TestApp, user: &Value) -> String {
    let problem = assert_problem(sign_in(app, user, None).await, 401).await;
    assert_eq!(problem["mfa_required"], true, "{problem}");
    problem["mfa_token"].as_str().unwrap().to_string()
}

async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> reqwest::Response {
    app.post_json_anonymously("/login/2fa", &json!({"mfa_token": mfa_token, "code": code}))
        .await
}

#[tokio::test]
async fn enrolment_gives_a_secret_an_otpauth_uri_and_ten_recovery_codes() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    let api = app.api(&token);
    assert_eq!(
        api.get_body("/me/2fa").await,
        json!({"enabled": false, "recovery_codes_left": 0})
    );
    assert_eq!(api.get_body("/me").await["two_factor"], false);

    let wrong = api
        .post("/me/2fa/setup", json!({"password": "not-the-password"}))
        .await;
    assert!(assert_problem(wrong, 422).await["errors"]["password"].is_array());

    let setup: Value = api
        .post("/me/2fa/setup", json!({"password": PASSWORD}))
        .await
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    let username = user["username"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!("otpauth://totp/keycard:{username}?")),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=keycard"));
    // Nothing changes until a code confirms it.
    assert_eq!(api.get_body("/me").await["two_factor"], false);
    assert_eq!(sign_in(&app, &user, None).await.status().as_u16(), 200);

    let wrong = api.post("/me/2fa/enable", json!({"code": "000000x"})).await;
    assert!(assert_problem(wrong, 422).await["errors"]["code"].is_array());
    let far = api
        .post("/me/2fa/enable", json!({"code": code(secret, -3)}))
        .await;
    assert_eq!(far.status().as_u16(), 422, "a code three steps old");

    let enabled: Value = api
        .post("/me/2fa/enable", json!({"code": code(secret, 0)}))
        .await
        .json()
        .await
        .unwrap();
    let codes = enabled["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(api.get_body("/me").await["two_factor"], true);
    assert_eq!(
        api.get_body("/me/2fa").await,
        json!({"enabled": true, "recovery_codes_left": 10})
    );
    let again = api
        .post("/me/2fa/setup", json!({"password": PASSWORD}))
        .await;
    assert_problem(again, 409).await;
}

#[tokio::test]
async fn a_code_of_the_step_before_or_after_is_accepted_and_no_further() {
    let app = spawn_app().await;
    for offset in [-1, 1] {
        // A step that ends while the request is in flight moves the window; try again.
        for attempt in 0.. {
            let (_, token) = app.user_with_token().await;
            let api = app.api(&token);
            let setup: Value = api
                .post("/me/2fa/setup", json!({"password": PASSWORD}))
                .await
                .json()
                .await
                .unwrap();
            let before = now_step();
            let status = api
                .post(
                    "/me/2fa/enable",
                    json!({"code": code(setup["secret"].as_str().unwrap(), offset)}),
                )
                .await
                .status()
                .as_u16();
            if now_step() == before {
                assert_eq!(status, 200, "a code {offset} step(s) from now");
                break;
            }
            assert!(attempt < 3, "the clock kept crossing a step boundary");
        }
    }
}

#[tokio::test]
async fn signing_in_takes_the_code_in_one_body_or_in_a_second_step_and_never_twice() {
    let app = spawn_app().await;
    let (user, _, secret, _) = enrolled(&app).await;

    // The code the second factor was confirmed with is used up.
    let replay = sign_in(&app, &user, Some(&code(&secret, 0))).await;
    assert_eq!(
        assert_problem(replay, 401).await["detail"],
        "wrong or already used code"
    );

    // Two steps: the password, then the code.
    let mfa_token = pending_sign_in(&app, &user).await;
    let signed_in = second_step(&app, &mfa_token, &code(&secret, 1)).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let body: Value = signed_in.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(body["user"]["two_factor"], true);
    let sessions = app.api(token).get_body("/me/sessions").await;
    let current: Vec<&Value> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["mfa"], true, "{sessions}");

    // The waiting sign-in is used up, and so is the code.
    let reused = second_step(&app, &mfa_token, &code(&secret, 1)).await;
    assert_problem(reused, 401).await;
    let replay = sign_in(&app, &user, Some(&code(&secret, 1))).await;
    assert_problem(replay, 401).await;
    let unknown = second_step(&app, "no-such-sign-in", &code(&secret, 1)).await;
    assert_problem(unknown, 401).await;
}

#[tokio::test]
async fn a_wrong_password_says_nothing_about_the_second_factor() {
    let app = spawn_app().await;
    let (user, _, secret, _) = enrolled(&app).await;
    let plain = app.create_user(&unique_username()).await;
    for (who, code) in [
        (&user, None),
        (&user, Some(code(&secret, 1))),
        (&plain, None),
    ] {
        let body =
            json!({"username": who["username"], "password": "wrong-password-1", "code": code});
        let problem = assert_problem(app.post_json_anonymously("/login", &body).await, 401).await;
        assert_eq!(problem["detail"], "wrong username or password");
        assert!(problem.get("mfa_required").is_none() && problem.get("mfa_token").is_none());
    }
}

#[tokio::test]
async fn each_recovery_code_works_once_and_says_how_many_are_left() {
    let app = spawn_app().await;
    let (user, _, _, codes) = enrolled(&app).await;
    for (used, recovery) in codes.iter().enumerate() {
        let response = sign_in(&app, &user, Some(recovery)).await;
        assert_eq!(response.status().as_u16(), 200, "recovery code {used}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["recovery_codes_left"], json!(9 - used));
        let again = sign_in(&app, &user, Some(recovery)).await;
        assert_problem(again, 401).await;
        // The limit counts the refused reuse; a success forgives it.
    }
    let token = app.login_token_with_code(&user, &codes[0]).await;
    assert!(token.is_none(), "every recovery code is used up");
}

#[tokio::test]
async fn wrong_codes_count_as_failed_sign_ins() {
    let app = spawn_app().await;
    let (user, _, secret, _) = enrolled(&app).await;
    let mfa_token = pending_sign_in(&app, &user).await;
    for _ in 0..5 {
        let wrong = second_step(&app, &mfa_token, "000000").await;
        assert_eq!(wrong.status().as_u16(), 401);
    }
    // The username's limit (5) is reached: even the right password and code wait.
    let refused = sign_in(&app, &user, Some(&code(&secret, 1))).await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let rows: i64 = app
        .scalar(&format!(
            "SELECT count(*) AS v FROM login_failures WHERE username_key = lower('{}') AND NOT pending",
            user["username"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rows, 5);
}

#[tokio::test]
async fn turning_it_on_or_off_ends_the_other_sessions() {
    let app = spawn_app().await;
    let (user, token) = app.user_with_token().await;
    let other = app
        .login_token(user["username"].as_str().unwrap(), PASSWORD)
        .await;
    let api = app.api(&token);
    let setup: Value = api
        .post("/me/2fa/setup", json!({"password": PASSWORD}))
        .await
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap();
    let on = api
        .post("/me/2fa/enable", json!({"code": code(secret, 0)}))
        .await;
    assert_eq!(on.status().as_u16(), 200);
    let on: Value = on.json().await.unwrap();
    let codes = on["recovery_codes"].as_array().unwrap();
    assert_eq!(
        app.whoami_bearer(&other).await,
        None,
        "the other session ended"
    );
    assert!(
        app.whoami_bearer(&token).await.is_some(),
        "this one goes on"
    );

    let third = second_step(&app, &pending_sign_in(&app, &user).await, &code(secret, 1)).await;
    let third: Value = third.json().await.unwrap();
    let third = third["token"].as_str().unwrap();

    let missing = api
        .post("/me/2fa/disable", json!({"password": PASSWORD}))
        .await;
    assert!(assert_problem(missing, 422).await["errors"]["code"].is_array());
    let wrong = api
        .post(
            "/me/2fa/disable",
            json!({"password": PASSWORD, "code": "123456"}),
        )
        .await;
    assert!(assert_problem(wrong, 422).await["errors"]["code"].is_array());
    let wrong = api
        .post(
            "/me/2fa/disable",
            json!({"password": "nope-nope-nope", "code": "123456"}),
        )
        .await;
    assert!(assert_problem(wrong, 422).await["errors"]["password"].is_array());
    assert_eq!(
        api.get_body("/me").await["two_factor"],
        true,
        "nothing changed"
    );

    let recovery = api.post("/me/2fa/recovery-codes", json!({})).await;
    assert_problem(recovery, 422).await;
    // A recovery code counts as a code.
    let off = api
        .post(
            "/me/2fa/disable",
            json!({"password": PASSWORD, "code": codes[3]}),
        )
        .await;
    assert_eq!(off.status().as_u16(), 200);
    assert_eq!(
        off.json::<Value>().await.unwrap(),
        json!({"enabled": false, "recovery_codes_left": 0})
    );
    assert_eq!(
        app.whoami_bearer(third).await,
        None,
        "the other session ended"
    );
    assert!(app.whoami_bearer(&token).await.is_some());
    assert_eq!(sign_in(&app, &user, None).await.status().as_u16(), 200);
    let stored: i64 = app
        .scalar(&format!(
            "SELECT count(*) AS v FROM recovery_codes WHERE user_id = {}",
            user["id"]
        ))
        .await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let app = spawn_app().await;
    let (user, token, secret, old) = enrolled(&app).await;
    let new = app.new_recovery_codes(&token, &secret).await;
    assert_eq!(new.len(), 10);
    assert_problem(sign_in(&app, &user, Some(&old[0])).await, 401).await;
    assert_eq!(
        sign_in(&app, &user, Some(&new[0])).await.status().as_u16(),
        200
    );
    assert_eq!(
        app.api(&token).get_body("/me/2fa").await["recovery_codes_left"],
        9
    );
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor_and_the_user_is_signed_out() {
    let app = spawn_app().await;
    let (user, token, _, _) = enrolled(&app).await;
    let (_, admin) = app.admin_with_token().await;
    let path = format!("/admin/users/{}/2fa/reset", user["id"]);
    let refused = app.api(&token).post(&path, json!({})).await;
    assert_eq!(refused.status().as_u16(), 403);
    let reset = app.api(&admin).post(&path, json!({})).await;
    assert_eq!(reset.status().as_u16(), 200);
    let body: Value = reset.json().await.unwrap();
    assert_eq!(body["two_factor"], false);
    assert_eq!(body["id"], user["id"]);
    assert_eq!(app.whoami_bearer(&token).await, None);
    assert_eq!(sign_in(&app, &user, None).await.status().as_u16(), 200);
    let missing = app
        .api(&admin)
        .post("/admin/users/999999/2fa/reset", json!({}))
        .await;
    assert_problem(missing, 404).await;
}

#[tokio::test]
async fn the_browser_signs_in_with_a_second_step_and_its_signed_cookie() {
    let app = spawn_app().await;
    let (user, _, secret, codes) = enrolled(&app).await;
    let username = user["username"].as_str().unwrap();
    let csrf = app.csrf_token().await;
    let response = app
        .post_form(
            "/login",
            &[
                ("username", username),
                ("password", PASSWORD),
                ("next", "/me/sessions"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/login/2fa?next=/me/sessions");
    let pending = set_cookie_header(&response, "mfa_pending").unwrap();
    assert!(
        pending.contains("HttpOnly") && pending.contains("Max-Age=300"),
        "{pending}"
    );
    assert!(set_cookie_header(&response, "access_token").is_none());

    let form = app.get_html("/login/2fa?next=/me/sessions").await;
    assert_eq!(form.status().as_u16(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains(r#"autocomplete="one-time-code""#));
    assert!(html.contains(r#"inputmode="numeric""#));
    assert!(html.contains(r#"name="next" value="/me/sessions""#));

    let wrong = app
        .submit(
            "/login/2fa",
            &[("code", "000000"), ("next", "/me/sessions")],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("wrong or was already used")
    );

    let done = app
        .submit(
            "/login/2fa",
            &[("code", &code(&secret, 1)), ("next", "/me/sessions")],
        )
        .await;
    assert_is_redirect_to(&done, "/me/sessions");
    assert!(set_cookie_header(&done, "access_token").is_some());
    assert!(
        set_cookie_header(&done, "mfa_pending")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(app.whoami().await.as_deref(), Some(username));

    // A recovery code on the same form, and the page says how many are left.
    let other = app.another_browser();
    let csrf = other.csrf_token().await;
    let response = other
        .post_form(
            "/login",
            &[
                ("username", username),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/login/2fa?next=/me");
    let done = other.submit("/login/2fa", &[("code", &codes[0])]).await;
    assert_is_redirect_to(&done, "/me");
    assert!(other.follow_redirect(&done).await.contains("9 left"));

    // Without a waiting sign-in there is nothing to complete.
    let fresh = app.another_browser();
    assert_eq!(fresh.get_html("/login/2fa").await.status().as_u16(), 401);
    assert_eq!(app.get_json("/login/2fa").await.status().as_u16(), 406);
}

#[tokio::test]
async fn the_pages_show_the_secret_as_text_and_a_drawn_qr_code() {
    let app = spawn_app().await;
    app.browser_user().await;
    let page = app.get_html("/me/2fa").await.text().await.unwrap();
    assert!(page.contains(r#"action="/me/2fa/setup""#));
    let wrong = app
        .submit("/me/2fa/setup", &[("password", "wrong-password")])
        .await;
    assert_eq!(wrong.status().as_u16(), 422);
    let setup = app.submit("/me/2fa/setup", &[("password", PASSWORD)]).await;
    assert_eq!(setup.status().as_u16(), 200);
    assert_eq!(setup.headers()["cache-control"], "no-store");
    let html = setup.text().await.unwrap();
    assert!(html.contains("<svg role=\"img\""), "an inline QR code");
    assert!(!html.contains("<script"));
    let start = html.find(r#"id="totp-secret">"#).unwrap() + r#"id="totp-secret">"#.len();
    let grouped = &html[start..start + 39];
    let secret: String = grouped.split(' ').collect();
    assert_eq!(secret.len(), 32, "{grouped}");

    let wrong = app.submit("/me/2fa/enable", &[("code", "12")]).await;
    assert_eq!(wrong.status().as_u16(), 422);
    assert!(
        wrong.text().await.unwrap().contains(grouped),
        "the same secret again"
    );
    let on = app
        .submit("/me/2fa/enable", &[("code", &code(&secret, 0))])
        .await;
    assert_eq!(on.status().as_u16(), 200);
    let html = on.text().await.unwrap();
    assert_eq!(html.matches("<li><code>").count(), 10);
    let page = app.get_html("/me/2fa").await.text().await.unwrap();
    assert!(page.contains("<strong>10</strong>") && page.contains(r#"action="/me/2fa/disable""#));
}

#[tokio::test]
async fn secrets_and_recovery_codes_are_not_stored_in_the_clear() {
    let app = spawn_app().await;
    let (user, _, secret, codes) = enrolled(&app).await;
    let raw = Secret::Encoded(secret).to_bytes().unwrap();
    let stored: Vec<u8> = app
        .bytes(&format!(
            "SELECT totp_secret AS v FROM users WHERE id = {}",
            user["id"]
        ))
        .await;
    assert!(stored.len() > raw.len());
    assert!(!stored.windows(raw.len()).any(|w| w == raw.as_slice()));
    let hashes: i64 = app
        .scalar(&format!(
            "SELECT count(*) AS v FROM recovery_codes WHERE user_id = {} AND length(code_hash) = 32",
            user["id"]
        ))
        .await;
    assert_eq!(hashes, 10);
    for code in &codes {
        let plain: i64 = app
            .scalar(&format!(
                "SELECT count(*) AS v FROM recovery_codes WHERE position(convert_to('{}', 'UTF8') IN code_hash) > 0",
                code.replace('-', "")
            ))
            .await;
        assert_eq!(plain, 0);
    }
}

#[tokio::test]
async fn without_an_encryption_key_a_second_factor_cannot_be_turned_on() {
    let app = spawn_app_with(|s| s.auth.encryption_key = None).await;
    let (_, token) = app.user_with_token().await;
    let refused = app
        .api(&token)
        .post("/me/2fa/setup", json!({"password": PASSWORD}))
        .await;
    let problem = assert_problem(refused, 409).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("auth.encryption_key")
    );
}

impl TestApp {
    /// New recovery codes, confirmed with the code of the next step (the enrolment used
    /// this step's).
    async fn new_recovery_codes(&self, token: &str, secret: &str) -> Vec<String> {
        let response = self
            .api(token)
            .post(
                "/me/2fa/recovery-codes",
                json!({"password": PASSWORD, "code": code(secret, 1)}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    }

    /// A JSON sign-in with a code: the token, or `None` when refused.
    async fn login_token_with_code(&self, user: &Value, code: &str) -> Option<String> {
        let response = sign_in(self, user, Some(code)).await;
        if response.status().as_u16() != 200 {
            return None;
        }
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().map(str::to_string)
    }
}

#[tokio::test]
async fn a_sign_in_waiting_for_its_code_gets_nothing_once_the_account_was_disabled() {
    let app = spawn_app().await;
    let (user, _, secret, _) = enrolled(&app).await;
    let (_, admin) = app.admin_with_token().await;
    let mfa_token = pending_sign_in(&app, &user).await;
    for action in ["disable", "enable"] {
        let path = format!("/admin/users/{}/{action}", user["id"]);
        assert_eq!(
            app.api(&admin)
                .post(&path, json!({}))
                .await
                .status()
                .as_u16(),
            200
        );
    }
    // Enabled again, but the sign-in began before the disable: it is void.
    let late = second_step(&app, &mfa_token, &code(&secret, 1)).await;
    assert_eq!(
        assert_problem(late, 401).await["detail"],
        "this sign-in has expired or was already completed; sign in again with your password"
    );
    // Signing out everywhere voids them too.
    let token = app
        .login_token_with_code(&user, &code(&secret, 1))
        .await
        .unwrap();
    let waiting = pending_sign_in(&app, &user).await;
    assert_eq!(
        app.api(&token)
            .post("/me/logout-all", json!({}))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(second_step(&app, &waiting, "123456").await, 401).await;
    let left = app
        .scalar(&format!(
            "SELECT count(*) AS v FROM mfa_challenges WHERE user_id = {}",
            user["id"]
        ))
        .await;
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_wrong_code_and_new_recovery_codes_are_in_the_audit_log() {
    let app = spawn_app().await;
    let (user, token, secret, _) = enrolled(&app).await;
    let (_, admin) = app.admin_with_token().await;
    let mfa_token = pending_sign_in(&app, &user).await;
    assert_eq!(
        second_step(&app, &mfa_token, "000000")
            .await
            .status()
            .as_u16(),
        401
    );
    let wrong_password = json!({"username": user["username"], "password": "wrong-password-1"});
    app.post_json_anonymously("/login", &wrong_password).await;
    let body = app
        .api(&admin)
        .get_body(&format!(
            "/admin/audit?kind=sign_in_failed&user={}",
            user["id"]
        ))
        .await;
    let mut stages: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["stage"].as_str().unwrap())
        .collect();
    stages.sort_unstable();
    assert_eq!(
        stages,
        ["code", "password"],
        "a right password with a wrong code shows"
    );
    app.new_recovery_codes(&token, &secret).await;
    let replaced = app
        .api(&admin)
        .get_body("/admin/audit?kind=recovery_codes_replaced")
        .await;
    assert_eq!(replaced["total"], 1);
}
