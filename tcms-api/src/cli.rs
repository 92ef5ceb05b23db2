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
    let client = Client::builder()
        .config(config)
        .user_agent(format!("{}/{}", plugin.name, plugin.version))
        .build()?;
    let settings = Settings::from_env(plugin).map_err(ReportError::from)?;
    let options = Options {
        dry_run: args.dry_run,
        started,
    };
    let reporter = Reporter::start(client, settings, options).await?;
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
    let summary = reporter.finish().await?;
    let mut err = std::io::stderr().lock();
    for failure in &summary.failures {
        let _ = writeln!(err, "not reported: {}: {}", failure.name, failure.error);
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
