//! What the three command-line plugins (`tcms-junit-xml`, `tcms-tap`, `tcms-cargo-test`)
//! share, so that each `main.rs` holds only its own arguments and input handling:
//!
//! - [`Plugin`] and [`run`]: the one shape of a plugin's `main` (nextest's `main` →
//!   `main_impl`): parse the arguments (the environment table of [`tcms_api::env`] appended
//!   to `--help`), set up logging, run, and turn the outcome into a documented [`exit`] code.
//! - [`CommonArgs`]: the options every plugin has, turned into the engine's plain
//!   [`Options`](tcms_api::report::Options) by [`CommonArgs::options`].
//! - [`inputs`]: files or standard input (spooled, so it can be read twice).
//! - [`report_files`]: check every input to the end, then report it in chunks.
//! - [`output`]: the lines a report prints (`added:`/`reuse:`, the summary, what did not land)
//!   and the CI outputs ([`tcms_ci`]: the Markdown job summary, GitHub step outputs and
//!   annotations), with `--quiet`, `--color`, `--summary-md`, `--max-annotations`.
//! - [`progress`]: the progress line on a terminal (planned vs done, counts per status,
//!   requests in flight), for live and file reports alike.
//! - [`command`] and [`generate`]: the full command line of a plugin, and its shell
//!   completions and man page (the hidden `--generate WHAT`), from the same clap definition;
//!   [`version`]: the version and commit `--version` prints.
//!
//! The SDK (`tcms-api`) has no command-line code and no clap; this crate is where command lines
//! are parsed.

mod args;
pub mod exit;
mod files;
pub mod inputs;
mod logging;
pub mod output;
mod plugin;
pub mod progress;
pub mod version;

pub use args::{ColorWhen, CommonArgs};
pub use files::{report_files, report_results};
pub use logging::init_logging;
pub use plugin::{
    CliError, Generate, Plugin, block_on, command, generate, generate_from_args, run,
};
pub use tcms_ci;
