//! Operating keycard (contract §9): `GET /admin/audit`, `GET /me/activity`,
//! `GET /admin/lockouts` and `POST /admin/lockouts/clear`.

use actix_web::web;
use chrono::Utc;
use serde::Deserialize;

use crate::accounts::lockouts::Locked;
use crate::accounts::{Accounts, Client};
use crate::auth::extract::{AdminUser, CurrentUser};
use crate::db::audit::Filter;
use crate::domain::EventKind;
use crate::error::AppError;
use crate::http::audit_query::AuditQuery;
use crate::http::input::Input;
use crate::http::pagination::ListQuery;
use crate::views::audit::{ActivityLine, ActivityPage, AuditPage, EventJson, EventRow};
use crate::views::json::{ListJson, PageJson};
use crate::views::operations::{LockoutJson, LockoutRow, LockoutsPage};
use crate::views::pages::Pager;
use crate::web::answer::Answer;

pub async fn audit(
    accounts: web::Data<Accounts>,
    _: AdminUser,
    query: AuditQuery,
) -> Result<Answer, AppError> {
    let user_id = match &query.user {
        Some(user) => Some(accounts.user_id_for_filter(user).await?.unwrap_or(-1)),
        None => None,
    };
    let filter = Filter {
        kind: query.kind.map(|k| k.as_str().to_string()),
        user_id,
        subject_id: None,
        since: query.since,
        until: query.until,
    };
    let list = query.list.clone();
    let (events, total) = accounts
        .audit_page(filter, list.offset(), list.per_page)
        .await?;
    let json = PageJson::new(events.iter().map(EventJson::from).collect(), &list, total);
    Ok(Answer::show(&json, "Audit log", move |layout| {
        let stamp = |t: Option<chrono::DateTime<Utc>>| {
            t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        AuditPage {
            layout,
            events: events.iter().map(EventRow::from).collect(),
            kinds: EventKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect(),
            kind: query
                .kind
                .map(|k| k.as_str().to_string())
                .unwrap_or_default(),
            user: query.user.clone().unwrap_or_default(),
            since: stamp(query.since),
            until: stamp(query.until),
            pager: Pager::new(&list, &query.path_with_filters("/admin/audit"), total),
        }
    }))
}

pub async fn activity(
    accounts: web::Data<Accounts>,
    CurrentUser(identity): CurrentUser,
    list: ListQuery,
) -> Result<Answer, AppError> {
    let me = identity.user.id;
    let filter = Filter {
        subject_id: Some(me),
        ..Default::default()
    };
    let (mut events, total) = accounts
        .audit_page(filter, list.offset(), list.per_page)
        .await?;
    // What an admin did to this user: who, yes; from which address, no.
    for event in events
        .iter_mut()
        .filter(|e| e.actor_id.is_some_and(|a| a != me))
    {
        event.client_address = None;
        event.request_id = None;
    }
    let json = PageJson::new(events.iter().map(EventJson::from).collect(), &list, total);
    Ok(Answer::show(
        &json,
        "Your security activity",
        move |layout| {
            let now = Utc::now();
            ActivityPage {
                layout,
                lines: events.iter().map(|e| ActivityLine::new(e, now)).collect(),
                pager: Pager::new(&list, "/me/activity", total),
            }
        },
    ))
}

pub async fn lockouts(accounts: web::Data<Accounts>, _: AdminUser) -> Result<Answer, AppError> {
    let locks = accounts.lockouts().await?;
    let json = ListJson {
        items: locks.iter().map(LockoutJson::from).collect(),
    };
    let limits = accounts.limits();
    Ok(Answer::show(&json, "Lockouts", move |layout| {
        let now = Utc::now();
        LockoutsPage {
            layout,
            lockouts: locks.iter().map(|l| LockoutRow::new(l, now)).collect(),
            limit_per_username: limits.0,
            limit_per_address: limits.1,
            window_minutes: limits.2 / 60,
        }
    }))
}

#[derive(Debug, Deserialize)]
pub struct ClearLock {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

pub async fn clear_lockout(
    accounts: web::Data<Accounts>,
    client: Client,
    AdminUser(identity): AdminUser,
    Input(input): Input<ClearLock>,
) -> Result<Answer, AppError> {
    let cleared = accounts
        .clear_lockout(
            &identity.user,
            &client,
            input.username.as_deref(),
            input.address.as_deref(),
        )
        .await?;
    let message = match cleared {
        Locked::Username(name) => format!("The lock on username {name} was cleared"),
        Locked::Address(address) => format!("The lock on address {address} was cleared"),
    };
    Ok(Answer::no_content("/admin/lockouts", message))
}
