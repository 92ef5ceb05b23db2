//! How a report runs: plain values a command line, a harness or a program sets.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::journal::JournalMode;

/// How a report runs. Build it with [`Options::new`] and the setters; every value has a
/// default that suits a program using the SDK (no journal, no receipt, real writes).
///
/// ```
/// use tcms_api::report::{JournalMode, Options};
///
/// let options = Options::new().dry_run(true).journal(JournalMode::Auto);
/// assert!(options.is_dry_run());
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    pub(crate) dry_run: bool,
    pub(crate) started: Option<DateTime<Utc>>,
    pub(crate) concurrent_wait: Option<Duration>,
    pub(crate) journal: JournalMode,
    pub(crate) resume: Option<PathBuf>,
    pub(crate) receipt: Option<PathBuf>,
    pub(crate) url: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) one_call_executions: bool,
    pub(crate) attachment_limit: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            dry_run: false,
            started: None,
            concurrent_wait: None,
            journal: JournalMode::Off,
            resume: None,
            receipt: None,
            url: None,
            timeout: None,
            one_call_executions: true,
            attachment_limit: DEFAULT_ATTACHMENT_LIMIT,
        }
    }
}

/// The largest file attached to an execution by default (5 MiB); larger ones are left out
/// with a warning.
pub const DEFAULT_ATTACHMENT_LIMIT: u64 = 5 * 1024 * 1024;

impl Options {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolve against the server read-only and count what would change; change nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The earliest start of the results, if known: the start date of a run created for
    /// them (else the time it is created).
    pub fn started(mut self, started: Option<DateTime<Utc>>) -> Self {
        self.started = started;
        self
    }

    /// The longest wait for a plan or shared run that a concurrent process is creating
    /// (default: 30 s for a brand-new version, 120 s for shards with a run key). Tests against
    /// a fake server, which has no concurrent processes, set it short.
    pub fn concurrent_wait(mut self, wait: Duration) -> Self {
        self.concurrent_wait = Some(wait);
        self
    }

    /// Whether and where to keep a journal (default [`JournalMode::Off`]).
    pub fn journal(mut self, journal: JournalMode) -> Self {
        self.journal = journal;
        self
    }

    /// Complete the run of an earlier report from its journal (with
    /// [`Reporter::connect`](super::Reporter::connect)): report into the run it names. The
    /// journal is kept in the same file.
    pub fn resume(mut self, journal: Option<PathBuf>) -> Self {
        self.resume = journal;
        self
    }

    /// Write the JSON receipt of the report ([`Summary::write_receipt`](super::Summary::write_receipt))
    /// to this file when it finishes.
    pub fn receipt(mut self, path: Option<PathBuf>) -> Self {
        self.receipt = path;
        self
    }

    /// The server URL, over the config file and `TCMS_API_URL` (with
    /// [`Reporter::connect`](super::Reporter::connect)).
    pub fn url(mut self, url: Option<String>) -> Self {
        self.url = url;
        self
    }

    /// How long one HTTP request may take (with [`Reporter::connect`](super::Reporter::connect);
    /// default 120 s).
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// On Kiwi ≥ 15.3, make each new execution with `TestExecution.create` (status, dates and
    /// tester in the one call) instead of `TestRun.add_case` + `TestExecution.update`
    /// (default true; false keeps the 12.4 path everywhere, to compare).
    pub fn one_call_executions(mut self, on: bool) -> Self {
        self.one_call_executions = on;
        self
    }

    /// The largest file attached to an execution, in bytes (default
    /// [`DEFAULT_ATTACHMENT_LIMIT`]); larger ones are left out with a warning.
    pub fn attachment_limit(mut self, bytes: u64) -> Self {
        self.attachment_limit = bytes;
        self
    }

    /// True for a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The journal mode, with `resume` taking its file.
    pub(crate) fn journal_mode(&self) -> JournalMode {
        match (&self.resume, &self.journal) {
            (_, JournalMode::File(path)) => JournalMode::File(path.clone()),
            (Some(path), _) => JournalMode::File(path.clone()),
            (None, mode) => mode.clone(),
        }
    }
}
