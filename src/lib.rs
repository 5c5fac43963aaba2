//! keycard: user accounts over HTTP. Browsers get HTML, programs get JSON, from the
//! same URLs (see CONTRACT.md in the project's shared folder and the README).
//!
//! Layers, lowest first (a module imports only from layers below it; see the README's
//! "Code layout"): `domain`, `error`, `random`, `metrics` → `http` → `settings` → `db` → `auth` →
//! `accounts` → `views` → `web` → `handlers` → `routes`, `state`, `app`, `startup`,
//! `shutdown`, `commands`.

pub(crate) mod accounts;
pub(crate) mod app;
pub(crate) mod auth;
pub mod cli;
pub mod commands;
pub mod db;
pub(crate) mod domain;
pub(crate) mod error;
pub(crate) mod handlers;
pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod random;
pub mod routes;
pub mod settings;
pub mod shutdown;
pub mod startup;
pub(crate) mod state;
pub mod telemetry;
pub(crate) mod views;
pub(crate) mod web;
