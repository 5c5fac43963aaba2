//! Who is calling, and may they: tokens, sessions, guards, passwords, sign-in limits.

pub mod authenticate;
pub mod extract;
pub mod hasher;
pub mod identity;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod recovery;
pub mod sealing;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod waiting_lines;
