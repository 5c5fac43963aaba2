//! `DisplayName`: optional, at most 64 Unicode characters, no control characters and no
//! invisible or direction-changing ones (contract §2). Surrounding white space is
//! trimmed; an empty value clears the name.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

pub const MAX_CHARS: usize = 64;

impl DisplayName {
    /// `Ok(None)` for an empty (or all white space) value.
    pub fn parse(value: &str) -> Result<Option<Self>, String> {
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        if value.chars().any(is_invisible_or_directional) {
            return Err("must not contain invisible or direction-changing characters".into());
        }
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(format!("must be at most {MAX_CHARS} characters"));
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

/// The characters the contract names: zero width space (U+200B), the left-to-right and
/// right-to-left marks (U+200E, U+200F), the bidirectional embeddings and overrides
/// (U+202A–U+202E), word joiner, invisible operators and isolates (U+2060–U+2069), and
/// the zero width no-break space / byte order mark (U+FEFF). They let one name pass for
/// another or reorder the text around it (`admin\u{202E}` …). The zero width non-joiner
/// and joiner (U+200C, U+200D) stay allowed: Persian, Indic scripts and emoji sequences
/// need them.
fn is_invisible_or_directional(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
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

    #[test]
    fn invisible_and_direction_changing_characters_are_refused() {
        let refused = ['\u{200B}', '\u{200E}', '\u{200F}', '\u{FEFF}']
            .into_iter()
            .chain('\u{202A}'..='\u{202E}')
            .chain('\u{2060}'..='\u{2069}');
        for c in refused {
            for name in [format!("a{c}b"), format!("{c}"), format!("Alice{c}")] {
                assert_eq!(
                    DisplayName::parse(&name),
                    Err("must not contain invisible or direction-changing characters".to_string()),
                    "U+{:04X}",
                    u32::from(c)
                );
            }
        }
    }

    #[test]
    fn the_joiners_that_scripts_and_emoji_need_are_allowed() {
        for name in [
            "\u{1F469}\u{200D}\u{1F4BB}",
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
        ] {
            assert_eq!(
                DisplayName::parse(name).unwrap().unwrap().into_inner(),
                name
            );
        }
    }
}
