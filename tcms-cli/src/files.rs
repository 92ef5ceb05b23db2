//! Reporting file inputs: check everything, then report in chunks.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tcms_api::live::Progress as LiveProgress;
use tcms_api::report::{PluginInfo, ReportError, Reporter, TestResult};

use crate::args::CommonArgs;
use crate::exit;
use crate::inputs::Input;
use crate::output;
use crate::progress::ProgressLine;

/// How many results the engine gets at a time: bounds memory, and shows progress.
pub(crate) const CHUNK: usize = 1000;

/// Reports file inputs with a streaming parser, the same way for every file-based plugin:
///
/// 1. every input is parsed once to the end, so a malformed file is an input error (exit 2,
///    naming file, line and column) before anything is created on the server;
/// 2. the configuration is loaded and the reporter started (exit 1 on errors);
/// 3. every input is parsed again and its results are reported in chunks, so memory stays
///    flat however large the input.
///
/// `parse` opens one input and returns its results. `run_note` is asked after the check, and
/// what it returns is added to the run's notes (e.g. "Bail out! ..."). Returns the exit code.
pub async fn report_files<I, E>(
    plugin: PluginInfo,
    args: &CommonArgs,
    inputs: &[Input],
    parse: impl Fn(&Input) -> Result<I, String>,
    run_note: impl FnOnce() -> Option<String>,
) -> u8
where
    I: Iterator<Item = Result<TestResult, E>>,
    E: std::fmt::Display,
{
    let program = plugin.name.clone();
    // Pass 1: check all input.
    let mut started: Option<DateTime<Utc>> = None;
    let mut count = 0usize;
    for input in inputs {
        let results = match parse(input) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{program}: {e}");
                return exit::INPUT;
            }
        };
        for result in results {
            match result {
                Ok(r) => {
                    count += 1;
                    if let Some(s) = r.started() {
                        started = Some(started.map_or(s, |t| t.min(s)));
                    }
                }
                Err(e) => {
                    eprintln!("{program}: {e}");
                    eprintln!("{program}: nothing was sent to Kiwi TCMS");
                    return exit::INPUT;
                }
            }
        }
    }
    if count == 0 && !args.quiet {
        eprintln!("{program}: warning: no test results in the input");
    }
    // Pass 2: report.
    let mut second_pass_error: Option<String> = None;
    let results = inputs.iter().flat_map(|input| {
        let iter: Box<dyn Iterator<Item = Result<TestResult, String>>> = match parse(input) {
            Ok(it) => Box::new(it.map(|r| r.map_err(|e| e.to_string()))),
            Err(e) => Box::new(std::iter::once(Err(e))),
        };
        iter
    });
    let results = results.map_while(|r| match r {
        Ok(r) => Some(r),
        Err(e) => {
            second_pass_error.get_or_insert(e);
            None
        }
    });
    let note = run_note();
    let attach: Vec<(PathBuf, String)> = if args.attach_report {
        inputs
            .iter()
            .map(|i| {
                let name = if i.is_stdin() {
                    format!("{}-stdin.txt", plugin.name)
                } else {
                    i.path()
                        .file_name()
                        .map_or_else(|| i.name().to_owned(), |n| n.to_string_lossy().into_owned())
                };
                (i.path().to_owned(), name)
            })
            .collect()
    } else {
        Vec::new()
    };
    let code = report_results(plugin, args, started, results, note, count, &attach).await;
    match second_pass_error {
        Some(e) => {
            eprintln!("{program}: the input changed while it was reported: {e}");
            exit::INPUT
        }
        None => code,
    }
}

/// Starts a reporter for `args` (`started`: the run's start date when the input says),
/// reports `results` in chunks of a thousand (progress on stderr for more than one chunk of
/// `total`), adds `note` to the run's notes, finishes, and prints what a report prints
/// ([`output`]). `attach` are files attached to the run (`--attach-report`), with the names
/// they get. Returns the exit code: 0 when every result landed, 1 otherwise.
pub async fn report_results(
    plugin: PluginInfo,
    args: &CommonArgs,
    started: Option<DateTime<Utc>>,
    results: impl IntoIterator<Item = TestResult>,
    note: Option<String>,
    total: usize,
    attach: &[(PathBuf, String)],
) -> u8 {
    let program = plugin.name.clone();
    let mut reporter = match Reporter::connect(plugin, args.options(started)).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{program}: error: {e}");
            return exit::FAILURE;
        }
    };
    output::records(&reporter, args);
    if let Some(note) = note {
        reporter.add_run_note(note);
    }
    let run = reporter.run_id();
    let journal = reporter.journal_path().map(ToOwned::to_owned);
    let mut progress = Progress::new(&program, args, total, &reporter);
    let sent = async {
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut done = 0;
        for result in results {
            chunk.push(result);
            if chunk.len() == CHUNK {
                reporter.report(&chunk).await?;
                done += chunk.len();
                progress.update(done, &reporter);
                chunk.clear();
            }
        }
        reporter.report(&chunk).await?;
        progress.update(done + chunk.len(), &reporter);
        for (path, name) in attach {
            reporter.attach_to_run(path, Some(name)).await?;
        }
        Ok::<(), ReportError>(())
    }
    .await;
    progress.end();
    if let Err(e) = sent {
        eprintln!("{program}: error: {e}");
        if let (Some(run), Some(journal)) = (run, &journal) {
            eprintln!(
                "{program}: the report into {run} is incomplete; run the same command with \
                 `--resume {}` to complete it",
                journal.display()
            );
        }
        return exit::FAILURE;
    }
    match reporter.finish().await {
        Ok(summary) => {
            output::finished(&summary, journal.as_deref(), &program, args);
            exit::for_summary(&summary)
        }
        Err(e) => {
            eprintln!("{program}: error: {e}");
            exit::FAILURE
        }
    }
}

/// Progress of a report on stderr: on a terminal, the [`ProgressLine`] (planned vs sent,
/// counts per status, requests in flight); elsewhere (CI logs) a plain line per thousand
/// results, for reports of more than one chunk. Nothing with `--quiet`.
struct Progress {
    program: String,
    total: usize,
    line: ProgressLine,
    shared: Arc<Mutex<LiveProgress>>,
}

impl Progress {
    fn new(program: &str, args: &CommonArgs, total: usize, reporter: &Reporter) -> Self {
        let line = ProgressLine::new(program, args);
        let shared = Arc::new(Mutex::new(LiveProgress::default()));
        if let Ok(mut p) = shared.lock() {
            p.planned = total;
        }
        let client = reporter.client().clone();
        let source = Arc::clone(&shared);
        line.follow(move || {
            let mut p = source.lock().map(|p| p.clone()).unwrap_or_default();
            p.in_flight = client.requests_in_flight();
            p.requests = client.request_count();
            p
        });
        Self {
            program: program.to_owned(),
            total: if args.quiet { 0 } else { total },
            line,
            shared,
        }
    }

    fn update(&mut self, done: usize, reporter: &Reporter) {
        if let Ok(mut p) = self.shared.lock() {
            p.submitted = done;
            p.reported = done;
            p.accepted = reporter.summary().accepted.clone();
        }
        if self.line.is_shown() || self.total <= CHUNK {
            return;
        }
        let percent = done * 100 / self.total.max(1);
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}: {done}/{} results sent ({percent}%)",
            self.program,
            self.total
        );
    }

    fn end(&mut self) {
        self.line.finish();
    }
}
