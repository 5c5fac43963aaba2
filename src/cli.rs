//! The command line (contract §6). No command means `serve`.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "keycard",
    version,
    about = "keycard: user accounts, sign-in and sessions, as HTML and JSON"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an admin, or promote and re-enable an existing user.
    ///
    /// The password of a new admin comes from KEYCARD_ADMIN_PASSWORD, or is asked for
    /// twice at a prompt without echo. An existing user keeps their password.
    CreateAdmin {
        /// 3-32 characters of A-Z a-z 0-9 _ . -
        username: String,
    },
    /// Print a new random 256-bit secret (for auth.jwt_secret).
    GenSecret,
    /// Validate the settings and print them, secrets redacted.
    CheckConfig,
    /// Seal every stored second-factor secret again with auth.encryption_key, after a
    /// rotation (the old key in auth.previous_encryption_keys until this has run).
    Reseal,
    /// Print a one-time password-reset link for a user (valid auth.reset_link_ttl_secs).
    ResetLink {
        /// The user's name (any letter case).
        username: String,
    },
    /// Print a new private signing key in PEM (PKCS#8), for auth.jwt_private_key.
    GenKey {
        /// The algorithm the key is for (auth.jwt_algorithm).
        #[arg(long = "alg", value_enum, ignore_case = true)]
        alg: KeyAlgorithm,
    },
}

/// The algorithms `gen-key` makes keys for (HS256 takes `gen-secret`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyAlgorithm {
    #[value(name = "ES256")]
    Es256,
    #[value(name = "EdDSA")]
    EdDsa,
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
