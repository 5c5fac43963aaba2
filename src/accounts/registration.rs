//! Signing up (contract §3 `POST /users`): every field checked at once, the sign-up
//! limit per address, then the hash and the insert.

use diesel::Connection;

use crate::accounts::audit::own;
use crate::accounts::{Accounts, Client, SignedIn};
use crate::auth::throttle;
use crate::db::audit;
use crate::db::users::{NewUser, User};
use crate::domain::EventKind;
use crate::domain::{DisplayName, NewPassword, Role, Username};
use crate::error::{AppError, FieldErrors};

/// A valid sign-up: every field checked, all messages gathered at once.
pub struct Registration {
    pub username: Username,
    pub display_name: Option<DisplayName>,
    pub password: NewPassword,
}

impl Registration {
    pub fn parse(username: &str, display_name: &str, password: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username_ok = Username::parse(username)
            .map_err(|e| errors.add("username", e))
            .ok();
        let display_name = DisplayName::parse(display_name)
            .map_err(|e| errors.add("display_name", e))
            .ok();
        let password = NewPassword::parse(password, username)
            .map_err(|e| errors.add("password", e))
            .ok();
        match (username_ok, display_name, password) {
            (Some(username), Some(display_name), Some(password)) if errors.is_empty() => {
                Ok(Registration {
                    username,
                    display_name,
                    password,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What a sign-up form sent.
pub struct SignUp<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
}

impl Accounts {
    pub fn registration_open(&self) -> Result<(), AppError> {
        if self.settings.registration_open {
            Ok(())
        } else {
            Err(AppError::Forbidden("registration is closed".into()))
        }
    }

    /// Creates the user (role `user`). Closed registration is `403`, invalid fields
    /// `422`, a name taken in any letter case `409`, too many sign-ups from one
    /// address `429` (counted before any hashing).
    pub async fn register(&self, form: SignUp<'_>, client: &Client) -> Result<User, AppError> {
        self.registration_open()?;
        let registration = Registration::parse(form.username, form.display_name, form.password)
            .map_err(AppError::Validation)?;
        let (settings, address) = (self.settings.clone(), client.address.clone());
        self.db(move |conn| throttle::reserve_signup(conn, &settings, &address))
            .await?;
        let hash = self
            .hash_new_password(registration.password.clone())
            .await?;
        let client = client.clone();
        self.db(move |conn| {
            conn.transaction(|conn| {
                let new = NewUser {
                    username: registration.username.as_str(),
                    display_name: registration.display_name.as_ref().map(|d| d.as_str()),
                    password_hash: &hash,
                    role: Role::User,
                };
                let user = new.insert(conn)?;
                audit::record(conn, &own(EventKind::SignUp, &user, &client))?;
                Ok(user)
            })
        })
        .await
    }

    /// A browser's sign-up: the account, and a session in it.
    pub async fn register_and_sign_in(
        &self,
        form: SignUp<'_>,
        client: &Client,
    ) -> Result<SignedIn, AppError> {
        let user = self.register(form, client).await?;
        let (accounts, client) = (self.clone(), client.clone());
        self.db(move |conn| {
            conn.transaction(|conn| {
                let issued = accounts.start_session(conn, &user, &client, false)?;
                super::sign_in::record_sign_in(conn, &user, &client, false)?;
                Ok(SignedIn::new(user, issued))
            })
        })
        .await
    }
}
