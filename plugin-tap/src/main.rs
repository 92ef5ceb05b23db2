//! `tcms-tap`: report TAP output into Kiwi TCMS, from files or live from a pipe.

use std::cell::RefCell;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tcms_api::live::{LiveOptions, LiveReporter};
use tcms_api::report::{PluginInfo, TestResult};
use tcms_cli::inputs::{self, Input};
use tcms_cli::progress::ProgressLine;
use tcms_cli::{CliError, CommonArgs, Plugin, exit, output};
use tcms_tap::{Options, Parser, Results, Summary};

/// Report TAP (Test Anything Protocol) results into Kiwi TCMS: every file goes into one
/// TestRun.
///
/// Accepts TAP 12, 13 and 14 as real producers write it (prove, node --test, bats, pytest-tap,
/// tape, node-tap): no version line, YAML diagnostics, subtests, plans at either end, and
/// non-TAP lines in between (ignored).
#[derive(Debug, clap::Parser)]
#[command(
    name = "tcms-tap",
    version,
    after_long_help = concat!(
        "Examples:\n",
        "  prove -v t/ | tcms-tap --live --tee\n",
        "  node --test --test-reporter=tap | tcms-tap\n",
        "  bats --tap test/ > bats.tap; tcms-tap bats.tap\n\n",
        "Names: the description without its leading `- ` (`ok 1 - foo` is case `foo`;\n",
        "--compat-summaries keeps the Python plugin's `- foo`); a test point without a\n",
        "description is named `<file stem> #<number>` (`<--name> #<number>` from standard\n",
        "input); a subtest is one case named by the subtest, its nested results in the\n",
        "comment; indented lines after the plan was complete belong to no test and are\n",
        "ignored (-v names their lines).\n",
        "Statuses: ok PASSED, not ok FAILED, # SKIP WAIVED, # TODO PAUSED.\n",
        "`Bail out!` and planned tests that never reported: what ran is reported, the reason\n",
        "is written in the run's notes, and the exit code is 3.\n\n",
    ),
)]
struct Args {
    /// TAP files; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Report from standard input as results arrive: the TestRun exists from the start and
    /// results appear in Kiwi within a second or two; the run is finished at end of input.
    #[arg(long, conflicts_with = "files")]
    live: bool,

    /// Copy standard input to standard output as it is read (with --live), so the log still
    /// shows the test output.
    #[arg(long, requires = "live")]
    tee: bool,

    /// Name cases as the Python tcms-tap-plugin does (`- foo` for `ok 1 - foo`), for a Kiwi
    /// database it filled.
    #[arg(long)]
    compat_summaries: bool,

    /// The stem of the names of test points without a description read from standard input
    /// (`NAME #3`), where there is no file name to take it from: give the file stem the same
    /// output has when it is read from a file (`x.tap` gives `x #3`) to land on the same cases.
    /// Files keep their own stem. (Before this option, standard input gave `<stdin> #3`.)
    #[arg(long, value_name = "NAME", default_value = STDIN_STEM)]
    name: String,

    #[command(flatten)]
    common: CommonArgs,
}

const PROGRAM: &str = "tcms-tap";

/// The default of `--name`.
const STDIN_STEM: &str = "stdin";

/// How `tcms_cli::inputs` names standard input.
const STDIN: &str = "<stdin>";

impl Plugin for Args {
    fn info() -> PluginInfo {
        PluginInfo::new(PROGRAM, env!("CARGO_PKG_VERSION"), "[TAP]")
    }

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn main_impl(self) -> Result<u8, CliError> {
        if self.live {
            Ok(live(&self))
        } else {
            tcms_cli::block_on(files(&self))?
        }
    }
}

fn main() -> ExitCode {
    tcms_cli::run::<Args>()
}

/// The parser's options for the input called `source`.
fn tap_options(args: &Args, source: &str) -> Options {
    let mut options = Options::default();
    options.compat_summaries = args.compat_summaries;
    if source == STDIN {
        options.fallback_stem = Some(args.name.clone());
    }
    options
}

/// Files (or standard input saved first): checked, then reported, as every file plugin does.
async fn files(args: &Args) -> Result<u8, CliError> {
    let inputs = inputs::resolve(&args.files).map_err(CliError::Input)?;
    // The parser's view of each input once it has been read to the end.
    let summaries: RefCell<Vec<Summary>> = RefCell::new(Vec::new());
    let parse = |input: &Input| {
        let reader = input
            .open()
            .map_err(|e| format!("{}: cannot open: {e}", input.name()))?;
        Ok(Tracked {
            inner: Results::new(
                reader,
                input.name().to_owned(),
                tap_options(args, input.name()),
            ),
            summaries: &summaries,
            done: false,
        })
    };
    let note = || {
        let notes: Vec<String> = summaries.borrow().iter().filter_map(incomplete).collect();
        (!notes.is_empty()).then(|| notes.join("\n"))
    };
    let code = tcms_cli::report_files(Args::info(), &args.common, &inputs, parse, note).await;
    // Each input was read twice (check, report): its summary was recorded twice.
    let mut warned = std::collections::HashSet::new();
    for summary in summaries.borrow().iter() {
        if let Some(warning) = ignored_warning(summary)
            && args.common.verbose > 0
            && warned.insert(warning.clone())
        {
            eprintln!("{PROGRAM}: {warning}");
        }
    }
    let incomplete: Vec<String> = summaries.borrow().iter().filter_map(incomplete).collect();
    let mut seen = std::collections::HashSet::new();
    for line in incomplete {
        if seen.insert(line.clone()) {
            eprintln!("{PROGRAM}: {line}");
        }
    }
    Ok(if code == exit::OK && !seen.is_empty() {
        exit::INCOMPLETE
    } else {
        code
    })
}

/// Results of one input; records the parser's summary when the input ends.
struct Tracked<'a, R> {
    inner: Results<R>,
    summaries: &'a RefCell<Vec<Summary>>,
    done: bool,
}

impl<R: BufRead> Iterator for Tracked<'_, R> {
    type Item = Result<TestResult, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.inner.next();
        if next.is_none() && !self.done {
            self.done = true;
            let summary = self.inner.summary();
            let no_tap = no_tap(&summary);
            self.summaries.borrow_mut().push(summary);
            return no_tap.map(|e| Err(InputError::NoTap(e)));
        }
        next.map(|r| r.map_err(InputError::Parse))
    }
}

/// Why an input cannot be reported.
#[derive(Debug, thiserror::Error)]
enum InputError {
    #[error(transparent)]
    Parse(tcms_tap::ParseError),
    /// See [`no_tap`].
    #[error("{0}")]
    NoTap(String),
}

/// The error for an input without any TAP in it (see [`Summary::has_tap`]): an empty file, or
/// only a shell's or compiler's lines, is a test command that failed before it wrote TAP, not
/// a run of zero tests (that is `1..0`).
fn no_tap(summary: &Summary) -> Option<String> {
    if summary.has_tap() {
        return None;
    }
    let source = &summary.source;
    Some(if summary.lines == 0 {
        format!("{source}:1:1: no TAP found: the input is empty")
    } else {
        format!(
            "{source}: no TAP found in its {} line(s): no version line, plan, test point or \
             `Bail out!` (did the test command fail before it wrote any? a run of no tests is \
             `1..0`)",
            summary.lines
        )
    })
}

/// Why an input is incomplete, if it is: bail out, or planned tests that never reported.
fn incomplete(summary: &Summary) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(reason) = &summary.bailed_out {
        parts.push(format!("Bail out! {reason}").trim_end().to_owned());
    }
    for doc in &summary.documents {
        let missing = doc.missing_count();
        if missing > 0 {
            let ranges: Vec<String> = doc
                .missing
                .iter()
                .take(10)
                .map(|r| {
                    if r.start() == r.end() {
                        r.start().to_string()
                    } else {
                        format!("{}-{}", r.start(), r.end())
                    }
                })
                .collect();
            let more = if doc.missing.len() > 10 { ", ..." } else { "" };
            // The source is named once, in front; a `prove` file name inside it here.
            let name = doc
                .name
                .as_deref()
                .map(|n| format!("{n}: "))
                .unwrap_or_default();
            parts.push(format!(
                "{name}{missing} planned test(s) never reported: {}{more}",
                ranges.join(", ")
            ));
        }
    }
    (!parts.is_empty()).then(|| format!("{}: {}", summary.source, parts.join("; ")))
}

/// The warning for indented lines that belonged to no test, if there were any.
fn ignored_warning(summary: &Summary) -> Option<String> {
    if summary.ignored_subtests == 0 {
        return None;
    }
    let lines: Vec<String> = summary
        .ignored_subtest_lines
        .iter()
        .map(u64::to_string)
        .collect();
    let more = if summary.ignored_subtests > lines.len() as u64 {
        ", ..."
    } else {
        ""
    };
    Some(format!(
        "{}: warning: {} block(s) of indented lines belong to no test and were ignored \
         (after the plan was complete, or without a test point), from line(s) {}{more}",
        summary.source,
        summary.ignored_subtests,
        lines.join(", ")
    ))
}

/// How long standard input may stay quiet (`--live`) before the pending result is taken as
/// complete: its YAML block and `#` lines come right after it, the next test's output later.
const QUIET: Duration = Duration::from_millis(300);

/// Standard input, reported as it arrives: results go to the shared live reporter
/// (`tcms_api::live`: batches of 50 about once a second, larger while results queue up, from
/// a background thread), so reading never waits for Kiwi. A result is complete at the next line that is not its YAML
/// block or `#` diagnostics, or after [`QUIET`] without input; the plan's count, a
/// `Bail out!` and the end of input go to the run's notes as they arrive.
fn live(args: &Args) -> u8 {
    let progress = ProgressLine::new(PROGRAM, &args.common);
    // The run exists from the first line.
    let common = args.common.clone();
    let shown = progress.clone();
    let options = LiveOptions::new(Args::info(), args.common.options(None))
        .eager(true)
        .on_start(move |reporter| shown.suspend(|| output::records(reporter, &common)));
    let mut reporter = LiveReporter::spawn(options);
    let handle = reporter.progress();
    progress.follow(move || handle.get());
    let mut options = tap_options(args, STDIN);
    options.live = true;
    let mut parser = Parser::with_options(STDIN, options);
    let lines = match read_lines(args.tee, progress.clone()) {
        Ok(lines) => lines,
        Err(e) => {
            progress.finish();
            eprintln!("{PROGRAM}: error: cannot start reading standard input: {e}");
            return exit::FAILURE;
        }
    };
    let mut input_error: Option<String> = None;
    let mut planned = 0u64;
    let mut bail_noted = false;
    // The pending result could not be flushed (an open YAML block): wait for the next line.
    let mut waiting = false;
    // When the line of the pending result was read: its latency counts from there.
    let mut seen: Option<Instant> = None;
    loop {
        let next = if parser.has_pending() && !waiting {
            match lines.recv_timeout(QUIET) {
                Ok(next) => next,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    match parser.flush() {
                        Some(result) => submit(&mut reporter, result, seen.take()),
                        None => waiting = true,
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match lines.recv() {
                Ok(next) => next,
                Err(_) => break,
            }
        };
        waiting = false;
        let read_at = next.as_ref().map_or_else(|_| Instant::now(), |(_, at)| *at);
        if let Some(e) = handle_line(next, &mut parser, &mut reporter, &mut seen) {
            input_error = Some(e);
            break;
        }
        if parser.has_pending() && seen.is_none() {
            seen = Some(read_at);
        }
        if let Some(now) = parser.planned()
            && now > planned
        {
            reporter.planned(usize::try_from(now - planned).unwrap_or(usize::MAX));
            planned = now;
        }
        if !bail_noted && let Some(reason) = parser.bailed_out() {
            bail_noted = true;
            reporter.add_run_note(bail_note(STDIN, reason));
        }
    }
    if let Some(result) = parser.finish() {
        submit(&mut reporter, result, seen.take());
    }
    let summary = parser.summary();
    if let Some(warning) = ignored_warning(&summary)
        && args.common.verbose > 0
    {
        progress.suspend(|| eprintln!("{PROGRAM}: {warning}"));
    }
    let incomplete_note = incomplete(&summary);
    // The bail out is in the notes already; what else the end of input says, now.
    let mut rest = summary.clone();
    if bail_noted {
        rest.bailed_out = None;
    }
    if let Some(note) = incomplete(&rest) {
        reporter.add_run_note(note);
    }
    if input_error.is_none() {
        input_error = no_tap(&summary);
    }
    if let Some(e) = &input_error {
        reporter.add_run_note(format!("input error: {e}"));
    }
    let report = reporter.finish(None);
    progress.finish();
    if let Some(summary) = &report.summary {
        output::finished(summary, report.journal.as_deref(), PROGRAM, &args.common);
    }
    for error in &report.errors {
        eprintln!("{PROGRAM}: error: {error}");
    }
    let code = if report.is_complete() {
        exit::OK
    } else {
        exit::FAILURE
    };
    if let Some(e) = input_error {
        eprintln!("{PROGRAM}: {e}");
        return exit::INPUT;
    }
    if let Some(note) = incomplete_note {
        eprintln!("{PROGRAM}: {note}");
        if code == exit::OK {
            return exit::INCOMPLETE;
        }
    }
    code
}

/// The run's note for a `Bail out!` of `source`.
fn bail_note(source: &str, reason: &str) -> String {
    format!("{source}: Bail out! {reason}")
        .trim_end()
        .to_owned()
}

/// One line (or the reading error) into the parser; the result it completed to the reporter,
/// its latency counted from when its own line was read (`seen`, taken). Returns the input
/// error, if any.
fn handle_line(
    next: ReadLine,
    parser: &mut Parser,
    reporter: &mut LiveReporter,
    seen: &mut Option<Instant>,
) -> Option<String> {
    match next {
        Ok((line, _)) => match parser.push_bytes(&line) {
            Ok(Some(result)) => {
                submit(reporter, result, seen.take());
                None
            }
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        },
        Err(e) => Some(e),
    }
}

/// Hands a result over, its latency counted from `seen` (else from now).
fn submit(reporter: &mut LiveReporter, result: TestResult, seen: Option<Instant>) {
    reporter.submit_seen(result, seen.unwrap_or_else(Instant::now));
}

/// A line of standard input and when it was read, or why reading stopped.
type ReadLine = Result<(Vec<u8>, Instant), String>;

/// Reads standard input line by line on a thread of its own (so that the reader notices a
/// quiet input), copying each line to stdout first with `tee`.
fn read_lines(tee: bool, progress: ProgressLine) -> std::io::Result<mpsc::Receiver<ReadLine>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("tcms-tap-stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut tee = tee;
            loop {
                let mut line = Vec::new();
                match input.read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {
                        let at = Instant::now();
                        // A closed stdout stops the copy, not the reading.
                        if tee && progress.write_stdout(&line).is_err() {
                            tee = false;
                        }
                        if tx.send(Ok((line, at))).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("{STDIN}: cannot read: {e}")));
                        break;
                    }
                }
            }
        })?;
    Ok(rx)
}
