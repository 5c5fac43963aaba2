//! The actix layer: the middlewares (each given only the state it needs as app data),
//! the extractors that are not pure HTTP, the responder (`answer`), the page layout and
//! error rendering. It sits above `views`, `auth` and `accounts`, below the handlers.

pub mod answer;
pub mod authenticate;
pub mod client;
pub mod csrf;
pub mod draining;
pub mod flash;
pub mod headers;
pub mod layout;
pub mod negotiation;
pub mod origin;
pub mod query;
pub mod render_errors;
pub mod request_id;
