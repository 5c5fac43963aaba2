//! `DisplayName`: optional, at most 64 Unicode characters, no control characters.
//! Surrounding white space is trimmed; an empty value clears the name.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

pub const MAX_CHARS: usize = 64;

impl DisplayName {
    /// `Ok(None)` for an empty (or all white space) value.
    pub fn parse(value: &str) -> Result<Option<Self>, &'static str> {
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters");
        }
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err("must be at most 64 characters");
        }
        Ok(Some(DisplayName(trimmed.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[cfg(test)]
    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_four_characters_of_any_script_are_accepted() {
        let name = "é".repeat(64);
        assert_eq!(
            DisplayName::parse(&name).unwrap().unwrap().into_inner(),
            name
        );
        assert_eq!(
            DisplayName::parse("  Alice L.  ")
                .unwrap()
                .unwrap()
                .into_inner(),
            "Alice L."
        );
        assert_eq!(
            DisplayName::parse("<script>&\"'")
                .unwrap()
                .unwrap()
                .into_inner(),
            "<script>&\"'"
        );
    }

    #[test]
    fn empty_clears_the_name() {
        assert_eq!(DisplayName::parse("").unwrap(), None);
        assert_eq!(DisplayName::parse("   ").unwrap(), None);
    }

    #[test]
    fn too_long_or_control_characters_are_refused() {
        assert!(DisplayName::parse(&"a".repeat(65)).is_err());
        for bad in ["a\nb", "a\tb", "a\0b", "a\u{7f}b", "a\u{85}b"] {
            assert!(DisplayName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
