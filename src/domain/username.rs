//! `Username`: 3–32 characters of `A-Z a-z 0-9 _ . -`, kept as typed.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 32;

impl Username {
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.is_empty() {
            return Err("is required".into());
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err("may only contain letters A-Z, digits, '_', '.' and '-'".into());
        }
        if value.len() < MIN_LEN {
            return Err(format!("must be at least {MIN_LEN} characters"));
        }
        if value.len() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        Ok(Username(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_of_3_to_32_allowed_characters_are_kept_as_typed() {
        for ok in ["abc", "Alice", "a.b-c_d", &"x".repeat(32), "007"] {
            assert_eq!(Username::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn usernames_out_of_bounds_or_with_other_characters_are_refused() {
        for bad in [
            "",
            "ab",
            &"x".repeat(33),
            "al ice",
            "ali@ce",
            "élise",
            "abc\0",
            "a/b",
            "ab\u{200b}",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }
}
