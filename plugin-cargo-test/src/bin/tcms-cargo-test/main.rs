//! `tcms-cargo-test`: reports `cargo test` and `cargo nextest run` results to Kiwi TCMS.
//!
//! - `cargo test 2>&1 | tcms-cargo-test`: reads libtest's output (human or JSON format) from
//!   standard input, copies it to standard output, and reports results as they arrive.
//! - `tcms-cargo-test -- cargo test [ARGS]`: runs the command (its standard output and error
//!   together, as `2>&1` would), does the same, and exits with the command's exit status.
//! - `tcms-cargo-test -- cargo nextest run [ARGS]`: runs nextest with a tool configuration
//!   that writes a JUnit report, then reports that report.

mod nextest;
mod stream;

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use tcms_api::report::PluginInfo;
use tcms_cargo_test::libtest::{LibtestParser, Problem};
use tcms_cargo_test::live::{LiveOptions, LiveReport, LiveReporter};
use tcms_cli::progress::ProgressLine;
use tcms_cli::{CliError, CommonArgs, Plugin, exit, output};

/// The program's name in messages.
pub(crate) const PROGRAM: &str = "tcms-cargo-test";

const AFTER_HELP: &str = "\
Examples:
  cargo test --no-fail-fast 2>&1 | tcms-cargo-test --live
  tcms-cargo-test -- cargo test --workspace --no-fail-fast
  tcms-cargo-test -- cargo test -- --test-threads=1     # RUNNING while each test runs
  tcms-cargo-test -- cargo nextest run --no-fail-fast
  tcms-cargo-test saved-cargo-test-output.log

Cases are named <target>::<test name>: the target is the test binary's name without Cargo's
hash suffix (tests/it.rs is `it`, the unit tests of crate my-crate are `my_crate`, doc-tests
of my-crate are `my_crate` too). Output of `cargo test -q` has no test names: run without -q.
Live (`-- cargo test`, or `--live` on a pipe): `running N tests` adds N to the planned count
in the run's notes, a failure lands at once (its text at its binary's end), and with
`--test-threads=1` (libtest prints `test NAME ... ` before the test runs) the running test
is RUNNING in Kiwi TCMS until its result.
With `-- cargo nextest run`, nextest's status lines are read as they come (`Starting N tests`:
the planned count; `PASS`/`FAIL`/...: the status), then its JUnit report gives the text of
each result: ignored tests are not in it.
With `-- COMMAND`, the exit status is the command's when it failed (so CI fails when tests
fail), else this program's. TCMS_REPORT is removed from the command's environment, so tests
using the tcms_cargo_test harness do not report a second time.";

/// Reports `cargo test` / `cargo nextest run` results to Kiwi TCMS.
#[derive(Debug, Parser)]
#[command(
    name = "tcms-cargo-test",
    version,
    after_long_help = format!("{AFTER_HELP}\n\n")
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,

    /// Name results <TARGET>::<test> when the output has no Cargo `Running` header before
    /// them (the output of a test binary run directly).
    #[arg(long, value_name = "TARGET")]
    target: Option<String>,

    /// With `-- cargo nextest run`: read this JUnit report instead of the one nextest is asked
    /// to write.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,

    /// Standard input is a running `cargo test` (`cargo test 2>&1 | tcms-cargo-test --live`):
    /// planned counts per test binary, RUNNING tests (`--test-threads=1`) and failures as they
    /// happen, as with `-- cargo test`.
    #[arg(long, conflicts_with = "files")]
    live: bool,

    /// Saved `cargo test` output to read instead of standard input (`-` is standard input).
    #[arg(value_name = "FILE", conflicts_with = "command")]
    files: Vec<PathBuf>,

    /// The command to run and report: `cargo test [ARGS]` or `cargo nextest run [ARGS]`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

impl Plugin for Cli {
    fn info() -> PluginInfo {
        tcms_cargo_test::plugin_info()
    }

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn main_impl(self) -> Result<u8, CliError> {
        run(self).map_err(|e| CliError::Failed(format!("{e:#}")))
    }
}

fn main() -> ExitCode {
    tcms_cli::run::<Cli>()
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    if cli.command.is_empty() {
        return read_inputs(&cli);
    }
    if nextest::is_nextest(&cli.command) {
        return nextest::run(&cli.command, cli.junit.as_deref(), &cli.common);
    }
    run_libtest_command(&cli)
}

fn parser(cli: &Cli, live: bool) -> LibtestParser {
    let parser = LibtestParser::new().live(live);
    match &cli.target {
        Some(t) => parser.with_default_target(t),
        None => parser,
    }
}

/// The live reporter, shown on `progress`. The run is created with the first test that
/// starts or ends (a build that fails creates nothing).
pub(crate) fn live(common: &CommonArgs, progress: &ProgressLine) -> LiveReporter {
    let args = common.clone();
    let shown = progress.clone();
    let reporter = LiveReporter::spawn(
        LiveOptions::new(tcms_cargo_test::plugin_info(), common.options(None))
            .on_start(move |reporter| shown.suspend(|| output::records(reporter, &args))),
    );
    let handle = reporter.progress();
    progress.follow(move || handle.get());
    reporter
}

/// Standard input, or the files given: parsed and reported as they are read.
fn read_inputs(cli: &Cli) -> anyhow::Result<u8> {
    let mut parser = parser(cli, cli.live);
    let progress = ProgressLine::new(PROGRAM, &cli.common);
    let mut live = live(&cli.common, &progress);
    let mut read_error = false;
    let stdin_only = cli.files.is_empty();
    let inputs: Vec<PathBuf> = if stdin_only {
        vec![PathBuf::from("-")]
    } else {
        cli.files.clone()
    };
    for input in &inputs {
        let result = if input.as_os_str() == "-" {
            if std::io::stdin().is_terminal() {
                progress.suspend(|| {
                    eprintln!(
                        "tcms-cargo-test: reading `cargo test` output from the terminal (end \
                         with Ctrl-D); usually: cargo test 2>&1 | tcms-cargo-test --live"
                    );
                });
            }
            let stdin = std::io::stdin().lock();
            stream::pump(stdin, stdin_only, &mut parser, &mut live, &progress)
        } else {
            std::fs::File::open(input)
                .and_then(|file| stream::pump(file, false, &mut parser, &mut live, &progress))
        };
        if let Err(e) = result {
            progress.suspend(|| eprintln!("tcms-cargo-test: cannot read {}: {e}", input.display()));
            read_error = true;
        }
    }
    let problems = stream::finish(parser, &mut live);
    let report = live.finish(None);
    progress.finish();
    Ok(conclude(&problems, &report, read_error, &cli.common))
}

/// `-- cargo test ...`: runs it, reads its output as it comes, exits with its status.
fn run_libtest_command(cli: &Cli) -> anyhow::Result<u8> {
    let (reader, writer) = std::io::pipe().context("cannot create a pipe")?;
    let mut command = std::process::Command::new(&cli.command[0]);
    command
        .args(&cli.command[1..])
        .env_remove(tcms_api::env::EnvVars::TCMS_REPORT)
        .stdout(writer.try_clone().context("cannot create a pipe")?)
        .stderr(writer);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {:?}", cli.command[0]))?;
    // The command's copies of the pipe's writing end must be gone for the read to end.
    drop(command);
    let mut parser = parser(cli, true);
    let progress = ProgressLine::new(PROGRAM, &cli.common);
    let mut live = live(&cli.common, &progress);
    let read_error = match stream::pump(reader, true, &mut parser, &mut live, &progress) {
        Ok(()) => false,
        Err(e) => {
            progress
                .suspend(|| eprintln!("tcms-cargo-test: cannot read the command's output: {e}"));
            true
        }
    };
    let status = child.wait().context("cannot wait for the command")?;
    let problems = stream::finish(parser, &mut live);
    let report = live.finish(None);
    progress.finish();
    let ours = conclude(&problems, &report, read_error, &cli.common);
    Ok(match stream::exit_status_code(status) {
        0 => ours,
        code => code,
    })
}

/// Prints the problems and what was not reported; the exit code of this program.
fn conclude(
    problems: &[Problem],
    report: &LiveReport,
    read_error: bool,
    common: &CommonArgs,
) -> u8 {
    if let Some(summary) = &report.summary {
        output::finished(
            summary,
            report.journal.as_deref(),
            &tcms_cargo_test::plugin_info().name,
            common,
        );
    }
    for problem in problems {
        eprintln!("tcms-cargo-test: {problem}");
    }
    for error in &report.errors {
        eprintln!("tcms-cargo-test: {error}");
    }
    if report.is_empty() && problems.is_empty() && !read_error && !common.quiet {
        eprintln!("tcms-cargo-test: no test results to report");
    }
    if !report.is_complete() {
        exit::FAILURE
    } else if problems.iter().any(Problem::is_incomplete) {
        exit::INCOMPLETE
    } else if read_error || !problems.is_empty() {
        exit::INPUT
    } else {
        exit::OK
    }
}
