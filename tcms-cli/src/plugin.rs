//! The one shape of a plugin's `main`: parse, log, run, exit.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use clap::{Arg, Command};
use clap_complete::Shell;

use tcms_api::env::{Group, help_text};
use tcms_api::report::{PluginInfo, ReportError};

use crate::args::{ColorWhen, CommonArgs};
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
/// to its `--help`, the version and commit in `--version`, and the hidden `--generate`),
/// sets up logging and runs it. `--color` and `NO_COLOR` apply to the parser's own help and
/// errors too.
pub fn run<P: Plugin>() -> ExitCode {
    let color = ColorWhen::from_args(std::env::args_os());
    let matches = parser::<P>().color(color.clap()).get_matches();
    if let Some(what) = matches.get_one::<Generate>(GENERATE) {
        let program = P::info().name;
        return match generate(command::<P>(), *what, &mut std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{program}: error: cannot write: {e}");
                ExitCode::from(exit::FAILURE)
            }
        };
    }
    let args = match P::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let common = args.common();
    crate::init_logging(common.verbose, common.quiet, common.color);
    let program = P::info().name;
    match args.main_impl() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{program}: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The full command line of `P`, as [`run`] shows it: its own definition, with the
/// configuration variables and exit codes appended to `--help`, and the version with the
/// commit it was built from ([`crate::version`]). What the completions and the man page are
/// made of ([`generate`]).
pub fn command<P: Plugin>() -> Command {
    let command = P::command();
    let examples = command
        .get_after_long_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let version = crate::version::long(&P::info().version);
    command
        .after_long_help(format!(
            "{examples}{}\n{}",
            help_text(&[Group::Server, Group::Target]),
            exit::HELP
        ))
        .version(version)
}

/// [`command`] with the hidden `--generate WHAT`, which prints its shell completions or man
/// page (left out of both).
fn parser<P: Plugin>() -> Command {
    command::<P>().arg(
        Arg::new(GENERATE)
            .long(GENERATE)
            .value_name("WHAT")
            .value_parser(clap::builder::EnumValueParser::<Generate>::new())
            .help("Print the shell completions or the man page of this command")
            .exclusive(true)
            .hide(true),
    )
}

/// `--generate WHAT` for a command whose `main` does not go through [`run`] (one with
/// required subcommands, say): when `args` are exactly `PROGRAM --generate WHAT`, writes
/// that for `definition()` to `out` and returns the exit code; else `None`, and `main` goes
/// on. `scripts/dist` calls `--generate` on every command it packs.
///
/// ```
/// use clap::Command;
///
/// let definition = || {
///     Command::new("tcms").subcommand_required(true).subcommand(Command::new("runs"))
/// };
/// let mut out = Vec::new();
/// let code = tcms_cli::generate_from_args(["tcms", "--generate", "fish"], definition, &mut out);
/// assert!(code.is_some());
/// assert!(String::from_utf8(out).unwrap().contains("complete -c tcms"));
/// let mut out = Vec::new();
/// assert!(tcms_cli::generate_from_args(["tcms", "runs"], definition, &mut out).is_none());
/// ```
pub fn generate_from_args<I, S>(
    args: I,
    definition: impl FnOnce() -> Command,
    out: &mut dyn Write,
) -> Option<ExitCode>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let what = match args.as_slice() {
        [_, flag, what] if flag == "--generate" => what.as_str(),
        [_, flag] => flag.strip_prefix("--generate=")?,
        _ => return None,
    };
    let what = match <Generate as clap::ValueEnum>::from_str(what, false) {
        Ok(what) => what,
        Err(e) => {
            eprintln!("error: --generate: {e}");
            return Some(ExitCode::from(exit::INPUT));
        }
    };
    Some(match generate(definition(), what, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write: {e}");
            ExitCode::from(exit::FAILURE)
        }
    })
}

/// The id and long name of the hidden option of [`command`].
const GENERATE: &str = "generate";

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum Generate {
    /// bash completions (`/usr/share/bash-completion/completions/NAME`).
    Bash,
    /// zsh completions (`_NAME` in a directory of `$fpath`).
    Zsh,
    /// fish completions (`NAME.fish` in `~/.config/fish/completions/`).
    Fish,
    /// elvish completions.
    Elvish,
    /// PowerShell completions.
    Powershell,
    /// The man page (roff, section 1).
    Man,
}

impl Generate {
    /// The file name it is installed under for a command `name` (`name.bash`, `_name`,
    /// `name.fish`, `name.1`, ...), as `scripts/dist` lays them out.
    pub fn file_name(self, name: &str) -> String {
        match self {
            Generate::Bash => name.to_owned(),
            Generate::Zsh => format!("_{name}"),
            Generate::Fish => format!("{name}.fish"),
            Generate::Elvish => format!("{name}.elv"),
            Generate::Powershell => format!("{name}.ps1"),
            Generate::Man => format!("{name}.1"),
        }
    }
}

/// Writes what `what` asks for, of `command` (from [`command`]), to `out`.
pub fn generate(mut command: Command, what: Generate, out: &mut dyn Write) -> std::io::Result<()> {
    let name = command.get_name().to_owned();
    let shell = match what {
        Generate::Man => return clap_mangen::Man::new(command).render(out),
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
        Generate::Elvish => Shell::Elvish,
        Generate::Powershell => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
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

#[cfg(test)]
mod tests {
    use clap::Parser;
    use tcms_api::report::PluginInfo;

    use super::*;

    /// Report my format into Kiwi TCMS.
    #[derive(Debug, Parser)]
    #[command(name = "tcms-mine", version)]
    struct Args {
        /// Input files.
        files: Vec<std::path::PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    }

    impl Plugin for Args {
        fn info() -> PluginInfo {
            PluginInfo::new("tcms-mine", "1.2.3", "[mine]")
        }
        fn common(&self) -> &CommonArgs {
            &self.common
        }
        fn main_impl(self) -> Result<u8, CliError> {
            Ok(exit::OK)
        }
    }

    fn generated(what: Generate) -> String {
        let mut out = Vec::new();
        generate(command::<Args>(), what, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn completions_and_the_man_page_come_from_the_clap_definition() {
        let bash = generated(Generate::Bash);
        assert!(bash.contains("complete -F _tcms__mine"), "{bash}");
        for option in [
            "--summary-md",
            "--max-annotations",
            "--no-annotations",
            "--quiet",
        ] {
            assert!(bash.contains(option), "{option} in {bash}");
        }
        assert!(!bash.contains("--generate"), "hidden: {bash}");
        let zsh = generated(Generate::Zsh);
        assert!(zsh.starts_with("#compdef tcms-mine"), "{zsh}");
        assert!(zsh.contains("--color=[") && zsh.contains("always"), "{zsh}");
        let fish = generated(Generate::Fish);
        assert!(fish.contains("complete -c tcms-mine"), "{fish}");
        assert!(fish.contains("-l summary-md"), "{fish}");
        let man = generated(Generate::Man);
        assert!(man.contains(".TH tcms-mine 1"), "{man}");
        assert!(man.contains("1.2.3"), "{man}");
        // The appended help: environment variables and exit codes are in the man page too.
        assert!(man.contains("TCMS_API_URL"), "{man}");
        assert!(man.contains("Exit codes"), "{man}");
        assert_eq!(Generate::Zsh.file_name("x"), "_x");
        assert_eq!(Generate::Man.file_name("x"), "x.1");
    }

    #[test]
    fn generate_stands_alone_and_the_version_names_the_commit() {
        let matches = parser::<Args>()
            .try_get_matches_from(["tcms-mine", "--generate", "fish"])
            .unwrap();
        assert_eq!(matches.get_one::<Generate>(GENERATE), Some(&Generate::Fish));
        assert!(
            parser::<Args>()
                .try_get_matches_from(["tcms-mine", "--generate", "fish", "-v"])
                .is_err()
        );
        let version = command::<Args>().render_version();
        assert!(version.starts_with("tcms-mine 1.2.3"), "{version}");
        if let Some(commit) = crate::version::COMMIT {
            assert!(version.contains(commit), "{version}");
        }
    }

    #[test]
    fn color_and_quiet() {
        let args = |line: &[&str]| ColorWhen::from_args(line.iter().copied());
        assert_eq!(args(&["x"]), ColorWhen::Auto);
        assert_eq!(args(&["x", "--color", "never"]), ColorWhen::Never);
        assert_eq!(
            args(&["x", "--color=never", "--color=always"]),
            ColorWhen::Always
        );
        assert_eq!(args(&["x", "--", "--color=never"]), ColorWhen::Auto);
        assert!(ColorWhen::Always.enabled(false));
        assert!(!ColorWhen::Never.enabled(true));
        let parsed = Args::try_parse_from(["tcms-mine", "-q", "--color", "never"]).unwrap();
        assert!(parsed.common.quiet);
        assert_eq!(parsed.common.color, ColorWhen::Never);
        assert!(Args::try_parse_from(["tcms-mine", "-q", "-v"]).is_err());
        assert!(
            Args::try_parse_from(["tcms-mine", "--no-annotations", "--max-annotations", "3"])
                .is_err()
        );
    }
}
