//! Logging set-up: human-readable logs on standard error, filtered by `FLORILEGE_LOG` or `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// Starts logging once. `verbose` raises Florilège's own level to debug.
pub fn init(verbose: bool) {
    let default = if verbose {
        "info,florilege=debug,store=debug"
    } else {
        "info,sqlx=warn"
    };
    let filter = std::env::var("FLORILEGE_LOG")
        .ok()
        .and_then(|value| EnvFilter::try_new(value).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
