//! HTTP mechanics shared by every handler: negotiation, errors, request ids, bodies,
//! CSRF, cookies, redirects and response headers.

pub mod client_addr;
pub mod cookies;
pub mod csrf;
pub mod flash;
pub mod format;
pub mod headers;
pub mod input;
pub mod negotiate;
pub mod negotiation;
pub mod origin;
pub mod pagination;
pub mod problem;
pub mod redirect;
pub mod render_errors;
pub mod request_id;
pub mod signing;
