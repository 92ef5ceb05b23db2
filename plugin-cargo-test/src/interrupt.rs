//! SIGINT and SIGTERM while the harness runs its tests.
//!
//! The first signal marks, through the live reporter, the planned tests that will not run
//! (BLOCKED; the ones running: ERROR), notes in the run that it was interrupted, waits at
//! most [`GRACE`] for that to land, and ends the process with the shell's status for the
//! signal (130, 143). A second signal ends it at once. SIGKILL cannot be caught: what ran
//! then stays RUNNING in Kiwi TCMS and what never started stays IDLE, which is the truth.
//!
//! The signals arrive on a thread of our own (`signal-hook`'s iterator), never in a signal
//! handler, so the reporting code runs as usual. Once the tests are done and their report is
//! printed, a signal does what it did before: [`Watch::done`] lets it take its default
//! action. Without Unix signals (Windows) nothing is installed.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::live::{LiveReport, LiveReporter, Sink};

/// Prints the report of an interrupted run (the harness's own printing).
pub(crate) type Print = Arc<dyn Fn(&LiveReport) + Send + Sync>;

/// How long a signal waits for the interrupted report to land before the process ends.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// What the signal thread and the harness share.
#[derive(Debug, Default)]
struct State {
    /// The reporter, until the harness takes it back after the last test (or a signal
    /// takes it).
    live: Option<LiveReporter>,
    /// A handle to interrupt it with, dropped with the reporter taken back (its `finish`
    /// waits for every handle to be gone).
    sink: Option<Sink>,
    /// The first signal received.
    signal: Option<i32>,
    /// The harness printed its report: a signal now takes its default action.
    finished: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The reporter under watch: a signal may take it to interrupt the report.
#[derive(Debug)]
pub(crate) struct Watch {
    shared: Arc<Shared>,
}

impl Watch {
    /// Watches for SIGINT and SIGTERM while the tests run: `sink` is interrupted, `live`
    /// finished and its report printed with `print`, then the process ends.
    pub(crate) fn install(live: LiveReporter, sink: Sink, print: Print) -> Self {
        let shared = Arc::new(Shared::default());
        {
            let mut state = shared.lock();
            state.live = Some(live);
            state.sink = Some(sink);
        }
        listen(Arc::clone(&shared), print);
        Self { shared }
    }

    /// The reporter back, after the last test; `None` when a signal took it (the process is
    /// then about to end: see [`Watch::wait_for_exit`]).
    pub(crate) fn take(&self) -> Option<LiveReporter> {
        let mut state = self.shared.lock();
        if state.signal.is_some() {
            return None;
        }
        state.sink = None;
        state.live.take()
    }

    /// Waits for the signal thread to end the process (at most [`GRACE`] and a little), then
    /// ends it.
    pub(crate) fn wait_for_exit(&self) -> ! {
        let state = self.shared.lock();
        let (state, _) = self
            .shared
            .changed
            .wait_timeout_while(state, GRACE + Duration::from_secs(2), |_| true)
            .unwrap_or_else(|e| e.into_inner());
        exit_for(state.signal)
    }

    /// The report is printed. A signal that came meanwhile ends the process now, with its
    /// status; later ones take their default action.
    pub(crate) fn done(&self) {
        let mut state = self.shared.lock();
        state.finished = true;
        self.shared.changed.notify_all();
        if let Some(signal) = state.signal {
            drop(state);
            exit_for(Some(signal));
        }
    }
}

/// Ends the process as a shell reports a process ended by `signal`: 128 + its number.
fn exit_for(signal: Option<i32>) -> ! {
    std::process::exit(128 + signal.unwrap_or(15))
}

#[cfg(unix)]
fn name(signal: i32) -> &'static str {
    match signal {
        signal_hook::consts::SIGINT => "SIGINT",
        signal_hook::consts::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

#[cfg(unix)]
fn listen(shared: Arc<Shared>, print: Print) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    // Registered on the thread, which then says so: a thread that cannot start leaves the
    // signals as they were.
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("tcms-signals".into())
        .spawn(move || {
            let mut signals = match Signals::new([SIGINT, SIGTERM]) {
                Ok(signals) => signals,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            for signal in signals.forever() {
                on_signal(&shared, &print, signal);
            }
        });
    let answer = match spawned {
        Ok(_) => ready
            .recv_timeout(Duration::from_secs(5))
            .map_err(|e| e.to_string())
            .and_then(|r| r),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = answer {
        eprintln!(
            "tcms-cargo-test: warning: cannot watch for SIGINT/SIGTERM ({e}): an interrupted \
             run leaves its tests IDLE"
        );
    }
}

#[cfg(not(unix))]
fn listen(_shared: Arc<Shared>, _print: Print) {}

#[cfg(unix)]
fn on_signal(shared: &Arc<Shared>, print: &Print, signal: i32) {
    let (live, sink) = {
        let mut state = shared.lock();
        if state.finished && state.signal.is_none() {
            // The harness is done: what the signal would have done without us.
            drop(state);
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            return;
        }
        if state.signal.is_some() {
            // A second signal: no more waiting.
            drop(state);
            exit_for(Some(signal));
        }
        state.signal = Some(signal);
        (state.live.take(), state.sink.take())
    };
    let reason = name(signal);
    if let Some(sink) = sink {
        sink.interrupt(reason);
    }
    let shared = Arc::clone(shared);
    let print = Arc::clone(print);
    // Waits on a thread of its own, so that a second signal is still heard.
    let waiting = std::thread::Builder::new()
        .name("tcms-interrupted".into())
        .spawn(move || {
            match live {
                Some(live) => {
                    let report = live.finish(Some(GRACE));
                    print(&report);
                    eprintln!(
                        "tcms-cargo-test: {reason}: the tests that did not run are marked in \
                         Kiwi TCMS (BLOCKED; the running ones ERROR)"
                    );
                }
                None => {
                    // The harness is finishing its report: it ends the process when done.
                    let state = shared.lock();
                    let _ = shared
                        .changed
                        .wait_timeout_while(state, GRACE, |s| !s.finished);
                }
            }
            exit_for(Some(signal));
        });
    if waiting.is_err() {
        exit_for(Some(signal));
    }
}
