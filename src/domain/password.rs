//! `NewPassword`: at least 8 characters, at most 72 bytes of UTF-8 (bcrypt's limit:
//! refused, never truncated), not the username, not a common password.

use super::common_passwords;

pub const MIN_CHARS: usize = 8;
pub const MAX_BYTES: usize = 72;

#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

impl NewPassword {
    pub fn parse(value: &str, username: &str) -> Result<Self, String> {
        if value.is_empty() {
            return Err("is required".into());
        }
        if value.chars().count() < MIN_CHARS {
            return Err(format!("must be at least {MIN_CHARS} characters"));
        }
        if value.len() > MAX_BYTES {
            return Err(format!(
                "must be at most {MAX_BYTES} bytes (fewer characters if they are not plain ASCII)"
            ));
        }
        if value.eq_ignore_ascii_case(username) {
            return Err("must not be the same as the username".into());
        }
        if common_passwords::contains(value) {
            return Err("is too common; choose a less guessable password".into());
        }
        Ok(NewPassword(value.to_string()))
    }

    /// An existing password being re-hashed (it was accepted when it was set, under
    /// rules that may since have changed); only the bcrypt limit still applies.
    pub fn unchecked(value: &str) -> Option<Self> {
        (value.len() <= MAX_BYTES).then(|| NewPassword(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_characters_to_seventy_two_bytes_are_accepted() {
        assert!(NewPassword::parse("k3y-card!", "alice").is_ok());
        assert!(NewPassword::parse(&"x7".repeat(36), "alice").is_ok());
        // 24 three-byte characters: 72 bytes exactly.
        assert!(NewPassword::parse(&"€".repeat(24), "alice").is_ok());
    }

    #[test]
    fn short_long_username_and_common_passwords_are_refused() {
        assert!(NewPassword::parse("k3y-car", "alice").is_err());
        assert!(NewPassword::parse(&("x7".repeat(36) + "x"), "alice").is_err());
        assert!(NewPassword::parse(&"€".repeat(25), "alice").is_err());
        assert!(NewPassword::parse("alice-smith", "Alice-Smith").is_err());
        assert!(NewPassword::parse("password", "alice").is_err());
        assert!(NewPassword::parse("Password1", "alice").is_err());
        assert!(NewPassword::parse("", "alice").is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = NewPassword::parse("k3y-card!", "alice").unwrap();
        assert!(!format!("{p:?}").contains("k3y"));
    }
}
