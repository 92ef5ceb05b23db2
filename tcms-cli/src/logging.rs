//! Logging on stderr for the plugins.

use std::io::IsTerminal;

use crate::args::ColorWhen;

/// Sets up logging on stderr: warnings by default, `-v` info, `-vv` debug, `quiet` errors
/// only; `RUST_LOG` overrides. Colour as `color` says (`auto`: on a terminal, without
/// `NO_COLOR`).
pub fn init_logging(verbose: u8, quiet: bool, color: ColorWhen) {
    let default = match verbose {
        _ if quiet => "error",
        0 => "warn",
        1 => "warn,tcms_api=info",
        _ => "debug,hyper=info,reqwest=info,rustls=info,h2=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbose > 1)
        .without_time()
        .with_ansi(color.enabled(std::io::stderr().is_terminal()))
        .try_init();
}
