//! `GET /`: the home page, or `{"service","version","user"}`.

use actix_web::web;

use crate::accounts::Accounts;
use crate::auth::extract::MaybeUser;
use crate::views::json::{ServiceInfo, UserJson};
use crate::views::pages::HomePage;
use crate::web::answer::Answer;

pub async fn show(accounts: web::Data<Accounts>, MaybeUser(identity): MaybeUser) -> Answer {
    let info = ServiceInfo {
        service: "keycard",
        version: env!("CARGO_PKG_VERSION"),
        user: identity.map(|identity| UserJson::from(&identity.user)),
    };
    let registration_open = accounts.registration_open().is_ok();
    Answer::show(&info, "Home", move |layout| HomePage {
        layout,
        registration_open,
    })
}
