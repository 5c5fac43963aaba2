//! Middleware: every error response, keycard's own (`AppError`) or the framework's
//! (unknown path, wrong method, extractor and actix-files errors), gets its body here:
//! the HTML error page in the site layout or `application/problem+json`, per the
//! negotiated format. A `500` shows the request id and nothing internal. A `Rejection`
//! that carries a form shows that form again to a browser instead.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::error::AppError;
use crate::http::problem::Problem;
use crate::http::{redirect, request_id};
use crate::views::pages::ErrorPage;
use crate::web::answer::Rejection;
use crate::web::layout::layout;
use crate::web::negotiation::{Format, format_of};

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Handler and extractor errors arrive here as responses carrying their error; only
    // a middleware failure is an `Err`, and actix renders that one itself.
    let response = next.call(req).await?.map_into_boxed_body();
    if response.status().as_u16() < 400 {
        return Ok(response);
    }
    let rendered_by_handler = response.response().error().is_none()
        && !matches!(
            response.response().body().size(),
            BodySize::None | BodySize::Sized(0)
        );
    if rendered_by_handler {
        return Ok(response);
    }
    let (request, old) = response.into_parts();
    let new = render(&request, old);
    Ok(ServiceResponse::new(request, new))
}

fn render(req: &HttpRequest, old: HttpResponse) -> HttpResponse {
    let status = old.status();
    let rejection = old.error().and_then(|e| e.as_error::<Rejection>());
    let app_error = old
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .or(rejection.map(|r| &r.error));
    let request_id = request_id::of(req);
    let format = if status == StatusCode::NOT_ACCEPTABLE {
        Format::Json
    } else {
        format_of(req)
    };

    // A form to show again, with the values typed and the messages beside the fields.
    if format == Format::Html
        && let Some(form) = rejection.and_then(|r| r.form(req))
    {
        let body = form.unwrap_or_else(|e| {
            tracing::error!(error = %e, "form page failed to render");
            format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
        });
        let mut new = HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body);
        copy_headers(&old, &mut new, &[header::WWW_AUTHENTICATE]);
        return new;
    }

    if let Some(AppError::Unauthenticated) = app_error
        && format == Format::Html
    {
        let mut redirect = redirect::to_login(req);
        copy_headers(&old, &mut redirect, &[header::WWW_AUTHENTICATE]);
        return redirect;
    }

    let (detail, errors) = match app_error {
        Some(error) => {
            log(error, &request_id);
            let errors = match error {
                AppError::Validation(errors) => Some(errors.clone()),
                _ => None,
            };
            (error.detail(), errors)
        }
        None => {
            if let Some(error) = old.error() {
                tracing::debug!(%status, error = %error, "framework error");
            }
            (Problem::default_detail(status).to_string(), None)
        }
    };
    let mut problem = Problem::new(status, detail);
    problem.errors = errors;
    if let Some(AppError::SecondFactorRequired { mfa_token }) = app_error {
        problem.mfa_required = Some(true);
        problem.mfa_token = Some(mfa_token.expose().to_string());
    }
    if status.is_server_error() {
        problem.request_id = Some(request_id.clone());
    }

    let mut builder = HttpResponse::build(status);
    let mut new = match format {
        Format::Json => builder
            .content_type("application/problem+json")
            .body(serde_json::to_string(&problem).unwrap_or_default()),
        Format::Html => builder
            .content_type("text/html; charset=utf-8")
            .body(error_page(req, &problem)),
    };
    copy_headers(&old, &mut new, &[]);
    new
}

fn error_page(req: &HttpRequest, problem: &Problem) -> String {
    let page = ErrorPage {
        layout: layout(req, &problem.title),
        status: problem.status,
        title: problem.title.clone(),
        detail: problem.detail.clone(),
        errors: problem.errors.clone().unwrap_or_default(),
        request_id: problem.request_id.clone(),
    };
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "error page failed to render");
        format!("{} {}", problem.status, problem.title)
    })
}

/// Keeps the headers that mean something (Allow, Retry-After, WWW-Authenticate,
/// Set-Cookie, ...) and drops the ones describing the old body.
fn copy_headers(old: &HttpResponse, new: &mut HttpResponse, skip: &[header::HeaderName]) {
    for (name, value) in old.headers() {
        if *name == header::CONTENT_TYPE || *name == header::CONTENT_LENGTH || skip.contains(name) {
            continue;
        }
        new.headers_mut().append(name.clone(), value.clone());
    }
    if new.status() == StatusCode::METHOD_NOT_ALLOWED && !new.headers().contains_key(header::ALLOW)
    {
        new.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    }
}

fn log(error: &AppError, request_id: &str) {
    match error {
        AppError::Internal(cause) => {
            tracing::error!(request_id, error = ?cause, "internal error");
        }
        AppError::Unavailable(cause) => {
            tracing::warn!(request_id, cause = %cause, "database unavailable");
        }
        other if other.status_code().is_client_error() => {
            tracing::debug!(request_id, error = %other, "client error");
        }
        _ => {}
    }
}
