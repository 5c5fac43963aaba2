//! keycard: user accounts over HTTP. Browsers get HTML, programs get JSON, from the
//! same URLs (see CONTRACT.md in the project's shared folder and the README).

pub mod accounts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod db;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod http;
pub mod random;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod views;
