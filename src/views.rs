//! What leaves the server: JSON shapes and askama pages.

pub mod audit;
pub mod device;
pub mod json;
pub mod operations;
pub mod pages;
pub mod two_factor;
