//! The options every plugin has.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;
use tcms_api::env::EnvVars;
use tcms_api::report::{DEFAULT_ATTACHMENT_LIMIT, JournalMode, Options};

/// Options every plugin has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Print `added:`/`reuse:` lines for plan and run (as the Python plugins do); twice for
    /// debug logs of every request.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print nothing but errors: no summary line, no `added:` lines, no progress, no warnings.
    /// What did not land is still printed (it is an error), and the CI outputs (job summary,
    /// step outputs, annotations) are still written.
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Output")]
    pub quiet: bool,

    /// Colour in help and log lines: `auto` (on a terminal, unless NO_COLOR is set), `always`
    /// or `never`.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorWhen::Auto,
        help_heading = "Output"
    )]
    pub color: ColorWhen,

    /// Write the Markdown summary of the report (counts, the TestRun link, the first failures)
    /// to this file, for GitLab or Jenkins. In GitHub Actions it is also appended to the job
    /// summary ($GITHUB_STEP_SUMMARY), and `run-id` / `run-url` go to $GITHUB_OUTPUT.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub summary_md: Option<PathBuf>,

    /// In GitHub Actions (GITHUB_ACTIONS=true), print at most N failures that name a source
    /// file and line as workflow annotations (default 10, what GitHub shows of one step).
    #[arg(long, value_name = "N", help_heading = "Output")]
    pub max_annotations: Option<usize>,

    /// No workflow annotations in GitHub Actions.
    #[arg(long, conflicts_with = "max_annotations", help_heading = "Output")]
    pub no_annotations: bool,

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

    /// Seconds one HTTP request may take, a whole batch of up to 100 calls included (default
    /// 120).
    ///
    /// It bounds each request, not the report: a report takes as long as the server needs,
    /// about 40 results per second against Kiwi TCMS 12.4 on PostgreSQL with 2 cores (1,000
    /// results ≈ 25 s, 5,000 ≈ 2 min, 20,000 ≈ 9 min; Kiwi 16.x about twice as fast; figures
    /// in BENCHMARKS.md). Give a CI step that much time; if it is killed on the way, the
    /// journal it leaves lets `--resume` finish without repeating what landed.
    #[arg(long, value_name = "SECONDS", env = EnvVars::TCMS_TIMEOUT)]
    pub timeout: Option<f64>,

    /// Where to keep the journal of this report (default `tcms-journal-TR<id>.json` in the
    /// current directory). It is written when the run exists and removed when every result
    /// has landed; if some did not, `--resume` it.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// The largest file attached to an execution (`[[ATTACHMENT|path]]` lines; Kiwi TCMS
    /// 15.3 and later), in bytes; larger ones are left out with a warning.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_ATTACHMENT_LIMIT)]
    pub attachment_limit: u64,

    /// Also attach the report files themselves to the TestRun.
    #[arg(long)]
    pub attach_report: bool,

    /// Complete the run of an earlier report that did not land entirely: report the same
    /// input again into the run named by this journal. Nothing is duplicated: cases, executions
    /// and comments that landed before are found and kept.
    #[arg(long, value_name = "JOURNAL")]
    pub resume: Option<PathBuf>,

    /// (Benchmarks) make new executions with `TestRun.add_case` + `TestExecution.update` even
    /// where the server has `TestExecution.create` (Kiwi TCMS 15.3 and later).
    #[arg(long, hide = true)]
    pub no_one_call_executions: bool,
}

/// When to colour the output (`--color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set (and not empty).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Whether a stream that `is_terminal` gets colour, `NO_COLOR` taken into account.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                is_terminal && std::env::var_os(EnvVars::NO_COLOR).is_none_or(|v| v.is_empty())
            }
        }
    }

    /// clap's choice for help and error messages (`auto` lets clap look at the terminal and
    /// at `NO_COLOR`).
    pub fn clap(self) -> clap::ColorChoice {
        match self {
            ColorWhen::Auto => clap::ColorChoice::Auto,
            ColorWhen::Always => clap::ColorChoice::Always,
            ColorWhen::Never => clap::ColorChoice::Never,
        }
    }

    /// The `--color` of a command line, read before it is parsed (help and parse errors are
    /// printed by the parser itself); the last one wins, as clap decides.
    pub fn from_args<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut choice = ColorWhen::Auto;
        let mut args = args.into_iter().skip(1);
        while let Some(arg) = args.next() {
            let arg = arg.as_ref().to_string_lossy().into_owned();
            if arg == "--" {
                break;
            }
            let value = match arg.strip_prefix("--color") {
                Some("") => args
                    .next()
                    .map(|v| v.as_ref().to_string_lossy().into_owned()),
                Some(rest) => rest.strip_prefix('=').map(str::to_owned),
                None => None,
            };
            match value.as_deref() {
                Some("always") => choice = ColorWhen::Always,
                Some("never") => choice = ColorWhen::Never,
                Some("auto") => choice = ColorWhen::Auto,
                _ => {}
            }
        }
        choice
    }
}

impl CommonArgs {
    /// What the report shows in CI ([`tcms_ci::CiOutput`]): the environment's GitHub
    /// Actions files and these options.
    pub fn ci_output(&self, program: &str) -> tcms_ci::CiOutput {
        let max = if self.no_annotations {
            0
        } else {
            self.max_annotations
                .unwrap_or(tcms_ci::annotations::DEFAULT_MAX)
        };
        tcms_ci::CiOutput::from_env(program)
            .summary_md(self.summary_md.clone())
            .max_annotations(max)
    }

    /// The engine's options: these, with `started` as the run's start date (the earliest
    /// start of the results, when the input says).
    pub fn options(&self, started: Option<DateTime<Utc>>) -> Options {
        let journal = match &self.journal {
            Some(path) => JournalMode::File(path.clone()),
            None => JournalMode::Auto,
        };
        Options::new()
            .dry_run(self.dry_run)
            .started(started)
            .journal(journal)
            .resume(self.resume.clone())
            .receipt(self.receipt.clone())
            .url(self.url.clone())
            .attachment_limit(self.attachment_limit)
            .one_call_executions(!self.no_one_call_executions)
            .timeout(
                self.timeout
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map(Duration::from_secs_f64),
            )
    }
}
