//! Live reporting: results are handed over from any thread without waiting and go to Kiwi
//! TCMS in small batches from a background thread that has its own tokio runtime.
//!
//! Used by the Rust harness (results of tests as they finish), by `tcms-cargo-test` (results
//! as `cargo test` prints them) and by `tcms-tap --live`, so that a slow or unreachable Kiwi
//! TCMS never slows down the tests or the output: results queue up in memory until the
//! background thread sends them.
//!
//! ```no_run
//! use tcms_api::live::{LiveOptions, LiveReporter};
//! use tcms_api::report::{Attempt, Options, Outcome, PluginInfo, TestResult};
//!
//! let plugin = PluginInfo::new("my-runner", "1.0", "[mine]");
//! let mut live = LiveReporter::spawn(LiveOptions::new(plugin, Options::new()).eager(true));
//! live.submit(TestResult::new("first", Attempt::new(Outcome::Passed)));
//! let report = live.finish(None);
//! if let Some(summary) = &report.summary {
//!     println!("{}", summary.line());
//! }
//! ```

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::report::{Options, PluginInfo, Reporter, Summary, TestResult};

/// At most this many results go into one batch.
pub const BATCH_SIZE: usize = 50;

/// A batch is sent at the latest this long after its first result arrived.
pub const BATCH_INTERVAL: Duration = Duration::from_secs(1);

type ThreadInit = Box<dyn FnOnce() -> Box<dyn Any> + Send>;
type OnStart = Box<dyn FnOnce(&Reporter) + Send>;

/// How a [`LiveReporter`] works: [`LiveOptions::new`] and the setters.
pub struct LiveOptions {
    plugin: PluginInfo,
    report: Options,
    eager: bool,
    batch_size: usize,
    batch_interval: Duration,
    thread_init: Option<ThreadInit>,
    on_start: Option<OnStart>,
}

impl fmt::Debug for LiveOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveOptions")
            .field("plugin", &self.plugin)
            .field("report", &self.report)
            .field("eager", &self.eager)
            .field("batch_size", &self.batch_size)
            .field("batch_interval", &self.batch_interval)
            .finish_non_exhaustive()
    }
}

impl LiveOptions {
    /// Live reporting for `plugin` with the report's `options` (dry run, journal, receipt,
    /// URL, timeout: see [`Options`]), the default batch size and interval, the run created
    /// when the first result arrives.
    pub fn new(plugin: PluginInfo, options: Options) -> Self {
        Self {
            plugin,
            report: options,
            eager: false,
            batch_size: BATCH_SIZE,
            batch_interval: BATCH_INTERVAL,
            thread_init: None,
            on_start: None,
        }
    }

    /// Create the run at once (the harness: the run exists when the tests start), instead of
    /// when the first result arrives (an input without results then creates nothing).
    pub fn eager(mut self, eager: bool) -> Self {
        self.eager = eager;
        self
    }

    /// At most `size` results per batch, sent at the latest `interval` after the first.
    pub fn batches(mut self, size: usize, interval: Duration) -> Self {
        self.batch_size = size.max(1);
        self.batch_interval = interval;
        self
    }

    /// Runs `init` first on the reporting thread and keeps what it returns until the thread
    /// ends (a thread-local log subscriber's guard, say).
    pub fn on_thread_start<G: Any>(mut self, init: impl FnOnce() -> G + Send + 'static) -> Self {
        self.thread_init = Some(Box::new(move || Box::new(init()) as Box<dyn Any>));
        self
    }

    /// Called on the reporting thread once the run is resolved or created (to print the
    /// `added:`/`reuse:` lines, say).
    pub fn on_start(mut self, f: impl FnOnce(&Reporter) + Send + 'static) -> Self {
        self.on_start = Some(Box::new(f));
        self
    }
}

/// What live reporting achieved.
#[derive(Debug, Clone, Default)]
pub struct LiveReport {
    /// The engine's summary, when the run was finished.
    pub summary: Option<Summary>,
    /// Results handed over.
    pub submitted: usize,
    /// Results in batches the server refused as a whole, or never sent.
    pub lost: usize,
    /// The journal kept for `--resume` when some results did not land.
    pub journal: Option<std::path::PathBuf>,
    /// What went wrong, one message each (logged nowhere: the caller prints them).
    pub errors: Vec<String>,
}

impl LiveReport {
    /// True when every result handed over landed (or nothing was handed over).
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty()
            && self.lost == 0
            && self.summary.as_ref().is_none_or(Summary::is_complete)
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
    /// Starts the background thread (and, when [`LiveOptions::eager`], the run).
    pub fn spawn(mut options: LiveOptions) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done) = std_mpsc::channel();
        let count = Arc::new(AtomicUsize::new(0));
        let init = options.thread_init.take();
        let spawned = thread::Builder::new()
            .name("tcms-live-report".into())
            .spawn(move || {
                let _guard = init.map(|init| init());
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
                submitted,
                lost: submitted,
                errors: vec![error],
                ..LiveReport::default()
            },
        }
    }
}

async fn run(mut rx: mpsc::UnboundedReceiver<Msg>, mut options: LiveOptions) -> LiveReport {
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
    let mut reporter = match Reporter::connect(options.plugin.clone(), options.report.clone()).await
    {
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
    if let Some(on_start) = options.on_start.take() {
        on_start(&reporter);
    }
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
    report.journal = reporter.journal_path().map(ToOwned::to_owned);
    match reporter.finish().await {
        Ok(summary) => report.summary = Some(summary),
        Err(e) => report
            .errors
            .push(format!("cannot finish the test run: {e}")),
    }
    report
}

async fn send(reporter: &mut Reporter, batch: &mut Vec<TestResult>, report: &mut LiveReport) {
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
