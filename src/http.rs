//! HTTP rules with no knowledge of the rest of keycard: content negotiation, problem
//! details, cookies, signed values, CSRF values, flash values, the client address,
//! redirect targets, request ids, pagination, and the request-body extractor. Nothing
//! here imports a module above `error` (see the README's "Code layout").

pub mod audit_query;
pub mod basic;
pub mod bearer;
pub mod body;
pub mod client_addr;
pub mod cookies;
pub mod csrf;
pub mod flash;
pub mod input;
pub mod negotiate;
pub mod origin;
pub mod pagination;
pub mod pending;
pub mod problem;
pub mod redirect;
pub mod request_id;
pub mod signing;
