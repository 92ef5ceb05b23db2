//! The progress line of a report on a terminal: planned vs done, counts per status, requests
//! in flight, redrawn on stderr (indicatif) while the report runs and cleared at its end, so
//! the summary line stays the last thing printed.
//!
//! Shown only when stderr is a terminal, outside CI (`CI` unset) and without `--quiet`;
//! otherwise every method does nothing extra (a plain CI log gets no progress lines from
//! here). Output that the command copies to stdout while the line is shown (`tcms-tap --tee`,
//! the output of `cargo test`) goes through [`ProgressLine::write_stdout`], which takes the
//! line away while it writes, so the two never mix on one terminal.

use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tcms_api::live::Progress;

use crate::args::CommonArgs;

/// How often the line is read again and redrawn.
const TICK: Duration = Duration::from_millis(100);

/// A progress line (see the [module docs](self)); cheap to clone, clones show the same line.
#[derive(Debug, Clone, Default)]
pub struct ProgressLine {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    bar: ProgressBar,
    /// stdout is the same kind of terminal: copied output must take the line away first.
    stdout_terminal: bool,
    stop: AtomicBool,
    poll: Mutex<Option<JoinHandle<()>>>,
}

impl ProgressLine {
    /// A line for `program`, shown when `args` and the terminal allow it (see the module
    /// docs); nothing is drawn before [`ProgressLine::follow`].
    pub fn new(program: &str, args: &CommonArgs) -> Self {
        let shown =
            !args.quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if !shown {
            return Self::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {prefix}: {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(program.to_owned());
        Self {
            inner: Some(Arc::new(Inner {
                bar,
                stdout_terminal: std::io::stdout().is_terminal(),
                stop: AtomicBool::new(false),
                poll: Mutex::new(None),
            })),
        }
    }

    /// A line that never shows.
    pub fn hidden() -> Self {
        Self { inner: None }
    }

    /// True when the line is drawn on this terminal.
    pub fn is_shown(&self) -> bool {
        self.inner.is_some()
    }

    /// Starts redrawing the line from `source` (a live report's
    /// [`ProgressHandle::get`](tcms_api::live::ProgressHandle::get), say), ten times a second
    /// on a thread of its own, until [`ProgressLine::finish`].
    pub fn follow(&self, source: impl Fn() -> Progress + Send + 'static) {
        let Some(inner) = &self.inner else {
            return;
        };
        let weak = Arc::downgrade(inner);
        let spawned = std::thread::Builder::new()
            .name("tcms-progress".into())
            .spawn(move || {
                while let Some(inner) = weak.upgrade() {
                    if inner.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    inner.bar.set_message(describe(&source()));
                    inner.bar.tick();
                    drop(inner);
                    std::thread::sleep(TICK);
                }
            });
        if let (Ok(handle), Ok(mut poll)) = (spawned, inner.poll.lock()) {
            *poll = Some(handle);
        }
    }

    /// Runs `f` with the line taken away (it prints to the terminal), then draws it again.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.inner {
            Some(inner) => inner.bar.suspend(f),
            None => f(),
        }
    }

    /// Writes `bytes` to stdout and flushes, taking the line away meanwhile when stdout is a
    /// terminal too.
    pub fn write_stdout(&self, bytes: &[u8]) -> std::io::Result<()> {
        let on_terminal = self.inner.as_ref().is_some_and(|i| i.stdout_terminal);
        self.write(std::io::stdout().lock(), bytes, on_terminal)
    }

    /// Writes `bytes` to stderr (another program's messages) and flushes, taking the line
    /// away meanwhile.
    pub fn write_stderr(&self, bytes: &[u8]) -> std::io::Result<()> {
        self.write(std::io::stderr().lock(), bytes, true)
    }

    /// Writes and flushes, with the line taken away when `past_line` (and there is one).
    fn write(&self, mut out: impl Write, bytes: &[u8], past_line: bool) -> std::io::Result<()> {
        let mut write = || out.write_all(bytes).and_then(|()| out.flush());
        match &self.inner {
            Some(inner) if past_line => inner.bar.suspend(write),
            _ => write(),
        }
    }

    /// Stops redrawing and clears the line (the summary line comes next).
    pub fn finish(&self) {
        let Some(inner) = &self.inner else {
            return;
        };
        inner.stop.store(true, Ordering::Relaxed);
        let handle = inner.poll.lock().ok().and_then(|mut p| p.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
        inner.bar.finish_and_clear();
    }
}

/// The line's text: `12 of 40 reported · 10 passed, 1 failed, 1 running, 28 idle · 3 queued ·
/// 2 request(s) in flight`.
pub fn describe(p: &Progress) -> String {
    let mut parts = Vec::new();
    parts.push(if p.planned > 0 {
        format!("{} of {} reported", p.reported, p.planned.max(p.reported))
    } else {
        format!("{} reported", p.reported)
    });
    let statuses: Vec<String> = p
        .accepted
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {}", s.name().to_lowercase()))
        .collect();
    if !statuses.is_empty() {
        parts.push(statuses.join(", "));
    }
    let queued = p.submitted.saturating_sub(p.reported);
    if queued > 0 {
        parts.push(format!("{queued} queued"));
    }
    parts.push(format!("{} request(s) in flight", p.in_flight));
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use tcms_api::report::KiwiStatus;

    use super::*;

    #[test]
    fn the_line_says_planned_done_statuses_and_requests() {
        let mut p = Progress::default();
        assert_eq!(describe(&p), "0 reported · 0 request(s) in flight");
        p.planned = 40;
        p.reported = 12;
        p.submitted = 15;
        p.in_flight = 2;
        p.accepted.insert(KiwiStatus::Passed, 10);
        p.accepted.insert(KiwiStatus::Failed, 2);
        p.accepted.insert(KiwiStatus::Idle, 28);
        p.accepted.insert(KiwiStatus::Waived, 0);
        assert_eq!(
            describe(&p),
            "12 of 40 reported · 28 idle, 10 passed, 2 failed · 3 queued · 2 request(s) in flight"
        );
    }

    #[test]
    fn a_hidden_line_does_nothing() {
        let line = ProgressLine::hidden();
        assert!(!line.is_shown());
        line.follow(Progress::default);
        assert_eq!(line.suspend(|| 7), 7);
        line.finish();
    }
}
