//! Live reporting: results are handed over from any thread without waiting and go to Kiwi
//! TCMS in small batches from a background thread that has its own tokio runtime.
//!
//! Used by the harness (results of tests as they finish) and by `tcms-cargo-test` (results
//! as `cargo test` prints them), so that a slow or unreachable Kiwi TCMS never slows down the
//! tests or the output: results queue up in memory until the background thread sends them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;

use crate::cli::{self, CommonArgs};
use crate::report::{PluginInfo, Summary, TestResult};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// At most this many results go into one batch.
pub const BATCH_SIZE: usize = 50;

/// A batch is sent at the latest this long after its first result arrived.
pub const BATCH_INTERVAL: Duration = Duration::from_secs(1);

/// How a [`LiveReporter`] works.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Who reports.
    pub plugin: PluginInfo,
    /// `--dry-run`, `--verbose`, `--receipt`, `--url`.
    pub args: CommonArgs,
    /// Create the run at once (the harness: the run exists when the tests start); otherwise
    /// when the first result arrives, so that an input without results creates nothing.
    pub eager: bool,
    /// The run's start date (else the time it is created).
    pub started: Option<DateTime<Utc>>,
    /// Results per batch.
    pub batch_size: usize,
    /// Longest wait before a partial batch is sent.
    pub batch_interval: Duration,
    /// Log warnings of the background thread to stderr through a subscriber of that thread
    /// only (the harness: the test binary's own global subscriber is left alone).
    pub thread_logging: bool,
}

impl LiveOptions {
    /// Options with the default batch size and interval.
    pub fn new(plugin: PluginInfo, args: CommonArgs) -> Self {
        Self {
            plugin,
            args,
            eager: false,
            started: None,
            batch_size: BATCH_SIZE,
            batch_interval: BATCH_INTERVAL,
            thread_logging: false,
        }
    }
}

/// What live reporting achieved.
#[derive(Debug, Clone, Default)]
pub struct LiveReport {
    /// The engine's summary (already printed), when the run was finished.
    pub summary: Option<Summary>,
    /// Results handed over.
    pub submitted: usize,
    /// Results in batches the server refused as a whole, or never sent.
    pub lost: usize,
    /// What went wrong, one message each (already logged nowhere: the caller prints them).
    pub errors: Vec<String>,
}

impl LiveReport {
    /// True when every result handed over landed (or nothing was handed over).
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty()
            && self.lost == 0
            && self.summary.as_ref().is_none_or(|s| s.failures.is_empty())
    }

    /// True when nothing was handed over and nothing was created.
    pub fn is_empty(&self) -> bool {
        self.submitted == 0 && self.summary.is_none() && self.errors.is_empty()
    }
}

/// What goes to the background thread.
#[derive(Debug)]
enum Msg {
    Result(Box<TestResult>),
    Note(String),
}

/// A handle that queues results for a [`LiveReporter`] from any thread; never waits.
#[derive(Debug, Clone)]
pub struct Sink {
    tx: mpsc::UnboundedSender<Msg>,
    count: Arc<AtomicUsize>,
}

impl Sink {
    /// Queues a result.
    pub fn send(&self, result: TestResult) {
        self.count.fetch_add(1, Ordering::Relaxed);
        // A closed channel (the thread ended early) shows in the thread's report.
        let _ = self.tx.send(Msg::Result(Box::new(result)));
    }
}

/// The background reporter: [`LiveReporter::submit`] never blocks.
#[derive(Debug)]
pub struct LiveReporter {
    sink: Option<Sink>,
    count: Arc<AtomicUsize>,
    done: std_mpsc::Receiver<LiveReport>,
}

impl LiveReporter {
    /// Starts the background thread (and, when `eager`, the run).
    pub fn spawn(options: LiveOptions) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done) = std_mpsc::channel();
        let count = Arc::new(AtomicUsize::new(0));
        let spawned = thread::Builder::new()
            .name("tcms-live-report".into())
            .spawn(move || {
                let _log = options.thread_logging.then(thread_logger);
                let report = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(run(rx, options)),
                    Err(e) => LiveReport {
                        errors: vec![format!("cannot start the reporting thread's runtime: {e}")],
                        ..LiveReport::default()
                    },
                };
                let _ = done_tx.send(report);
            });
        let sink = match spawned {
            Ok(_) => Some(Sink {
                tx,
                count: Arc::clone(&count),
            }),
            // Nothing can be reported; `finish` says so.
            Err(_) => None,
        };
        Self { sink, count, done }
    }

    /// A handle for other threads.
    pub fn sink(&self) -> Option<Sink> {
        self.sink.clone()
    }

    /// Queues a result; never waits.
    pub fn submit(&mut self, result: TestResult) {
        match &self.sink {
            Some(sink) => sink.send(result),
            None => {
                self.count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Adds a line to the run's notes (why the input is incomplete, say), written when the
    /// run is finished; dropped when no run is created.
    pub fn add_run_note(&mut self, note: impl Into<String>) {
        if let Some(sink) = &self.sink {
            let _ = sink.tx.send(Msg::Note(note.into()));
        }
    }

    /// Results queued so far.
    pub fn submitted(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Sends what is queued, finishes the run and returns what happened. With a `timeout`,
    /// gives up waiting after it (the background thread's work is then abandoned). Every
    /// [`Sink`] must have been dropped before, or this waits for the timeout.
    pub fn finish(mut self, timeout: Option<Duration>) -> LiveReport {
        let submitted = self.submitted();
        let had_thread = self.sink.take().is_some();
        let received = if !had_thread {
            Err("cannot start the reporting thread".to_owned())
        } else {
            match timeout {
                Some(t) => self.done.recv_timeout(t).map_err(|e| match e {
                    std_mpsc::RecvTimeoutError::Timeout => format!(
                        "gave up waiting for Kiwi TCMS after {} s: results still queued are \
                         not reported",
                        t.as_secs()
                    ),
                    std_mpsc::RecvTimeoutError::Disconnected => {
                        "the reporting thread ended unexpectedly".to_owned()
                    }
                }),
                None => self
                    .done
                    .recv()
                    .map_err(|_| "the reporting thread ended unexpectedly".to_owned()),
            }
        };
        match received {
            Ok(report) => report,
            Err(error) => LiveReport {
                summary: None,
                submitted,
                lost: submitted,
                errors: vec![error],
            },
        }
    }
}

/// A stderr subscriber for the current thread only: warnings, or `TCMS_REPORT_LOG`.
fn thread_logger() -> tracing::subscriber::DefaultGuard {
    let filter = std::env::var("TCMS_REPORT_LOG")
        .ok()
        .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("warn"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::set_default(subscriber)
}

async fn run(mut rx: mpsc::UnboundedReceiver<Msg>, options: LiveOptions) -> LiveReport {
    let mut report = LiveReport::default();
    let mut batch: Vec<TestResult> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    if !options.eager {
        loop {
            match rx.recv().await {
                Some(Msg::Result(first)) => {
                    report.submitted += 1;
                    batch.push(*first);
                    break;
                }
                Some(Msg::Note(note)) => notes.push(note),
                None => return report,
            }
        }
    }
    let mut reporter =
        match cli::start(options.plugin.clone(), &options.args, options.started).await {
            Ok(r) => r,
            Err(e) => {
                report.errors.push(format!("cannot start reporting: {e}"));
                let mut lost = batch.len();
                while let Some(msg) = rx.recv().await {
                    if let Msg::Result(_) = msg {
                        lost += 1;
                    }
                }
                report.submitted = lost;
                report.lost = lost;
                return report;
            }
        };
    for note in notes {
        reporter.add_run_note(note);
    }
    let size = options.batch_size.max(1);
    let mut deadline = Instant::now() + options.batch_interval;
    loop {
        while batch.len() < size {
            match rx.try_recv() {
                Ok(Msg::Result(r)) => {
                    report.submitted += 1;
                    batch.push(*r);
                }
                Ok(Msg::Note(note)) => reporter.add_run_note(note),
                Err(_) => break,
            }
        }
        if batch.len() >= size {
            send(&mut reporter, &mut batch, &mut report).await;
            deadline = Instant::now() + options.batch_interval;
            continue;
        }
        let next = if batch.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    send(&mut reporter, &mut batch, &mut report).await;
                    continue;
                }
            }
        };
        match next {
            Some(Msg::Result(r)) => {
                if batch.is_empty() {
                    deadline = Instant::now() + options.batch_interval;
                }
                report.submitted += 1;
                batch.push(*r);
            }
            Some(Msg::Note(note)) => reporter.add_run_note(note),
            None => break,
        }
    }
    send(&mut reporter, &mut batch, &mut report).await;
    match cli::finish(reporter, &options.args).await {
        Ok(summary) => report.summary = Some(summary),
        Err(e) => report
            .errors
            .push(format!("cannot finish the test run: {e}")),
    }
    report
}

async fn send(
    reporter: &mut crate::report::Reporter,
    batch: &mut Vec<TestResult>,
    report: &mut LiveReport,
) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = reporter.report(batch).await {
        report.lost += batch.len();
        report
            .errors
            .push(format!("{} result(s) not reported: {e}", batch.len()));
    }
    batch.clear();
}
