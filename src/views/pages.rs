//! askama pages. Every page embeds a `Layout` (filled in by `web::layout`): who is
//! signed in, the CSRF token for the forms in the header, a one-time flash message, and
//! the stylesheet's version.

use askama::Template;

use crate::domain::Role;
use crate::error::FieldErrors;

/// The signed-in user as the navigation shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
}

impl NavUser {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub user: Option<NavUser>,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub asset_version: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub registration_open: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: String,
    pub detail: String,
    pub errors: FieldErrors,
    pub request_id: Option<String>,
}

impl ErrorPage {
    /// The problem's `detail` as a sentence for people: capitalised. (The JSON keeps
    /// the detail as it is.)
    pub fn sentence(&self) -> String {
        crate::error::capitalise(&self.detail)
    }
}

/// What the visitor typed into the sign-up form (never the password).
#[derive(Debug, Clone, Default)]
pub struct RegisterValues {
    pub username: String,
    pub display_name: String,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub layout: Layout,
    pub values: RegisterValues,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
}

/// A user as pages show them (display names are escaped by askama like everything else).
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub two_factor: bool,
    pub created: String,
    /// `2026-11-24 10:00 UTC`, or `never`.
    pub last_sign_in: String,
}

impl UserView {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

impl From<&crate::db::users::User> for UserView {
    fn from(user: &crate::db::users::User) -> Self {
        UserView {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            disabled: user.disabled,
            two_factor: user.two_factor,
            created: readable_time(&user.created_at),
            last_sign_in: user
                .last_sign_in_at
                .as_ref()
                .map_or_else(|| "never".to_string(), readable_time),
        }
    }
}

/// `2026-11-24 10:00 UTC`: what a person reads.
pub fn readable_time(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Page links of a list: previous, numbered window, next.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    pub last: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// (number, href) around the current page.
    pub numbers: Vec<(i64, String)>,
}

impl Pager {
    pub fn new(query: &crate::http::pagination::ListQuery, path: &str, total: i64) -> Pager {
        let last = query.last_page(total);
        let page = query.page;
        let from = (page - 2).max(1);
        let to = (page + 2).min(last);
        Pager {
            page,
            last,
            total,
            prev: (page > 1).then(|| query.href_for(path, (page - 1).min(last))),
            next: (page < last).then(|| query.href_for(path, page + 1)),
            numbers: (from..=to).map(|n| (n, query.href_for(path, n))).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "me.html")]
pub struct MePage {
    pub layout: Layout,
    pub user: UserView,
    pub display_name: String,
    pub errors: FieldErrors,
}

pub struct SessionView {
    pub id: String,
    /// Started with a second factor.
    pub mfa: bool,
    pub device: String,
    pub user_agent: String,
    pub client_address: String,
    pub started: String,
    pub last_used: String,
    pub current: bool,
}

impl SessionView {
    pub fn new(session: &crate::db::sessions::Session, current: bool) -> Self {
        SessionView {
            id: session.id.to_string(),
            mfa: session.mfa,
            device: crate::views::device::describe(&session.user_agent),
            user_agent: session.user_agent.clone(),
            client_address: session.client_address.clone(),
            started: readable_time(&session.created_at),
            last_used: readable_time(&session.last_used_at),
            current,
        }
    }
}

#[derive(Template)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    pub layout: Layout,
    pub sessions: Vec<SessionView>,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub users: Vec<UserView>,
    pub q: String,
    pub pager: Pager,
}

#[derive(Template)]
#[template(path = "user.html")]
pub struct UserPage {
    pub layout: Layout,
    pub user: UserView,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub layout: Layout,
    pub counts: crate::db::directory::Counts,
    pub users: Vec<UserView>,
    pub q: String,
    pub pager: Pager,
    /// The acting admin's id (their own row says "you").
    pub me: i64,
    /// Showing the "sign everyone out" confirmation.
    pub confirm_revoke_all: bool,
    /// The user whose second-factor reset is being confirmed.
    pub confirm_reset_for: Option<i64>,
}

impl AdminPage {
    pub fn confirming_reset_of(&self, id: &i64) -> bool {
        self.confirm_reset_for == Some(*id)
    }
}
