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

impl CommonArgs {
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
