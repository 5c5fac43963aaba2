//! The one responder: a handler says *what* it answers once, for both audiences, and
//! `Answer::respond_to` picks the representation the request negotiated (contract §1),
//! fills in the page layout and sets the cookies. `Rejection` is the error twin: an
//! `AppError` that may carry the form to show again, which `web::render_errors` renders
//! for browsers (JSON clients get the problem details as usual).

use std::fmt;

use actix_web::body::BoxBody;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError, web};
use askama::Template;
use serde::Serialize;

use crate::accounts::SignedIn;
use crate::error::{AppError, FieldErrors};
use crate::http::cookies::{self, CookiePolicy};
use crate::http::csrf::{Binding, CsrfKey};
use crate::http::flash::FlashKey;
use crate::http::pending::PendingKey;
use crate::views::json::{TokenJson, UserJson};
use crate::views::pages::Layout;
use crate::web::layout::layout;
use crate::web::negotiation::{Format, format_of};

type RenderPage = Box<dyn FnOnce(Layout) -> Result<String, AppError>>;

/// What JSON clients get.
enum JsonPart {
    Body(StatusCode, Result<Vec<u8>, String>),
    NoContent,
    /// A form-only page (`406`, naming the JSON endpoint to use instead).
    NotAcceptable(&'static str),
    /// A problem (rendered by `web::render_errors`), where browsers go on elsewhere.
    Problem(AppError),
}

/// What browsers get.
enum HtmlPart {
    Page {
        status: StatusCode,
        title: String,
        render: RenderPage,
    },
    SeeOther {
        location: String,
        flash: Option<String>,
    },
}

/// Cookies an answer sets, whatever the representation.
enum CookieChange {
    AccessToken {
        token: String,
        max_age_secs: u64,
    },
    /// A fresh CSRF value bound to a session just started.
    Csrf(Binding),
    /// A sign-in waiting for its second factor (the `mfa_token`, signed on the way out).
    MfaPending(String),
    Clear(&'static str),
}

pub struct Answer {
    json: JsonPart,
    html: HtmlPart,
    location: Option<String>,
    cookies: Vec<CookieChange>,
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| e.to_string())
}

fn page<P: Template>(
    status: StatusCode,
    title: &str,
    page: impl FnOnce(Layout) -> P + 'static,
) -> HtmlPart {
    HtmlPart::Page {
        status,
        title: title.to_string(),
        render: Box::new(move |layout| Ok(page(layout).render()?)),
    }
}

impl Answer {
    /// `200`: `value` as JSON, or the page titled `title`.
    pub fn show<P: Template>(
        value: &impl Serialize,
        title: &str,
        render: impl FnOnce(Layout) -> P + 'static,
    ) -> Answer {
        Answer {
            json: JsonPart::Body(StatusCode::OK, to_json(value)),
            html: page(StatusCode::OK, title, render),
            location: None,
            cookies: Vec::new(),
        }
    }

    /// A form page: JSON clients get `406` with `json_detail` (which names the endpoint
    /// to use instead). `render` may still refuse (registration closed, say).
    pub fn form<P: Template>(
        json_detail: &'static str,
        title: &str,
        render: impl FnOnce(Layout) -> Result<P, AppError> + 'static,
    ) -> Answer {
        Answer {
            json: JsonPart::NotAcceptable(json_detail),
            html: HtmlPart::Page {
                status: StatusCode::OK,
                title: title.to_string(),
                render: Box::new(move |layout| Ok(render(layout)?.render()?)),
            },
            location: None,
            cookies: Vec::new(),
        }
    }

    /// An action that changed something: JSON `200` with `value`, a browser `303` to
    /// `location` saying `message` on the next page.
    pub fn done(value: &impl Serialize, location: &str, message: impl Into<String>) -> Answer {
        Answer {
            json: JsonPart::Body(StatusCode::OK, to_json(value)),
            ..Answer::no_content(location, message)
        }
    }

    /// An action that returns nothing: `204` to a program, a `303` to `location` saying
    /// what happened to a browser.
    pub fn no_content(location: &str, message: impl Into<String>) -> Answer {
        Answer {
            json: JsonPart::NoContent,
            html: HtmlPart::SeeOther {
                location: location.to_string(),
                flash: Some(message.into()),
            },
            location: None,
            cookies: Vec::new(),
        }
    }

    /// `201 Created` with `Location` for a program (a browser is never sent here).
    pub fn created(location: &str, value: &impl Serialize) -> Answer {
        Answer {
            json: JsonPart::Body(StatusCode::CREATED, to_json(value)),
            html: HtmlPart::SeeOther {
                location: location.to_string(),
                flash: None,
            },
            location: Some(location.to_string()),
            cookies: Vec::new(),
        }
    }

    /// A session started or renewed: JSON with the token, or a `303` to `location`
    /// (with an optional message); the token cookie and a CSRF value bound to the
    /// session either way.
    pub fn signed_in(signed_in: &SignedIn, location: &str, message: Option<&str>) -> Answer {
        let issued = &signed_in.issued;
        let body = TokenJson {
            token: issued.token.clone(),
            token_type: "Bearer",
            expires_at: issued.claims.expires_at(),
            user: UserJson::from(&signed_in.user),
            recovery_codes_left: signed_in.recovery_codes_left,
        };
        Answer {
            json: JsonPart::Body(StatusCode::OK, to_json(&body)),
            html: HtmlPart::SeeOther {
                location: location.to_string(),
                flash: message.map(str::to_string),
            },
            location: None,
            cookies: vec![
                CookieChange::AccessToken {
                    token: issued.token.clone(),
                    max_age_secs: issued.max_age_secs(),
                },
                CookieChange::Csrf(Binding::Session(issued.claims.sid)),
            ],
        }
    }

    /// The right password of a user with a second factor and no code: JSON clients get
    /// `required` (the `401` problem with the `mfa_token`); browsers a `303` to the code
    /// form at `location`, the token in the signed `mfa_pending` cookie.
    pub fn second_factor_needed(required: AppError, mfa_token: String, location: &str) -> Answer {
        Answer {
            json: JsonPart::Problem(required),
            html: HtmlPart::SeeOther {
                location: location.to_string(),
                flash: None,
            },
            location: None,
            cookies: vec![CookieChange::MfaPending(mfa_token)],
        }
    }

    /// The same answer, also deleting the cookie `name`.
    pub fn clearing(mut self, name: &'static str) -> Answer {
        self.cookies.push(CookieChange::Clear(name));
        self
    }

    /// The caller's own session ended: `204`, or a `303` to `location` saying so; the
    /// token and CSRF cookies are cleared either way.
    pub fn signed_out(location: &str, message: &str) -> Answer {
        Answer {
            cookies: vec![
                CookieChange::Clear(cookies::ACCESS_TOKEN),
                CookieChange::Clear(cookies::CSRF),
            ],
            ..Answer::no_content(location, message)
        }
    }

    fn respond(self, req: &HttpRequest) -> Result<HttpResponse, AppError> {
        let format = format_of(req);
        let json = match (self.json, format) {
            (JsonPart::Problem(error), Format::Json) => return Err(error),
            (json, _) => json,
        };
        let mut builder = match (&json, format) {
            (JsonPart::NotAcceptable(detail), Format::Json) => {
                return Err(AppError::NotAcceptable((*detail).into()));
            }
            (JsonPart::Body(status, _), Format::Json) => HttpResponse::build(*status),
            (JsonPart::NoContent | JsonPart::Problem(_), Format::Json) => HttpResponse::NoContent(),
            (_, Format::Html) => match &self.html {
                HtmlPart::Page { status, .. } => HttpResponse::build(*status),
                HtmlPart::SeeOther { .. } => HttpResponse::SeeOther(),
            },
        };
        let policy = data::<CookiePolicy>(req)?;
        for change in &self.cookies {
            builder.cookie(match change {
                CookieChange::AccessToken {
                    token,
                    max_age_secs,
                } => policy.access_token(token.clone(), *max_age_secs),
                CookieChange::Csrf(binding) => policy.csrf(data::<CsrfKey>(req)?.mint(*binding)),
                CookieChange::MfaPending(token) => {
                    policy.mfa_pending(data::<PendingKey>(req)?.seal(token))
                }
                CookieChange::Clear(name) => policy.removal(name),
            });
        }
        match format {
            Format::Json => {
                if let Some(location) = &self.location {
                    builder.insert_header((header::LOCATION, location.as_str()));
                }
                match json {
                    JsonPart::Body(_, body) => Ok(builder
                        .content_type("application/json")
                        .body(body.map_err(|e| AppError::internal(anyhow::anyhow!(e)))?)),
                    JsonPart::NoContent | JsonPart::NotAcceptable(_) | JsonPart::Problem(_) => {
                        Ok(builder.finish())
                    }
                }
            }
            Format::Html => match self.html {
                HtmlPart::Page { title, render, .. } => {
                    let body = render(layout(req, &title))?;
                    Ok(builder.content_type("text/html; charset=utf-8").body(body))
                }
                HtmlPart::SeeOther { location, flash } => {
                    builder.insert_header((header::LOCATION, location));
                    if let Some(message) = flash {
                        let sealed = data::<FlashKey>(req)?.seal(&message);
                        builder.cookie(policy.flash(sealed));
                    }
                    Ok(builder.finish())
                }
            },
        }
    }
}

/// A piece of shared state the composition root registers for every request.
fn data<T: 'static>(req: &HttpRequest) -> Result<&web::Data<T>, AppError> {
    req.app_data::<web::Data<T>>().ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "{} is not registered",
            std::any::type_name::<T>()
        ))
    })
}

impl Responder for Answer {
    type Body = BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        self.respond(req).unwrap_or_else(HttpResponse::from_error)
    }
}

type RenderForm = Box<dyn Fn(Layout, &AppError) -> Option<Result<String, AppError>>>;

/// An error, and the form a browser should see again because of it (with the values
/// typed and the messages beside their fields), if any.
pub struct Rejection {
    pub error: AppError,
    form: Option<(String, RenderForm)>,
}

impl Rejection {
    /// The form page for this error, rendered with `layout`, when it has one.
    pub fn form(&self, req: &HttpRequest) -> Option<Result<String, AppError>> {
        let (title, render) = self.form.as_ref()?;
        render(layout(req, title), &self.error)
    }
}

impl From<AppError> for Rejection {
    fn from(error: AppError) -> Self {
        Rejection { error, form: None }
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.error.error_response()
    }
}

/// Attaching the form to show again to a use case's error.
pub trait OrForm<T> {
    /// On a validation error (`422`), browsers see `render`'s page with the messages.
    fn or_form<P: Template>(
        self,
        title: &str,
        render: impl Fn(Layout, &FieldErrors) -> P + 'static,
    ) -> Result<T, Rejection>;

    /// On the errors `render` chooses (returning `Some`), browsers see its page, with
    /// the error's status.
    fn or_form_for<P: Template>(
        self,
        title: &str,
        render: impl Fn(Layout, &AppError) -> Option<P> + 'static,
    ) -> Result<T, Rejection>;
}

impl<T> OrForm<T> for Result<T, AppError> {
    fn or_form<P: Template>(
        self,
        title: &str,
        render: impl Fn(Layout, &FieldErrors) -> P + 'static,
    ) -> Result<T, Rejection> {
        self.or_form_for(title, move |layout, error| match error {
            AppError::Validation(errors) => Some(render(layout, errors)),
            _ => None,
        })
    }

    fn or_form_for<P: Template>(
        self,
        title: &str,
        render: impl Fn(Layout, &AppError) -> Option<P> + 'static,
    ) -> Result<T, Rejection> {
        self.map_err(|error| Rejection {
            error,
            form: Some((
                title.to_string(),
                Box::new(move |layout, error| render(layout, error).map(|page| Ok(page.render()?))),
            )),
        })
    }
}
