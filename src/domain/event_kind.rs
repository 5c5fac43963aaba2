//! The kinds of security event the audit log records (contract §9), with the names the
//! JSON and the `kind` filter use.

use std::fmt;

macro_rules! kinds {
    ($($variant:ident => $name:literal, $label:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($variant,)*
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The name in JSON, in the database and in `?kind=`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }

            /// What happened, as a person reads it.
            pub fn label(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $label,)*
                }
            }

            pub fn parse(name: &str) -> Option<EventKind> {
                match name {
                    $($name => Some(EventKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    SignUp => "sign_up", "signed up";
    SignIn => "sign_in", "signed in";
    SignInFailed => "sign_in_failed", "failed sign-ins";
    SignInThrottled => "sign_in_throttled", "sign-ins refused by the limit";
    SignOut => "sign_out", "signed out";
    PasswordChanged => "password_changed", "password changed";
    SessionRevoked => "session_revoked", "session revoked";
    SessionsRevoked => "sessions_revoked", "sessions revoked";
    TwoFactorEnabled => "two_factor_enabled", "two-factor authentication turned on";
    TwoFactorDisabled => "two_factor_disabled", "two-factor authentication turned off";
    TwoFactorReset => "two_factor_reset", "two-factor authentication reset by an admin";
    RecoveryCodesReplaced => "recovery_codes_replaced", "new recovery codes made (the old ones stopped working)";
    RoleChanged => "role_changed", "role changed";
    UserDisabled => "user_disabled", "account disabled";
    UserEnabled => "user_enabled", "account enabled";
    UserDeleted => "user_deleted", "account deleted";
    UserTokensRevoked => "user_tokens_revoked", "signed out everywhere by an admin";
    EveryoneSignedOut => "everyone_signed_out", "everyone signed out";
    ResetLinkCreated => "reset_link_created", "password-reset link made";
    PasswordReset => "password_reset", "password reset with a link";
    LockoutCleared => "lockout_cleared", "lockout cleared";
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_back_from_its_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(EventKind::parse("SIGN_IN"), None);
        assert_eq!(EventKind::parse(""), None);
    }
}
