//! What an admin may do to an account (contract §3), each in one transaction.
//!
//! The last-admin rule: the last enabled admin cannot be demoted, disabled or deleted
//! (`409`). Every change that could remove an enabled admin takes one advisory lock
//! first, so two admins acting at the same moment are decided one after the other:
//! the second sees the first's change and is refused.

use diesel::prelude::*;

use serde_json::json;

use crate::accounts::audit;
use crate::accounts::directory::{no_user, parse_user_id};
use crate::accounts::{Accounts, Client};
use crate::db::audit as audit_rows;
use crate::db::directory::{self, Counts};
use crate::db::users::{self, User, UserChanges};
use crate::db::{sessions, two_factor};
use crate::domain::EventKind;
use crate::domain::Role;
use crate::error::AppError;
use crate::http::pagination::ListQuery;

/// Any fixed number: serialises changes to who is an enabled admin.
const ADMIN_SET_LOCK: i64 = 0x6b65_7963_6164;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    SetRole(Role),
    Disable,
    Enable,
    /// Every token of the user stops working.
    Revoke,
    Delete,
    /// The user's second factor goes (a lost phone), and every session with it.
    ResetTwoFactor,
}

impl AdminAction {
    /// The actions without a body, by the name in their path.
    pub fn from_path(name: &str) -> Option<AdminAction> {
        match name {
            "disable" => Some(AdminAction::Disable),
            "enable" => Some(AdminAction::Enable),
            "revoke" => Some(AdminAction::Revoke),
            "delete" => Some(AdminAction::Delete),
            _ => None,
        }
    }

    /// Whether the acting admin loses their access by doing this to themselves.
    pub fn takes_own_access(self) -> bool {
        !matches!(
            self,
            AdminAction::Enable | AdminAction::SetRole(Role::Admin)
        )
    }

    /// Whether the action would leave `user` no longer an enabled admin.
    fn removes_enabled_admin(self, user: &User) -> bool {
        let enabled_admin = user.is_admin() && !user.disabled;
        enabled_admin
            && matches!(
                self,
                AdminAction::SetRole(Role::User) | AdminAction::Disable | AdminAction::Delete
            )
    }

    /// The columns the action changes, if any.
    fn changes(self) -> Option<UserChanges<'static>> {
        let (role, disabled) = match self {
            AdminAction::SetRole(role) => (Some(role), None),
            AdminAction::Disable => (None, Some(true)),
            AdminAction::Enable => (None, Some(false)),
            AdminAction::Revoke | AdminAction::Delete | AdminAction::ResetTwoFactor => {
                return None;
            }
        };
        Some(UserChanges {
            role,
            disabled,
            ..Default::default()
        })
    }

    /// Whether every token of the user stops working (a deleted user's sessions go
    /// with the row).
    fn ends_sessions(self) -> bool {
        matches!(
            self,
            AdminAction::Disable | AdminAction::Revoke | AdminAction::ResetTwoFactor
        )
    }

    /// The revocation it is, as the metrics count it (`None`: no session ends).
    pub fn revokes(self) -> Option<&'static str> {
        matches!(
            self,
            AdminAction::Disable
                | AdminAction::Revoke
                | AdminAction::Delete
                | AdminAction::ResetTwoFactor
        )
        .then(|| self.event_kind().as_str())
    }

    /// What the audit log calls it.
    fn event_kind(self) -> EventKind {
        match self {
            AdminAction::SetRole(_) => EventKind::RoleChanged,
            AdminAction::Disable => EventKind::UserDisabled,
            AdminAction::Enable => EventKind::UserEnabled,
            AdminAction::Revoke => EventKind::UserTokensRevoked,
            AdminAction::Delete => EventKind::UserDeleted,
            AdminAction::ResetTwoFactor => EventKind::TwoFactorReset,
        }
    }

    /// What happened, as the dashboard's flash message says it.
    pub fn done_message(self, username: &str) -> String {
        match self {
            AdminAction::SetRole(Role::Admin) => format!("{username} is now an admin"),
            AdminAction::SetRole(Role::User) => format!("{username} is now a user"),
            AdminAction::Disable => format!("{username} is disabled and signed out"),
            AdminAction::Enable => format!("{username} is enabled"),
            AdminAction::Revoke => format!("{username} is signed out everywhere"),
            AdminAction::Delete => format!("{username} was deleted"),
            AdminAction::ResetTwoFactor => {
                format!("{username}'s two-factor authentication was reset and they were signed out")
            }
        }
    }
}

impl Accounts {
    /// Applies `action` to the user whose id is in the path (see `apply`).
    pub async fn administer(
        &self,
        actor: &User,
        client: &Client,
        id: &str,
        action: AdminAction,
    ) -> Result<User, AppError> {
        let id = parse_user_id(id)?;
        let (actor, client) = (actor.clone(), client.clone());
        self.db(move |conn| apply(conn, id, action, &actor, &client))
            .await
    }

    /// `GET /admin` as JSON: the counts alone.
    pub async fn user_counts(&self) -> Result<Counts, AppError> {
        self.db(|conn| Ok(directory::counts(conn)?)).await
    }

    /// The dashboard: the counts and one page of the user table, in one trip.
    pub async fn dashboard(&self, query: &ListQuery) -> Result<(Counts, Vec<User>, i64), AppError> {
        let (q, offset, limit) = (query.q.clone(), query.offset(), query.per_page);
        self.db(move |conn| {
            let (items, total) = directory::page(conn, &q, offset, limit)?;
            Ok((directory::counts(conn)?, items, total))
        })
        .await
    }

    /// `/admin/revoke-all`: every session of every user ends.
    pub async fn sign_out_everyone(&self, actor: &User, client: &Client) -> Result<(), AppError> {
        let mut event = audit::event(EventKind::EveryoneSignedOut, Some(actor), None, client);
        self.db(move |conn| {
            conn.transaction(|conn| {
                let ended = sessions::end_everyone(conn)?;
                event.details = json!({"sessions": ended});
                audit_rows::record(conn, &event)?;
                Ok(())
            })
        })
        .await
    }
}

/// Applies `action` to user `id`. Returns the user as they are afterwards (as they were,
/// for `Delete`). Unknown id: `404`; last enabled admin: `409`.
/// The change is recorded in the audit log in the same transaction.
pub fn apply(
    conn: &mut PgConnection,
    id: i64,
    action: AdminAction,
    actor: &User,
    client: &Client,
) -> Result<User, AppError> {
    conn.transaction(|conn| {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({ADMIN_SET_LOCK})"))
            .execute(conn)?;
        let user = User::find_for_update(conn, id)?.ok_or_else(|| no_user(id))?;
        let mut event = audit::event(action.event_kind(), Some(actor), Some(&user), client);
        if let AdminAction::SetRole(role) = action {
            event.details = json!({"from": user.role, "to": role});
        }
        audit_rows::record(conn, &event)?;
        if action.removes_enabled_admin(&user) && users::count_enabled_admins(conn)? <= 1 {
            return Err(AppError::Conflict(format!(
                "{} is the last enabled admin; make another admin first",
                user.username
            )));
        }
        if action.ends_sessions() {
            sessions::end_all_of_user(conn, id, None)?;
            // A sign-in waiting for its code began before this: it gets nothing.
            two_factor::void_waiting_sign_ins(conn, id)?;
        }
        if action == AdminAction::Delete {
            users::delete(conn, id)?; // sessions go with it (ON DELETE CASCADE)
            return Ok(user);
        }
        if action == AdminAction::ResetTwoFactor {
            two_factor::disable(conn, id)?;
            return User::find(conn, id)?.ok_or_else(|| no_user(id));
        }
        Ok(match action.changes() {
            Some(changes) => users::update(conn, id, &changes)?,
            None => user,
        })
    })
}
