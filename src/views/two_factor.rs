//! The second-factor pages (contract §8): the status page with its forms, the setup
//! page with the secret and its QR code, the recovery codes, and the sign-in's code step.

use askama::Template;
use qrcode::QrCode;
use qrcode::render::svg;

use crate::accounts::two_factor::{Enrolment, TwoFactorStatus};
use crate::error::FieldErrors;
use crate::views::pages::Layout;

/// `GET /me/2fa`: what it is, and the forms for the state it is in.
#[derive(Template)]
#[template(path = "two_factor.html")]
pub struct TwoFactorPage {
    pub layout: Layout,
    pub status: TwoFactorStatus,
    pub errors: FieldErrors,
    /// Which form `errors` belong to: `setup`, `disable` or `recovery`.
    pub failed_form: &'static str,
}

/// After `POST /me/2fa/setup`: the secret to scan or type, and the code to confirm it.
#[derive(Template)]
#[template(path = "two_factor_setup.html")]
pub struct SetupPage {
    pub layout: Layout,
    pub secret_grouped: String,
    pub otpauth_uri: String,
    /// An inline SVG drawn here: no script, no outside service, allowed by the CSP.
    pub qr_svg: String,
    pub errors: FieldErrors,
}

impl SetupPage {
    pub fn new(layout: Layout, enrolment: &Enrolment, errors: FieldErrors) -> SetupPage {
        SetupPage {
            layout,
            secret_grouped: crate::auth::totp::grouped(&enrolment.secret),
            otpauth_uri: enrolment.otpauth_uri.clone(),
            qr_svg: qr_svg(&enrolment.otpauth_uri),
            errors,
        }
    }
}

/// The recovery codes, shown once.
#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub layout: Layout,
    pub codes: Vec<String>,
    /// Just turned on (rather than new codes replacing old ones).
    pub first_time: bool,
}

/// `GET /login/2fa`: the code step of a sign-in.
#[derive(Template)]
#[template(path = "login_2fa.html")]
pub struct SecondStepPage {
    pub layout: Layout,
    pub next: String,
    pub error: Option<String>,
}

/// `{"recovery_codes":[…]}`.
/// No `Debug`: the codes must never reach a log.
#[derive(serde::Serialize)]
pub struct RecoveryCodesJson {
    pub recovery_codes: Vec<String>,
}

/// The QR code of `text` as an inline `<svg>` element (without the XML prolog, which
/// has no place inside HTML), labelled for assistive technology. The SVG holds only
/// rectangles: nothing of `text` appears in it as markup.
pub fn qr_svg(text: &str) -> String {
    let Ok(code) = QrCode::new(text.as_bytes()) else {
        return String::new();
    };
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = image.find("<svg").unwrap_or(0);
    image[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code of the setup link for your authenticator app\" class=\"qr\"",
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_inline_svg_without_the_text_in_it() {
        let svg = qr_svg("otpauth://totp/keycard:a%3Cb?secret=ABC&issuer=keycard");
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..40]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("otpauth") && !svg.contains("<?xml") && !svg.contains("<script"));
    }
}
