//! The built-in list of common passwords: the 10 000 most common entries of the list
//! Django ships (`django/contrib/auth/common-passwords.txt.gz`, BSD licence), compiled
//! into the binary and compared without regard to case.

use std::collections::HashSet;
use std::sync::LazyLock;

static LIST: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .map(str::trim)
        .collect()
});

pub fn contains(password: &str) -> bool {
    LIST.contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_is_real_and_case_insensitive() {
        assert!(super::LIST.len() >= 9_900);
        assert!(super::contains("password"));
        assert!(super::contains("QWERTY123"));
        assert!(!super::contains("correct horse battery staple keycard"));
    }
}
