//! Logging: `tracing` to stderr, filtered by `log.level` (or `RUST_LOG` when set), as
//! text for people or one JSON object per line (`log.format = "json"`) for machines.
//! Nothing logs a secret: tokens, cookies, passwords, codes and `Authorization` values
//! never reach a log call, and requests are logged by route pattern, not path.

use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

pub fn init(level: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_target(true)
            .try_init(),
    };
}
