//! The one shape of a plugin's `main`: parse, log, run, exit.

use std::future::Future;
use std::process::ExitCode;

use tcms_api::env::{Group, help_text};
use tcms_api::report::{PluginInfo, ReportError};

use crate::args::CommonArgs;
use crate::exit;

/// A command-line plugin: its arguments (a clap parser holding [`CommonArgs`]) and what it
/// does with them.
///
/// ```no_run
/// use clap::Parser;
/// use tcms_api::report::PluginInfo;
/// use tcms_cli::{CliError, CommonArgs, Plugin};
///
/// /// Report my format into Kiwi TCMS.
/// #[derive(Debug, Parser)]
/// struct Args {
///     #[command(flatten)]
///     common: CommonArgs,
/// }
///
/// impl Plugin for Args {
///     fn info() -> PluginInfo {
///         PluginInfo::new("tcms-mine", "1.0", "[mine]")
///     }
///     fn common(&self) -> &CommonArgs {
///         &self.common
///     }
///     fn main_impl(self) -> Result<u8, CliError> {
///         Ok(tcms_cli::exit::OK)
///     }
/// }
///
/// fn main() -> std::process::ExitCode {
///     tcms_cli::run::<Args>()
/// }
/// ```
pub trait Plugin: clap::Parser {
    /// Who reports: the program name (used in messages), version and prefix.
    fn info() -> PluginInfo;

    /// The options every plugin has.
    fn common(&self) -> &CommonArgs;

    /// Does the work and returns the exit code ([`exit`]); an error is printed as
    /// `<program>: error: <message>` and exits with [`CliError::exit_code`].
    fn main_impl(self) -> Result<u8, CliError>;
}

/// Parses the command line of `P` (with the configuration variables and exit codes appended
/// to its `--help`), sets up logging and runs it.
pub fn run<P: Plugin>() -> ExitCode {
    let command = P::command();
    let examples = command
        .get_after_long_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let command = command.after_long_help(format!(
        "{examples}{}\n{}",
        help_text(&[Group::Server, Group::Target]),
        exit::HELP
    ));
    let args = match P::from_arg_matches(&command.get_matches()) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    crate::init_logging(args.common().verbose);
    let program = P::info().name;
    match args.main_impl() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{program}: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs `future` on a current-thread tokio runtime (the plugins need no more).
pub fn block_on<F: Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start: {e}")))?;
    Ok(runtime.block_on(future))
}

/// What went wrong in a plugin, with its exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The input cannot be read or parsed (exit 2): nothing was sent.
    #[error("{0}")]
    Input(String),
    /// Reporting failed: configuration, server, or (a bug) the engine (exit 1).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Anything else that stops the plugin (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl From<tcms_api::Error> for CliError {
    fn from(e: tcms_api::Error) -> Self {
        CliError::Report(ReportError::from(e))
    }
}

impl CliError {
    /// The exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => exit::INPUT,
            CliError::Report(_) | CliError::Failed(_) => exit::FAILURE,
        }
    }
}
