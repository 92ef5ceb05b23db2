//! What the three command-line plugins share: options, logging, exit codes, and the
//! "load config, report, print the summary" sequence. Enabled by the `cli` feature.
//!
//! A plugin's `main` parses its input into [`TestResult`]s (checking all of it first, so bad
//! input creates nothing on the server), then calls [`report`]. Exit codes are the same for
//! every plugin:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every result was reported (the tests themselves may have failed) |
//! | 1 | configuration or server error, or some results were not reported |
//! | 2 | input error (unreadable or malformed file, bad option) |
//! | 3 | the input says the test run was incomplete (TAP `Bail out!`, planned tests missing) |

use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;

use clap::Args;

use crate::report::{Options, PluginInfo, ReportError, Reporter, Settings, Summary, TestResult};
use crate::{Client, Config, Error};

/// Exit codes shared by every plugin.
pub mod exit {
    /// Every result was reported.
    pub const OK: u8 = 0;
    /// Configuration or server error, or some results were not reported.
    pub const FAILURE: u8 = 1;
    /// The input could not be read or parsed; nothing was sent.
    pub const INPUT: u8 = 2;
    /// The input itself says the test run is incomplete.
    pub const INCOMPLETE: u8 = 3;
}

/// The environment variables and files every plugin reads, for `--help`.
pub const ENV_HELP: &str = "\
Configuration (the first that is set wins for each value):
  command-line options, then ~/.tcms.conf or /etc/tcms.conf ([tcms] url, username,
  password; the first file that exists is read), then the environment:
  TCMS_API_URL, TCMS_USERNAME, TCMS_PASSWORD, TCMS_CA_BUNDLE, TCMS_TLS_VERIFY.

What to report into:
  TCMS_RUN_ID             report into this existing TestRun
  TCMS_PLAN_ID            create the TestRun under this TestPlan
  TCMS_PRODUCT            product  (else TRAVIS_REPO_SLUG, JOB_NAME, GITHUB_REPOSITORY,
                          CI_PROJECT_PATH)
  TCMS_PRODUCT_VERSION    version  (else TRAVIS_COMMIT, TRAVIS_PULL_REQUEST_SHA, GIT_COMMIT,
                          GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME)
  TCMS_BUILD              build    (else TRAVIS_BUILD_NUMBER, BUILD_NUMBER,
                          GITHUB_RUN_NUMBER, CI_PIPELINE_ID)
  TCMS_PARENT_PLAN, TCMS_PREFIX, TCMS_DEFAULT_TESTER_ID as in the Python tcms-api.

Exit codes: 0 reported (tests may have failed), 1 configuration/server error or results
not reported, 2 input error (nothing was sent), 3 incomplete test run (TAP Bail out!,
missing planned tests).";

/// Options every plugin has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Print `added:`/`reuse:` lines for plan and run (as the Python plugins do); twice for
    /// debug logs of every request.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Parse the input and resolve it against the server read-only; print what would be
    /// created and updated; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Write a JSON receipt of what was reported (counts, ids, failures) to this file.
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,

    /// Kiwi TCMS URL (overrides ~/.tcms.conf and TCMS_API_URL).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Seconds one HTTP request may take, a whole batch included (default 120).
    #[arg(long, value_name = "SECONDS", env = "TCMS_TIMEOUT")]
    pub timeout: Option<f64>,

    /// Where to keep the journal of this report (default `tcms-journal-TR<id>.json` in the
    /// current directory). It is written when the run exists and removed when every result
    /// has landed; if some did not, `--resume` it.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// Write no journal (for embedders such as the test harness, where re-running the same
    /// command is the way to complete a report).
    #[arg(long, hide = true)]
    pub no_journal: bool,

    /// Complete the run of an earlier report that did not land entirely: report the same
    /// input again into the run named by this journal. Nothing is duplicated: cases, executions
    /// and comments that landed before are found and kept.
    #[arg(long, value_name = "JOURNAL")]
    pub resume: Option<PathBuf>,
}

/// The journal of a report: enough to complete it with `--resume`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Journal {
    /// The run the report goes into.
    pub run_id: i64,
    /// Its plan.
    pub plan_id: Option<i64>,
    /// The plugin that wrote it.
    pub plugin: String,
    /// Results parsed so far, and how many did not land (0 while the report runs).
    pub parsed: usize,
    /// Results that did not land.
    pub not_reported: usize,
}

/// Where the journal of `run` goes.
pub fn journal_path(args: &CommonArgs, run: crate::TestRunId) -> PathBuf {
    args.journal
        .clone()
        .or_else(|| args.resume.clone())
        .unwrap_or_else(|| PathBuf::from(format!("tcms-journal-TR{}.json", run.get())))
}

fn write_journal(path: &std::path::Path, journal: &Journal) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(journal).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n")?;
    std::fs::rename(&tmp, path)
}

fn read_journal(path: &std::path::Path) -> Result<Journal, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Journal {
        path: path.to_owned(),
        message: source.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| CliError::Journal {
        path: path.to_owned(),
        message: format!("not a journal written by this tool: {e}"),
    })
}

/// Sets up logging on stderr: warnings by default, `-v` info, `-vv` debug; `RUST_LOG`
/// overrides.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
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
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

/// What went wrong in [`report`], with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Configuration incomplete (exit 1, as the specification says).
    #[error(transparent)]
    Config(#[from] Error),
    /// Reporting failed (exit 1).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The journal to resume cannot be used (exit 1).
    #[error("cannot resume from {}: {message}", path.display())]
    Journal {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The receipt could not be written (exit 1).
    #[error("cannot write the receipt {}: {source}", path.display())]
    Receipt {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl CliError {
    /// The exit code for this error.
    pub fn exit_code(&self) -> u8 {
        exit::FAILURE
    }
}

/// How many results the engine gets at a time: bounds memory, and lets a live reporter
/// send as it goes.
pub const CHUNK: usize = 1000;

/// Loads the configuration, starts a reporter and reports `results` in chunks; prints the
/// `added:`/`reuse:` lines with `-v` and the summary line on stdout. `started` is the
/// earliest start of the results when the input says (the new run's start date). Returns the
/// summary; the caller turns it into an exit code with [`exit_code_for`].
pub async fn report(
    plugin: PluginInfo,
    args: &CommonArgs,
    started: Option<chrono::DateTime<chrono::Utc>>,
    results: impl IntoIterator<Item = TestResult>,
) -> Result<Summary, CliError> {
    let mut reporter = start(plugin, args, started).await?;
    let mut chunk = Vec::with_capacity(CHUNK);
    for result in results {
        chunk.push(result);
        if chunk.len() == CHUNK {
            reporter.report(&chunk).await?;
            chunk.clear();
        }
    }
    reporter.report(&chunk).await?;
    finish(reporter, args).await
}

/// Loads configuration and settings and starts a [`Reporter`]; prints `added:`/`reuse:`
/// lines with `-v`. For plugins that feed results as they arrive (live reporting).
pub async fn start(
    plugin: PluginInfo,
    args: &CommonArgs,
    started: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Reporter, CliError> {
    let mut config = Config::builder();
    if let Some(url) = &args.url {
        config = config.url(url.clone());
    }
    let config = config.load().map_err(Error::from)?;
    let mut client = Client::builder();
    if let Some(seconds) = args.timeout.filter(|s| *s > 0.0) {
        client = client.timeout(std::time::Duration::from_secs_f64(seconds));
    }
    let client = client
        .config(config)
        .user_agent(format!("{}/{}", plugin.name, plugin.version))
        .build()?;
    let mut settings = Settings::from_env(plugin).map_err(ReportError::from)?;
    if let Some(path) = &args.resume {
        let journal = read_journal(path)?;
        tracing::info!("resuming TR-{} from {}", journal.run_id, path.display());
        settings.run_id = Some(journal.run_id);
        settings.plan_id = None;
    }
    let options = Options {
        dry_run: args.dry_run,
        started,
        ..Options::default()
    };
    let reporter = Reporter::start(client, settings, options).await?;
    if let (Some(run), false) = (reporter.run_id(), args.dry_run || args.no_journal) {
        let path = journal_path(args, run);
        let journal = Journal {
            run_id: run.get(),
            plan_id: reporter.summary().plan_id.map(|p| p.get()),
            plugin: reporter.settings().plugin.name.clone(),
            parsed: 0,
            not_reported: 0,
        };
        if let Err(e) = write_journal(&path, &journal) {
            tracing::warn!("cannot write the journal {}: {e}", path.display());
        }
    }
    if args.verbose > 0 || args.dry_run {
        let mut out = std::io::stdout().lock();
        for record in reporter.records() {
            let line = if args.dry_run && record.created {
                format!("would add: {} {}", record.kind, record.name)
            } else {
                record.verbose_line()
            };
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(reporter)
}

/// Finishes the run, prints the summary line (and failures on stderr), writes the receipt.
pub async fn finish(reporter: Reporter, args: &CommonArgs) -> Result<Summary, CliError> {
    let run = reporter.run_id();
    let plugin_name = reporter.settings().plugin.name.clone();
    let summary = reporter.finish().await?;
    let mut err = std::io::stderr().lock();
    const LISTED: usize = 20;
    for failure in summary.failures.iter().take(LISTED) {
        let _ = writeln!(err, "not reported: {}: {}", failure.name, failure.error);
    }
    if summary.failures.len() > LISTED {
        let _ = writeln!(
            err,
            "not reported: ... and {} more (all of them are in the --receipt file)",
            summary.failures.len() - LISTED
        );
    }
    if let (Some(run), false) = (run, args.dry_run || args.no_journal) {
        let path = journal_path(args, run);
        if summary.failures.is_empty() {
            let _ = std::fs::remove_file(&path);
        } else {
            let journal = Journal {
                run_id: run.get(),
                plan_id: summary.plan_id.map(|p| p.get()),
                plugin: plugin_name,
                parsed: summary.parsed,
                not_reported: summary.failures.len(),
            };
            let _ = write_journal(&path, &journal);
            let _ = writeln!(
                err,
                "{} of {} result(s) did not land in {run}; run the same command with \
                 `--resume {}` to complete it (nothing is duplicated)",
                summary.failures.len(),
                summary.parsed,
                path.display()
            );
        }
    }
    let _ = writeln!(std::io::stdout().lock(), "{}", summary.line());
    if let Some(path) = &args.receipt {
        write_receipt(path, &summary).map_err(|source| CliError::Receipt {
            path: path.clone(),
            source,
        })?;
    }
    Ok(summary)
}

/// 0 when every parsed result landed, 1 otherwise.
pub fn exit_code_for(summary: &Summary) -> u8 {
    if summary.failures.is_empty() {
        exit::OK
    } else {
        exit::FAILURE
    }
}

fn write_receipt(path: &std::path::Path, s: &Summary) -> std::io::Result<()> {
    let accepted: serde_json::Map<String, serde_json::Value> = s
        .accepted
        .iter()
        .map(|(k, v)| (k.name().to_owned(), serde_json::Value::from(*v)))
        .collect();
    let receipt = serde_json::json!({
        "dry_run": s.dry_run,
        "parsed": s.parsed,
        "cases": s.cases,
        "cases_created": s.cases_created,
        "accepted": accepted,
        "accepted_total": s.accepted_total(),
        "flaky": s.flaky,
        "run_id": s.run_id.map(|r| r.get()),
        "run_url": s.run_url,
        "plan_id": s.plan_id.map(|p| p.get()),
        "records": s.records.iter().map(|r| serde_json::json!({
            "kind": r.kind, "id": r.id, "name": r.name, "created": r.created,
        })).collect::<Vec<_>>(),
        "failures": s.failures.iter().map(|f| serde_json::json!({
            "name": f.name, "error": f.error,
        })).collect::<Vec<_>>(),
        "requests": s.requests,
        "seconds": s.seconds,
    });
    let text = serde_json::to_string_pretty(&receipt).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}

/// Progress of a large report on stderr: a line that updates itself on a terminal, a plain
/// line per thousand results elsewhere (CI logs). Silent for reports of one chunk or less.
struct Progress {
    program: String,
    total: usize,
    terminal: bool,
    shown: bool,
}

impl Progress {
    fn new(program: &str, total: usize) -> Self {
        let terminal = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Self {
            program: program.to_owned(),
            total,
            terminal,
            shown: false,
        }
    }

    fn update(&mut self, done: usize) {
        if self.total <= CHUNK {
            return;
        }
        let percent = done * 100 / self.total.max(1);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(
                err,
                "\r{}: {done}/{} results sent ({percent}%)",
                self.program, self.total
            );
            let _ = err.flush();
        } else {
            let _ = writeln!(
                err,
                "{}: {done}/{} results sent ({percent}%)",
                self.program, self.total
            );
        }
        self.shown = true;
    }

    fn end(&mut self) {
        if self.terminal && self.shown {
            let _ = writeln!(std::io::stderr().lock());
        }
    }
}

/// One input of a file-based plugin: a file, or standard input saved to a temporary file so
/// that it can be read twice (once to check everything, once to report).
#[derive(Debug)]
pub struct Input {
    /// Where to read it.
    pub path: PathBuf,
    /// The name for messages: the path as given, or `<stdin>`.
    pub name: String,
    _spool: Option<tempfile::TempPath>,
}

impl Input {
    /// Opens the input for reading (buffered).
    pub fn open(&self) -> std::io::Result<std::io::BufReader<std::fs::File>> {
        std::fs::File::open(&self.path).map(|f| std::io::BufReader::with_capacity(256 * 1024, f))
    }
}

/// The inputs named on the command line: files, or `-` (or nothing) for standard input.
///
/// A file that cannot be opened is an input error naming it; standard input is copied to a
/// temporary file first.
pub fn resolve_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let stdin_only = [PathBuf::from("-")];
    let paths = if paths.is_empty() {
        &stdin_only[..]
    } else {
        paths
    };
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        if path.as_os_str() == "-" {
            let mut spool = tempfile::NamedTempFile::new()
                .map_err(|e| format!("<stdin>: cannot create a temporary file: {e}"))?;
            std::io::copy(&mut std::io::stdin().lock(), &mut spool)
                .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
            let spool = spool.into_temp_path();
            inputs.push(Input {
                path: spool.to_path_buf(),
                name: "<stdin>".into(),
                _spool: Some(spool),
            });
        } else {
            std::fs::File::open(path)
                .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
            inputs.push(Input {
                path: path.clone(),
                name: path.display().to_string(),
                _spool: None,
            });
        }
    }
    Ok(inputs)
}

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
pub async fn run_files<I, E>(
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
    let mut started: Option<chrono::DateTime<chrono::Utc>> = None;
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
    if count == 0 {
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
    let mut reporter = match start(plugin, args, started).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{program}: error: {e}");
            return e.exit_code();
        }
    };
    if let Some(note) = note {
        reporter.add_run_note(note);
    }
    let run = reporter.run_id();
    let mut progress = Progress::new(&program, count);
    let sent = async {
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut done = 0;
        for result in results {
            chunk.push(result);
            if chunk.len() == CHUNK {
                reporter.report(&chunk).await?;
                done += chunk.len();
                progress.update(done);
                chunk.clear();
            }
        }
        reporter.report(&chunk).await?;
        progress.update(done + chunk.len());
        progress.end();
        Ok::<(), ReportError>(())
    }
    .await;
    if let Err(e) = sent {
        eprintln!("{program}: error: {e}");
        if let (Some(run), false) = (run, args.dry_run) {
            eprintln!(
                "{program}: the report into {run} is incomplete; run the same command with \
                 `--resume {}` to complete it",
                journal_path(args, run).display()
            );
        }
        return exit::FAILURE;
    }
    let outcome = finish(reporter, args).await;
    match outcome {
        Ok(summary) => {
            if let Some(e) = second_pass_error {
                eprintln!("{program}: the input changed while it was reported: {e}");
                return exit::INPUT;
            }
            exit_code_for(&summary)
        }
        Err(e) => {
            eprintln!("{program}: error: {e}");
            e.exit_code()
        }
    }
}
