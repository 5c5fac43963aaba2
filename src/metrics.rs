//! Prometheus metrics (contract §9), in a registry of this instance's own (so that
//! several apps in one test process never mix their counts). Labels are bounded:
//! route patterns (never raw paths), methods, statuses, representations, outcomes and
//! configured key ids; never usernames, ids or addresses.
//!
//! The families, all prefixed `keycard_`: `http_requests_total{route,method,status,
//! format}`, `http_request_duration_seconds{route}`, `sign_ins_total{outcome}`,
//! `revocations_total{kind}`, `token_verifications_total{outcome,kid}`,
//! `db_pool_connections{state}`, `password_hashes{state}`, `build_info{version}`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Request latency buckets, in seconds: 1 ms (a cached page) to 10 s (a sign-in queued
/// behind cost-12 hashes).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `outcome` labels of `sign_ins_total` (`sign_in_outcome`).
const SIGN_IN_OUTCOMES: &[&str] = &[
    "success",
    "wrong_credentials",
    "wrong_code",
    "second_factor_required",
    "expired",
    "throttled",
    "unavailable",
    "invalid",
    "error",
];

/// The `kind` labels of `revocations_total`.
const REVOCATION_KINDS: &[&str] = &[
    "sign_out",
    "refresh",
    "password_changed",
    "session_revoked",
    "sessions_revoked",
    "two_factor_enabled",
    "two_factor_disabled",
    "two_factor_reset",
    "user_tokens_revoked",
    "user_disabled",
    "user_deleted",
    "everyone_signed_out",
    "password_reset",
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    sign_ins: IntCounterVec,
    revocations: IntCounterVec,
    verifications: IntCounterVec,
    pool: IntGaugeVec,
    hashes: IntGaugeVec,
}

fn counter(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let family = IntCounterVec::new(Opts::new(name, help).namespace("keycard"), labels)?;
    registry.register(Box::new(family.clone()))?;
    Ok(family)
}

fn gauge(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    let family = IntGaugeVec::new(Opts::new(name, help).namespace("keycard"), labels)?;
    registry.register(Box::new(family.clone()))?;
    Ok(family)
}

impl Metrics {
    pub fn new() -> anyhow::Result<Metrics> {
        let registry = Registry::new();
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer a request, by route pattern",
            )
            .namespace("keycard")
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )?;
        registry.register(Box::new(latency.clone()))?;
        let build = gauge(
            &registry,
            "build_info",
            "Always 1; the version in a label",
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let metrics = Metrics {
            requests: counter(
                &registry,
                "http_requests_total",
                "Requests answered, by route pattern, method, status and representation",
                &["route", "method", "status", "format"],
            )?,
            latency,
            sign_ins: counter(
                &registry,
                "sign_ins_total",
                "Sign-in attempts, by outcome",
                &["outcome"],
            )?,
            revocations: counter(
                &registry,
                "revocations_total",
                "Sessions or tokens ended, by kind of revocation",
                &["kind"],
            )?,
            verifications: counter(
                &registry,
                "token_verifications_total",
                "Tokens presented, by outcome and the key id that signed them",
                &["outcome", "kid"],
            )?,
            pool: gauge(
                &registry,
                "db_pool_connections",
                "Database pool connections, in use or idle",
                &["state"],
            )?,
            hashes: gauge(
                &registry,
                "password_hashes",
                "Password hashes waiting for a thread or running",
                &["state"],
            )?,
            registry,
        };
        // Every outcome and kind from the start, at 0, so rates work before the first one.
        for outcome in SIGN_IN_OUTCOMES {
            metrics.sign_ins.with_label_values(&[outcome]);
        }
        for kind in REVOCATION_KINDS {
            metrics.revocations.with_label_values(&[kind]);
        }
        Ok(metrics)
    }

    /// One request answered.
    pub fn request(&self, route: &str, method: &str, status: u16, format: &str, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, &status.to_string(), format])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    pub fn sign_in(&self, outcome: &str) {
        self.sign_ins.with_label_values(&[outcome]).inc();
    }

    pub fn revocation(&self, kind: &str) {
        self.revocations.with_label_values(&[kind]).inc();
    }

    /// `kid` must be a configured key's id or `unknown` (a token's header is the
    /// client's to choose).
    pub fn verification(&self, outcome: &str, kid: &str) {
        self.verifications.with_label_values(&[outcome, kid]).inc();
    }

    /// The text a scrape gets, with the gauges read now.
    pub fn render(&self, pool: (u32, u32), hashes: (usize, usize)) -> String {
        let (in_use, idle) = pool;
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(in_use));
        self.pool.with_label_values(&["idle"]).set(i64::from(idle));
        let (waiting, running) = hashes;
        self.hashes
            .with_label_values(&["waiting"])
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        self.hashes
            .with_label_values(&["running"])
            .set(i64::try_from(running).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        match TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(error) => {
                tracing::error!(%error, "metrics could not be encoded");
                String::new()
            }
        }
    }
}

/// What a sign-in attempt came to, as the `outcome` label of `sign_ins_total`.
pub fn sign_in_outcome<T>(result: &Result<T, crate::error::AppError>) -> &'static str {
    use crate::error::AppError;
    match result {
        Ok(_) => "success",
        Err(AppError::BadCredentials) => "wrong_credentials",
        Err(AppError::WrongCode) => "wrong_code",
        Err(AppError::SecondFactorRequired { .. }) => "second_factor_required",
        Err(AppError::SignInExpired) => "expired",
        Err(AppError::TooManyRequests { .. }) => "throttled",
        Err(AppError::Busy(_) | AppError::Unavailable(_)) => "unavailable",
        Err(AppError::Validation(_)) => "invalid",
        Err(_) => "error",
    }
}

/// A method as a label: the standard ones by name, anything else `other`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_holds_every_family_with_bounded_labels() {
        let metrics = Metrics::new().unwrap();
        metrics.request("/users/{id}", "GET", 200, "json", 0.003);
        metrics.sign_in("success");
        metrics.revocation("sign_out");
        metrics.verification("valid", "abc");
        let text = metrics.render((2, 3), (1, 2));
        for line in [
            r#"keycard_http_requests_total{format="json",method="GET",route="/users/{id}",status="200"} 1"#,
            r#"keycard_http_request_duration_seconds_bucket{route="/users/{id}",le="0.005"} 1"#,
            r#"keycard_sign_ins_total{outcome="success"} 1"#,
            r#"keycard_revocations_total{kind="sign_out"} 1"#,
            r#"keycard_token_verifications_total{kid="abc",outcome="valid"} 1"#,
            r#"keycard_db_pool_connections{state="in_use"} 2"#,
            r#"keycard_password_hashes{state="running"} 2"#,
            "keycard_build_info{version=",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert_eq!(method_label("BREW"), "other");
    }
}
