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
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::report::{Attempt, Options, Outcome, PluginInfo, Reporter, Summary, TestResult};

/// At most this many results go into one batch while the reporter keeps up.
pub const BATCH_SIZE: usize = 50;

/// While results queue up (the last batch was full), each next batch may hold twice as many
/// as the one before, up to this many times the batch size (500 by default): a burst is sent
/// in a few large batches, which the server takes faster than many small ones. The first
/// batch that is not full brings the size back.
pub const BURST_FACTOR: usize = 10;

/// A batch is sent at the latest this long after its first result arrived.
pub const BATCH_INTERVAL: Duration = Duration::from_secs(1);

type ThreadInit = Box<dyn FnOnce() -> Box<dyn Any> + Send>;
type OnStart = Box<dyn FnOnce(&Reporter) + Send>;
type OnProgress = Box<dyn FnMut(&Progress) + Send>;

/// How long a test may run before its execution gets a comment saying so, by default
/// (`TCMS_REPORT_SLOW`).
pub const SLOW_AFTER: Duration = Duration::from_secs(60);

/// Where a live report stands, for a progress display: passed to
/// [`LiveOptions::on_progress`] after every batch sent, and read at any time through a
/// [`ProgressHandle`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Progress {
    /// Tests announced as planned (names or counts).
    pub planned: usize,
    /// Results handed over.
    pub submitted: usize,
    /// Tests whose result landed in Kiwi (a name reported twice counts once).
    pub reported: usize,
    /// Tests running now.
    pub running: usize,
    /// HTTP requests sent so far.
    pub requests: u64,
    /// HTTP requests waiting for their answer now (filled in by [`ProgressHandle::get`];
    /// zero in [`LiveOptions::on_progress`], which is called between batches).
    pub in_flight: usize,
    /// The engine's counts per status of what landed (IDLE and RUNNING included).
    pub accepted: std::collections::BTreeMap<crate::report::KiwiStatus, usize>,
}

/// Where a live report stands now, readable from any thread without waiting for the
/// reporting thread: [`LiveReporter::progress`]. A progress display reads it as often as it
/// redraws.
#[derive(Debug, Clone, Default)]
pub struct ProgressHandle {
    shared: Arc<Mutex<Progress>>,
    client: Arc<OnceLock<crate::Client>>,
}

impl ProgressHandle {
    /// The latest counts, with the requests in flight at this moment.
    pub fn get(&self) -> Progress {
        let mut progress = self
            .shared
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        if let Some(client) = self.client.get() {
            progress.in_flight = client.requests_in_flight();
            progress.requests = progress.requests.max(client.request_count());
        }
        progress
    }

    fn update(&self, f: impl FnOnce(&mut Progress)) {
        match self.shared.lock() {
            Ok(mut p) => f(&mut p),
            Err(e) => f(&mut e.into_inner()),
        }
    }
}

/// How a [`LiveReporter`] works: [`LiveOptions::new`] and the setters.
pub struct LiveOptions {
    plugin: PluginInfo,
    report: Options,
    eager: bool,
    batch_size: usize,
    batch_interval: Duration,
    thread_init: Option<ThreadInit>,
    on_start: Option<OnStart>,
    on_progress: Option<OnProgress>,
    slow_after: Option<Duration>,
    connection: Option<(crate::Client, crate::report::Settings)>,
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
            on_progress: None,
            slow_after: Some(SLOW_AFTER),
            connection: None,
        }
    }

    /// Reports with this client and these settings instead of loading the configuration and
    /// reading the environment ([`Reporter::start`] instead of [`Reporter::connect`]).
    pub fn with_client(mut self, client: crate::Client, settings: crate::report::Settings) -> Self {
        self.connection = Some((client, settings));
        self
    }

    /// A test still running after `after` gets a comment saying so, once (default
    /// [`SLOW_AFTER`]; `None`: never), so a hang shows while it hangs.
    pub fn slow_after(mut self, after: Option<Duration>) -> Self {
        self.slow_after = after;
        self
    }

    /// Called on the reporting thread after every batch sent (a progress display).
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Create the run at once (the harness: the run exists when the tests start), instead of
    /// when the first result arrives (an input without results then creates nothing).
    pub fn eager(mut self, eager: bool) -> Self {
        self.eager = eager;
        self
    }

    /// At most `size` results per batch while the reporter keeps up (up to
    /// [`BURST_FACTOR`] times that while results queue up), sent at the latest `interval`
    /// after the first.
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
    /// For each result sent, how long it took from [`Sink::send`] to Kiwi's answer.
    pub latencies: Vec<Duration>,
    /// For each test shown RUNNING, how long it took from [`Sink::started`] to Kiwi's answer.
    pub running_latencies: Vec<Duration>,
    /// True when [`Sink::interrupt`] ended the report.
    pub interrupted: bool,
    /// How many batches of results were sent.
    pub batches: usize,
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

    /// How long results and RUNNING marks took to land (median, p95, max), one line for `-v`;
    /// `None` when nothing was sent.
    pub fn latency_line(&self) -> Option<String> {
        let results = Latencies::of(&self.latencies)?;
        let mut line = format!("live: {} result(s) in Kiwi {results}", self.latencies.len());
        if let Some(running) = Latencies::of(&self.running_latencies) {
            let _ = write!(
                line,
                "; {} RUNNING mark(s) {running}",
                self.running_latencies.len()
            );
        }
        if self.batches > 0 {
            let _ = write!(line, "; in {} batch(es)", self.batches);
        }
        Some(line)
    }

    /// True when nothing was handed over and nothing was created.
    pub fn is_empty(&self) -> bool {
        self.submitted == 0 && self.summary.is_none() && self.errors.is_empty()
    }
}

/// What goes to the background thread.
#[derive(Debug)]
enum Msg {
    Result(Box<TestResult>, Instant),
    Plan(Vec<TestResult>),
    Planned(usize),
    Started(Box<TestResult>, Instant),
    Note(String),
    Attach(std::path::PathBuf, String),
    Interrupt(String),
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
        self.send_seen(result, std::time::Instant::now());
    }

    /// Queues a result whose latency counts from `seen` (when its line was read, say) rather
    /// than from now.
    pub fn send_seen(&self, result: TestResult, seen: std::time::Instant) {
        self.count.fetch_add(1, Ordering::Relaxed);
        // A closed channel (the thread ended early) shows in the thread's report.
        let seen = Instant::from_std(seen);
        let _ = self.tx.send(Msg::Result(Box::new(result), seen));
    }

    /// Announces the tests that will run: they go into the run as IDLE (only their names
    /// matter), and count as planned.
    pub fn plan(&self, tests: Vec<TestResult>) {
        let _ = self.tx.send(Msg::Plan(tests));
    }

    /// Announces how many more tests will run, without their names (a TAP plan, libtest's
    /// `running N tests`): the run's notes say how many of them landed.
    pub fn planned(&self, count: usize) {
        let _ = self.tx.send(Msg::Planned(count));
    }

    /// A test started (its first attempt's `started` says when): RUNNING until its result.
    pub fn started(&self, test: TestResult) {
        let _ = self.tx.send(Msg::Started(Box::new(test), Instant::now()));
    }

    /// Adds a line to the run's notes.
    pub fn note(&self, note: impl Into<String>) {
        let _ = self.tx.send(Msg::Note(note.into()));
    }

    /// The process is being stopped (`reason`: "SIGTERM"): what is queued is sent, the planned
    /// tests that did not end are marked (BLOCKED if they never started, ERROR if they were
    /// running), the run's notes say it was interrupted, and the run is finished. Wait for it
    /// with [`LiveReporter::finish`] (which then needs no [`Sink`] to be dropped first).
    pub fn interrupt(&self, reason: impl Into<String>) {
        let _ = self.tx.send(Msg::Interrupt(reason.into()));
    }
}

/// Median, 95th percentile and maximum of a list of latencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latencies {
    /// Half of the list took at most this.
    pub median: Duration,
    /// 95 % of the list took at most this.
    pub p95: Duration,
    /// The longest.
    pub max: Duration,
}

impl Latencies {
    /// The figures of `list` (nearest rank); `None` for an empty list.
    pub fn of(list: &[Duration]) -> Option<Self> {
        if list.is_empty() {
            return None;
        }
        let mut sorted = list.to_vec();
        sorted.sort_unstable();
        let rank = |p: usize| sorted[(sorted.len() * p).div_ceil(100).max(1) - 1];
        Some(Self {
            median: rank(50),
            p95: rank(95),
            max: rank(100),
        })
    }
}

impl fmt::Display for Latencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_millis();
        write!(
            f,
            "after median {} ms, p95 {} ms, max {} ms",
            ms(self.median),
            ms(self.p95),
            ms(self.max)
        )
    }
}

/// The background reporter: [`LiveReporter::submit`] never blocks.
#[derive(Debug)]
pub struct LiveReporter {
    sink: Option<Sink>,
    count: Arc<AtomicUsize>,
    done: std_mpsc::Receiver<LiveReport>,
    progress: ProgressHandle,
}

impl LiveReporter {
    /// Starts the background thread (and, when [`LiveOptions::eager`], the run).
    pub fn spawn(mut options: LiveOptions) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done) = std_mpsc::channel();
        let count = Arc::new(AtomicUsize::new(0));
        let init = options.thread_init.take();
        let progress = ProgressHandle::default();
        let handle = progress.clone();
        let spawned = thread::Builder::new()
            .name("tcms-live-report".into())
            .spawn(move || {
                let _guard = init.map(|init| init());
                let report = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(run(rx, options, handle)),
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
        Self {
            sink,
            count,
            done,
            progress,
        }
    }

    /// Where the report stands, for a progress display on another thread.
    pub fn progress(&self) -> ProgressHandle {
        self.progress.clone()
    }

    /// A handle for other threads.
    pub fn sink(&self) -> Option<Sink> {
        self.sink.clone()
    }

    /// Queues a result; never waits.
    pub fn submit(&mut self, result: TestResult) {
        self.submit_seen(result, std::time::Instant::now());
    }

    /// Queues a result whose latency ([`LiveReport::latencies`]) counts from `seen`: when the
    /// input that made it was read, for a result completed only by a later line.
    pub fn submit_seen(&mut self, result: TestResult, seen: std::time::Instant) {
        match &self.sink {
            Some(sink) => sink.send_seen(result, seen),
            None => {
                self.count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Adds a line to the run's notes (why the input is incomplete, say), written with the
    /// next batch; dropped when no run is created.
    pub fn add_run_note(&mut self, note: impl Into<String>) {
        if let Some(sink) = &self.sink {
            sink.note(note);
        }
    }

    /// Announces how many more tests will run, without their names ([`Sink::planned`]).
    pub fn planned(&mut self, count: usize) {
        if let Some(sink) = &self.sink {
            sink.planned(count);
        }
    }

    /// A test started: RUNNING until its result ([`Sink::started`]).
    pub fn started(&mut self, test: TestResult) {
        if let Some(sink) = &self.sink {
            sink.started(test);
        }
    }

    /// Attaches the file at `path` to the run as `name` when the run is finished (the report
    /// file a stream came from, `--attach-report`); dropped when no run is created.
    pub fn attach_to_run(&mut self, path: impl Into<std::path::PathBuf>, name: impl Into<String>) {
        if let Some(sink) = &self.sink {
            let _ = sink.tx.send(Msg::Attach(path.into(), name.into()));
        }
    }

    /// Results queued so far.
    pub fn submitted(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Sends what is queued, finishes the run and returns what happened. With a `timeout`,
    /// gives up waiting after it (the background thread's work is then abandoned). Every
    /// [`Sink`] must have been dropped before, or this waits for the timeout, unless
    /// [`Sink::interrupt`] was called.
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

/// What the reporting thread keeps between batches.
#[derive(Default)]
struct State {
    /// Results of this batch, with when they were handed over.
    results: Vec<(TestResult, Instant)>,
    /// Tests to plan in this batch.
    plan: Vec<TestResult>,
    /// Tests that started in this batch.
    started: Vec<(TestResult, Instant)>,
    /// Every test planned, by name, and whether it ended.
    planned: HashMap<String, TestResult>,
    /// Tests announced by count only.
    planned_count: usize,
    /// Running tests: since when, and whether their slowness was commented.
    running: HashMap<String, (TestResult, Instant, bool)>,
    /// Names that have a result.
    done: HashSet<String>,
    /// Names whose result landed (a name reported twice, say a failure sent again with its
    /// details, counts once).
    landed: HashSet<String>,
    /// Tests whose result landed.
    reported: usize,
    /// The run's notes changed (a note, a planned count) and are not written yet.
    notes_dirty: bool,
    /// The last progress line written to the notes.
    progress_line: Option<String>,
    interrupted: Option<String>,
    /// Notes that came before the run existed.
    notes_before: Vec<String>,
    /// Files to attach to the run when it is finished.
    attachments: Vec<(std::path::PathBuf, String)>,
}

impl State {
    fn take(&mut self, msg: Msg, reporter: Option<&mut Reporter>, report: &mut LiveReport) {
        match msg {
            Msg::Result(r, at) => {
                report.submitted += 1;
                self.running.remove(&r.name);
                self.done.insert(r.name.clone());
                // A status sent ahead of its text (a failure at once, its text at the end of
                // its test binary) and the result with the text, in one batch: one result,
                // as when they go in two batches (no "[result 1 of 2]" in the comment).
                let ahead = self
                    .results
                    .iter()
                    .position(|(q, _)| q.name == r.name && is_status_only(q, &r));
                match ahead {
                    Some(i) => {
                        let first = self.results.remove(i).1;
                        self.results.push((*r, first));
                    }
                    None => self.results.push((*r, at)),
                }
            }
            Msg::Plan(tests) => {
                for t in tests {
                    if self.planned.insert(t.name.clone(), t.clone()).is_none() {
                        self.plan.push(t);
                    }
                }
            }
            Msg::Planned(n) => {
                self.planned_count += n;
                self.notes_dirty |= n > 0;
            }
            Msg::Started(t, at) => {
                if !self.done.contains(&t.name) {
                    self.running
                        .insert(t.name.clone(), ((*t).clone(), Instant::now(), false));
                    self.started.push((*t, at));
                }
            }
            Msg::Note(note) => {
                match reporter {
                    Some(r) => r.add_run_note(note),
                    None => self.notes_before.push(note),
                }
                // Written with the next batch, not only when the run is finished.
                self.notes_dirty = true;
            }
            Msg::Attach(path, name) => self.attachments.push((path, name)),
            Msg::Interrupt(reason) => self.interrupted = Some(reason),
        }
    }

    fn is_empty(&self) -> bool {
        self.results.is_empty()
            && self.plan.is_empty()
            && self.started.is_empty()
            && !self.notes_dirty
    }

    fn planned_total(&self) -> usize {
        self.planned.len() + self.planned_count
    }

    /// What a progress display shows of the messages taken so far.
    fn publish(&self, progress: &ProgressHandle, report: &LiveReport) {
        progress.update(|p| {
            p.planned = self.planned_total();
            p.submitted = report.submitted;
            p.running = self.running.len();
        });
    }

    /// What a progress display shows of what landed.
    fn publish_landed(&self, progress: &ProgressHandle, reporter: &Reporter) {
        progress.update(|p| {
            p.reported = self.reported;
            p.running = self.running.len();
            p.requests = reporter.client().request_count();
            p.accepted = reporter.summary().accepted.clone();
        });
    }
}

async fn run(
    mut rx: mpsc::UnboundedReceiver<Msg>,
    mut options: LiveOptions,
    progress: ProgressHandle,
) -> LiveReport {
    let mut report = LiveReport::default();
    let mut state = State::default();
    if !options.eager {
        loop {
            match rx.recv().await {
                Some(msg @ (Msg::Result(..) | Msg::Plan(_) | Msg::Started(..))) => {
                    state.take(msg, None, &mut report);
                    break;
                }
                Some(msg) => state.take(msg, None, &mut report),
                None => return report,
            }
        }
    }
    state.publish(&progress, &report);
    let started = match options.connection.take() {
        Some((client, settings)) => Reporter::start(client, settings, options.report.clone()).await,
        None => Reporter::connect(options.plugin.clone(), options.report.clone()).await,
    };
    let mut reporter = match started {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(format!("cannot start reporting: {e}"));
            let mut lost = state.results.len();
            while let Some(msg) = rx.recv().await {
                if let Msg::Result(..) = msg {
                    lost += 1;
                }
            }
            report.submitted = lost;
            report.lost = lost;
            return report;
        }
    };
    let _ = progress.client.set(reporter.client().clone());
    if let Some(on_start) = options.on_start.take() {
        on_start(&reporter);
    }
    for note in std::mem::take(&mut state.notes_before) {
        reporter.add_run_note(note);
    }
    let size = options.batch_size.max(1);
    let most = size.saturating_mul(BURST_FACTOR);
    // The size of the next batch: doubled after a full one (results wait), up to `most`.
    let mut cap = size;
    let interval = options.batch_interval;
    // A batch goes out `interval` after the previous one started, or at once when that is
    // past: a burst is sent together, a lone result after a quiet time without waiting.
    let mut last_sent: Option<Instant> = None;
    let mut deadline: Option<Instant> = None;
    let due = |last_sent: Option<Instant>| {
        let now = Instant::now();
        last_sent.map_or(now, |t| (t + interval).max(now))
    };
    loop {
        state.publish(&progress, &report);
        while state.results.len() < cap && state.interrupted.is_none() {
            match rx.try_recv() {
                Ok(msg) => {
                    state.take(msg, Some(&mut reporter), &mut report);
                    if deadline.is_none() && !state.is_empty() {
                        deadline = Some(due(last_sent));
                    }
                }
                Err(_) => break,
            }
        }
        if state.interrupted.is_some() {
            break;
        }
        let now = Instant::now();
        if !state.is_empty() && (state.results.len() >= cap || deadline.is_none_or(|d| now >= d)) {
            last_sent = Some(now);
            deadline = None;
            cap = if state.results.len() >= cap {
                cap.saturating_mul(2).min(most)
            } else {
                size
            };
            send(&mut reporter, &mut state, &mut report, &mut options).await;
            state.publish_landed(&progress, &reporter);
            continue;
        }
        // Wake up for the batch deadline, or to comment on a slow test.
        let slow_check = slow_deadline(&state, options.slow_after);
        let wake = match (deadline.filter(|_| !state.is_empty()), slow_check) {
            (Some(d), Some(s)) => Some(d.min(s)),
            (d, s) => d.or(s),
        };
        let next = match wake {
            None => rx.recv().await,
            Some(at) => match tokio::time::timeout_at(at, rx.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    comment_slow(&mut reporter, &mut state, options.slow_after).await;
                    continue;
                }
            },
        };
        match next {
            Some(msg) => {
                state.take(msg, Some(&mut reporter), &mut report);
                if deadline.is_none() && !state.is_empty() {
                    deadline = Some(due(last_sent));
                }
            }
            None => break,
        }
    }
    send(&mut reporter, &mut state, &mut report, &mut options).await;
    state.publish(&progress, &report);
    state.publish_landed(&progress, &reporter);
    if let Some(reason) = state.interrupted.clone() {
        interrupt(&mut reporter, &mut state, &mut report, &reason).await;
        report.interrupted = true;
    }
    let planned = state.planned_total();
    if planned > 0 {
        reporter.add_run_note(format!(
            "{} of {planned} planned test(s) reported",
            state.reported.min(planned)
        ));
    }
    for (path, name) in std::mem::take(&mut state.attachments) {
        if let Err(e) = reporter.attach_to_run(&path, Some(&name)).await {
            report
                .errors
                .push(format!("cannot attach {} to the run: {e}", path.display()));
        }
    }
    report.journal = reporter.journal_path().map(ToOwned::to_owned);
    if let Some(line) = report.latency_line() {
        tracing::info!("{line}");
    }
    match reporter.finish().await {
        Ok(summary) => report.summary = Some(summary),
        Err(e) => report
            .errors
            .push(format!("cannot finish the test run: {e}")),
    }
    report
}

/// True when `ahead` says only what `later` says too: one attempt with the same outcome and
/// no text, no properties.
fn is_status_only(ahead: &TestResult, later: &TestResult) -> bool {
    let [attempt] = ahead.attempts() else {
        return false;
    };
    attempt.outcome == later.last_attempt().outcome
        && attempt.message.is_none()
        && attempt.details.is_none()
        && attempt.stdout.is_none()
        && attempt.stderr.is_none()
        && ahead.properties.is_empty()
}

/// When the next running test becomes slow, if any will.
fn slow_deadline(state: &State, slow_after: Option<Duration>) -> Option<Instant> {
    let after = slow_after?;
    state
        .running
        .values()
        .filter(|(_, _, commented)| !commented)
        .map(|(_, since, _)| *since + after)
        .min()
}

/// Comments once on every test running longer than `slow_after`.
async fn comment_slow(reporter: &mut Reporter, state: &mut State, slow_after: Option<Duration>) {
    let Some(after) = slow_after else {
        return;
    };
    let now = Instant::now();
    let mut slow = Vec::new();
    for (name, (_, since, commented)) in state.running.iter_mut() {
        if !*commented && now.duration_since(*since) >= after {
            *commented = true;
            slow.push(name.clone());
        }
    }
    for name in slow {
        let text = format!(
            "still running after {} s (reported while it runs, so that a hang shows)",
            after.as_secs()
        );
        if let Err(e) = reporter.comment(&name, &text).await {
            tracing::warn!("cannot comment on the slow test {name}: {e}");
        }
    }
}

/// Marks the planned tests that did not end: BLOCKED when they never started, ERROR when they
/// were running; notes why.
async fn interrupt(
    reporter: &mut Reporter,
    state: &mut State,
    report: &mut LiveReport,
    reason: &str,
) {
    let mut marks = Vec::new();
    let now = Utc::now();
    // The planned tests, and the running ones that were never planned by name (libtest's
    // `test NAME ... ` with a planned count only).
    let unplanned_running = state
        .running
        .iter()
        .filter(|(name, _)| !state.planned.contains_key(*name))
        .map(|(name, (test, _, _))| (name, test));
    let mut order: Vec<(&String, &TestResult)> =
        state.planned.iter().chain(unplanned_running).collect();
    order.sort_by(|a, b| a.0.cmp(b.0));
    for (name, test) in order {
        if state.done.contains(name) {
            continue;
        }
        let running = state.running.contains_key(name);
        let mut attempt = Attempt::new(if running {
            Outcome::Error
        } else {
            Outcome::Skipped
        });
        attempt.message = Some(if running {
            format!("interrupted while running ({reason})")
        } else {
            format!("not run: the test run was interrupted ({reason})")
        });
        attempt.started = state
            .running
            .get(name)
            .and_then(|(t, _, _)| t.started())
            .or(Some(now));
        attempt.stopped = Some(now);
        let mut result = TestResult::new(name.clone(), attempt);
        result.origin = test.origin.clone();
        marks.push(result);
    }
    reporter.add_run_note(format!(
        "interrupted ({reason}): {} test(s) did not run to the end",
        marks.len()
    ));
    if !marks.is_empty() {
        let (blocked, errors): (Vec<TestResult>, Vec<TestResult>) = marks
            .into_iter()
            .partition(|r| r.last_attempt().outcome == Outcome::Skipped);
        if let Err(e) = reporter.report_blocked(&blocked).await {
            report
                .errors
                .push(format!("cannot mark the tests that did not run: {e}"));
        }
        if let Err(e) = reporter.report(&errors).await {
            report
                .errors
                .push(format!("cannot mark the tests that were running: {e}"));
        }
    }
}

async fn send(
    reporter: &mut Reporter,
    state: &mut State,
    report: &mut LiveReport,
    options: &mut LiveOptions,
) {
    if !state.plan.is_empty() {
        let plan = std::mem::take(&mut state.plan);
        if let Err(e) = reporter.plan(&plan).await {
            tracing::warn!("cannot show the planned tests yet: {e}");
        }
    }
    // Tests that started and ended in this batch go straight to their result.
    let (started, times): (Vec<TestResult>, Vec<Instant>) = std::mem::take(&mut state.started)
        .into_iter()
        .filter(|(t, _)| !state.done.contains(&t.name))
        .unzip();
    if !started.is_empty() {
        match reporter.running(&started).await {
            Ok(()) => {
                let now = Instant::now();
                report
                    .running_latencies
                    .extend(times.iter().map(|t| now.duration_since(*t)));
            }
            Err(e) => tracing::warn!("cannot show the running tests yet: {e}"),
        }
    }
    let batch = std::mem::take(&mut state.results);
    if !batch.is_empty() {
        report.batches += 1;
        let (results, times): (Vec<TestResult>, Vec<Instant>) = batch.into_iter().unzip();
        match reporter.report(&results).await {
            Ok(()) => {
                let now = Instant::now();
                report
                    .latencies
                    .extend(times.iter().map(|t| now.duration_since(*t)));
                for r in &results {
                    if state.landed.insert(r.name.clone()) {
                        state.reported += 1;
                    }
                }
            }
            Err(e) => {
                report.lost += results.len();
                report
                    .errors
                    .push(format!("{} result(s) not reported: {e}", results.len()));
            }
        }
    }
    // The notes: the lines added so far and where the planned tests stand, written when
    // either changed.
    let planned = state.planned_total();
    let line = (planned > 0).then(|| {
        format!(
            "progress: {} of {planned} planned test(s) reported",
            state.reported.min(planned)
        )
    });
    if state.notes_dirty || (line.is_some() && state.progress_line != line) {
        if let Err(e) = reporter.update_notes(line.as_deref()).await {
            tracing::warn!("cannot write the progress into the run's notes: {e}");
        }
        state.notes_dirty = false;
        state.progress_line = line;
    }
    if let Some(on_progress) = options.on_progress.as_mut() {
        on_progress(&Progress {
            planned: state.planned_total(),
            submitted: report.submitted,
            reported: state.reported,
            running: state.running.len(),
            requests: reporter
                .summary()
                .requests
                .max(reporter.client().request_count()),
            in_flight: 0,
            accepted: reporter.summary().accepted.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(list: &[u64]) -> Vec<Duration> {
        list.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn latencies_by_nearest_rank() {
        assert_eq!(Latencies::of(&[]), None);
        let one = Latencies::of(&ms(&[7])).unwrap();
        assert_eq!(
            (one.median, one.p95, one.max),
            (ms(&[7])[0], ms(&[7])[0], ms(&[7])[0])
        );
        // 1..=100 ms in any order: the 50th, the 95th and the 100th.
        let mut list: Vec<u64> = (1..=100).rev().collect();
        list.swap(3, 70);
        let l = Latencies::of(&ms(&list)).unwrap();
        assert_eq!(l.median, Duration::from_millis(50));
        assert_eq!(l.p95, Duration::from_millis(95));
        assert_eq!(l.max, Duration::from_millis(100));
        assert_eq!(l.to_string(), "after median 50 ms, p95 95 ms, max 100 ms");
    }

    #[test]
    fn the_latency_line_names_results_and_running_marks() {
        let mut report = LiveReport::default();
        assert_eq!(report.latency_line(), None);
        report.latencies = ms(&[100, 300, 200]);
        assert_eq!(
            report.latency_line().unwrap(),
            "live: 3 result(s) in Kiwi after median 200 ms, p95 300 ms, max 300 ms"
        );
        report.running_latencies = ms(&[50]);
        assert!(
            report
                .latency_line()
                .unwrap()
                .ends_with("; 1 RUNNING mark(s) after median 50 ms, p95 50 ms, max 50 ms")
        );
    }
}
