//! A streaming parser of `cargo test` output: libtest's human format, and its JSON format
//! (`-Z unstable-options --format json`), mixed with Cargo's own lines.
//!
//! Feed it one line at a time with [`LibtestParser::line`] (as they arrive, for live
//! reporting) and end with [`LibtestParser::finish`]; or parse a whole text with
//! [`parse_str`]. It never fails: what it cannot make sense of is either noise (test output)
//! or a [`Problem`].
//!
//! # What it reads
//!
//! - Cargo's headers, which name the test binary of the lines that follow:
//!   `Running unittests src/lib.rs (target/debug/deps/foo-<hash>)`, `Running tests/it.rs
//!   (...)`, `Doc-tests foo`. Results are named `<target>::<test>` (see [`crate::naming`]).
//! - `running N tests`, then `test NAME ... ok | FAILED | ignored | ignored, REASON` and
//!   `bench:` lines; the ` - should panic`, ` - compile` and ` - compile fail` markers are not
//!   part of the name; `--report-time` durations (`ok <0.012s>`) are kept.
//! - The `---- NAME stdout ----` sections after `failures:`: the comment of the failed test.
//!   A failed test is therefore passed on when its binary's `test result:` line is read.
//! - `--nocapture` output: with one thread a result may come after the test's own output
//!   (`test x ... some output` … `FAILED`); with several threads test output and result lines
//!   interleave (`partial linetest x ... ok`). A panic message printed inline (`thread 'x'
//!   panicked at ...`) is kept as the failure text of test `x`.
//! - JSON events, one per line (possibly after test output on the same line): `suite` /
//!   `test` / `bench` events; `exec_time` (from `--report-time`) gives durations, and `stdout`
//!   / `message` the failure text.
//!
//! # Problems
//!
//! A binary whose output stops before its `test result:` line (it crashed or was killed)
//! is [`ProblemKind::Incomplete`]; a test that had started but has no result is reported as an
//! error. A `test result:` that counts more tests than were named (`cargo test -q`) is
//! [`ProblemKind::Unnamed`]. Input with no test output at all is [`ProblemKind::NoTests`].

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tcms_api::report::{Attempt, Location, Origin, Outcome, TestResult};

use crate::naming::{case_name, normalize_target};

mod lines;

use lines::*;

/// Something in the input that keeps the report from being complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The input line (1-based) where it was noticed.
    pub line: u64,
    /// What it is.
    pub kind: ProblemKind,
}

impl Problem {
    /// True when the input says the test run itself is incomplete (a binary stopped early).
    pub fn is_incomplete(&self) -> bool {
        matches!(self.kind, ProblemKind::Incomplete { .. })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ProblemKind::NoTests | ProblemKind::NextestOutput => write!(f, "{}", self.kind),
            kind => write!(f, "input line {}: {kind}", self.line),
        }
    }
}

/// What kind of [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A test binary's output ended before its `test result:` line.
    #[error(
        "the output of test binary `{}` ends after {seen} of {} results, without its \
         `test result:` line (did it crash or was it killed?){}",
        target.as_deref().unwrap_or("?"),
        expected.map_or_else(|| "?".to_owned(), |n| n.to_string()),
        unfinished_list(unfinished)
    )]
    Incomplete {
        /// The binary's target.
        target: Option<String>,
        /// Results read.
        seen: usize,
        /// `running N tests`.
        expected: Option<usize>,
        /// Tests that had started and have no result (reported as errors).
        unfinished: Vec<String>,
    },
    /// `test result:` counts tests that had no line of their own.
    #[error(
        "test binary `{}`: `test result:` counts {counted} tests but only {named} were named \
         (was the output made with `cargo test -q` or `--format terse`? Run without them); \
         the others are not reported",
        target.as_deref().unwrap_or("?")
    )]
    Unnamed {
        /// The binary's target.
        target: Option<String>,
        /// Results with a name.
        named: usize,
        /// Passed + failed + ignored + measured of the `test result:` line.
        counted: usize,
    },
    /// A line that looks like a libtest JSON event but is not one.
    #[error("unreadable libtest JSON event: {0}")]
    BadJson(String),
    /// No `running N tests` line and no JSON suite in the whole input.
    #[error("no test results in the input (no `running N tests` line): did the build fail?")]
    NoTests,
    /// The input is `cargo nextest run` output, which this parser does not read.
    #[error(
        "the input looks like `cargo nextest run` output, which has no libtest result lines: \
         run `tcms-cargo-test -- cargo nextest run ...` so that nextest's JUnit report is read"
    )]
    NextestOutput,
}

fn unfinished_list(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!("; unfinished: {}", names.join(", "))
    }
}

/// What a live reporter can show before a result ([`LibtestParser::live`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LiveEvent {
    /// `running N tests`, or a JSON suite's `test_count`: N more tests of one binary planned.
    Planned(usize),
    /// `test NAME ... ` before its status (libtest prints it first with `--test-threads=1`),
    /// or a JSON `started` event: the test runs since its attempt's `started` (when the line
    /// was read).
    Started(Box<TestResult>),
}

/// Results and problems of a whole input (see [`parse_str`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Every result, in the order they became known.
    pub results: Vec<TestResult>,
    /// What was wrong with the input.
    pub problems: Vec<Problem>,
}

/// Parses a whole `cargo test` output; every line gets the time `now`.
///
/// ```
/// use tcms_api::report::Outcome;
///
/// let output = "     Running tests/it.rs (target/debug/deps/it-0ddca08fee548bda)\n\
///               \n\
///               running 1 test\n\
///               test adds ... ok\n\
///               \n\
///               test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
/// let parsed = tcms_cargo_test::libtest::parse_str(output, chrono::Utc::now());
/// assert_eq!(parsed.results[0].name, "it::adds");
/// assert_eq!(parsed.results[0].attempts()[0].outcome, Outcome::Passed);
/// assert!(parsed.problems.is_empty());
/// ```
pub fn parse_str(text: &str, now: DateTime<Utc>) -> Parsed {
    let mut parser = LibtestParser::new();
    let mut results = Vec::new();
    for line in text.lines() {
        parser.line(line, now, &mut results);
    }
    let problems = parser.finish(now, &mut results);
    Parsed { results, problems }
}

/// `line` without its ANSI colour codes (what `cargo test --color always` and nextest add).
pub fn strip_colours(line: &str) -> std::borrow::Cow<'_, str> {
    strip_ansi(line)
}

/// How a test ended, as a result line says.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Ok,
    Failed(Option<String>),
    Ignored(Option<String>),
    Bench(String),
}

/// A `test NAME ... ` line whose status has not come yet (one thread, `--nocapture`).
#[derive(Debug)]
struct Pending {
    name: String,
    line: u64,
    /// Output lines since, the first one being what followed ` ... `.
    lines: Vec<String>,
}

/// Where in a binary's output the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Result lines.
    Tests,
    /// After the first `failures:`: `---- NAME stdout ----` sections.
    Failures,
    /// After the second `failures:`: the list of names.
    FailureList,
}

/// The output of one test binary (one `running N tests` or JSON suite).
#[derive(Debug)]
struct Section {
    target: Option<String>,
    json: bool,
    expected: Option<usize>,
    seen: usize,
    phase: Phase,
    pending: Option<Pending>,
    /// Failed tests waiting for their `---- NAME stdout ----` section.
    held: Vec<TestResult>,
    /// The section being read: name and lines.
    capture: Option<(String, Vec<String>)>,
    /// Failure text by test name, from `---- NAME stdout ----` sections.
    sections: HashMap<String, String>,
    /// Failure text by test name, from panic messages printed inline (`--nocapture`).
    inline: HashMap<String, String>,
    /// An inline panic message being read (`--nocapture`): test name and lines.
    panic: Option<(String, Vec<String>)>,
    /// JSON: tests started and not finished, with their start time.
    started: Vec<(String, DateTime<Utc>)>,
    /// A failure also goes out at once, without its text ([`LibtestParser::live`]).
    early_failures: bool,
}

impl Section {
    fn new(target: Option<String>, json: bool, expected: Option<usize>) -> Self {
        Self {
            target,
            json,
            expected,
            seen: 0,
            phase: Phase::Tests,
            pending: None,
            held: Vec::new(),
            capture: None,
            sections: HashMap::new(),
            inline: HashMap::new(),
            panic: None,
            started: Vec::new(),
            early_failures: false,
        }
    }

    fn early_failures(mut self, on: bool) -> Self {
        self.early_failures = on;
        self
    }

    fn end_capture(&mut self) {
        if let Some((name, lines)) = self.capture.take() {
            self.sections.insert(name, join_trimmed(&lines));
        }
    }

    fn end_panic(&mut self) {
        if let Some((name, lines)) = self.panic.take() {
            self.inline
                .entry(name)
                .or_insert_with(|| join_trimmed(&lines));
        }
    }
}

/// The streaming parser (see the [module docs](self)).
#[derive(Debug, Default)]
pub struct LibtestParser {
    /// Target for output that comes without a Cargo header.
    default_target: Option<String>,
    /// Target named by the last header.
    target: Option<String>,
    line_no: u64,
    section: Option<Section>,
    problems: Vec<Problem>,
    sections: usize,
    nextest: bool,
    /// [`LibtestParser::live`].
    live: bool,
    /// What [`LibtestParser::take_events`] hands out next.
    events: Vec<LiveEvent>,
    /// The test of the last [`LiveEvent::Started`] (one line may be seen twice: unfinished,
    /// then whole).
    announced: Option<(Option<String>, String)>,
}

impl LibtestParser {
    /// A parser; output before the first Cargo header has no target.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names results of output that comes without a Cargo header (a test binary run directly)
    /// `<target>::<test>`.
    pub fn with_default_target(mut self, target: impl Into<String>) -> Self {
        let target = normalize_target(&target.into());
        self.default_target = Some(target.clone());
        self.target = Some(target);
        self
    }

    /// Live reading: [`LiveEvent`]s are kept for [`LibtestParser::take_events`], and a failed
    /// test of the human format goes out twice: at once, with its status and dates only, and
    /// with its text at its binary's `test result:` line (its `---- NAME stdout ----` section
    /// comes just before it). Without it, a failure waits for its text.
    pub fn live(mut self, live: bool) -> Self {
        self.live = live;
        self
    }

    /// The [`LiveEvent`]s since the last call, in input order (none unless
    /// [`LibtestParser::live`]). Events of a line come before the results it completed.
    pub fn take_events(&mut self) -> Vec<LiveEvent> {
        std::mem::take(&mut self.events)
    }

    /// The unfinished last line of the input so far (no line break yet): libtest writes
    /// `test NAME ... ` and the status only when the test ends (`--test-threads=1`), so the
    /// start shows here. With [`LibtestParser::live`], gives a [`LiveEvent::Started`]; reads
    /// nothing else (the whole line comes to [`LibtestParser::line`] later).
    pub fn partial(&mut self, raw: &str, now: DateTime<Utc>) {
        if !self.live {
            return;
        }
        let line = strip_ansi(raw);
        let Some(section) = self.section.as_ref() else {
            return;
        };
        if section.json || section.phase != Phase::Tests {
            return;
        }
        if let Some((name, rest)) = split_test_line(line.as_ref())
            && parse_status(rest).is_none()
        {
            let name = name.to_owned();
            self.announce(&name, self.line_no + 1, now);
        }
    }

    /// A [`LiveEvent::Started`] for `name` of the open section, once.
    fn announce(&mut self, name: &str, line: u64, now: DateTime<Utc>) {
        if !self.live {
            return;
        }
        let Some(section) = self.section.as_ref() else {
            return;
        };
        let key = (section.target.clone(), name.to_owned());
        if self.announced.as_ref() == Some(&key) {
            return;
        }
        let mut attempt = Attempt::new(Outcome::Passed);
        attempt.started = Some(now);
        let test = result(section, name, attempt, line);
        self.announced = Some(key);
        self.events.push(LiveEvent::Started(Box::new(test)));
    }

    /// The input lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.line_no
    }

    /// Problems found so far.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Reads one line (without its line break; a trailing `\r` and colour codes are removed),
    /// read at time `now`. Results that are complete are pushed to `out`.
    pub fn line(&mut self, raw: &str, now: DateTime<Utc>, out: &mut Vec<TestResult>) {
        let start = out.len();
        self.read_line(raw, now, out);
        locate(&mut out[start..]);
    }

    fn read_line(&mut self, raw: &str, now: DateTime<Utc>, out: &mut Vec<TestResult>) {
        self.line_no += 1;
        let line = strip_ansi(raw.strip_suffix('\r').unwrap_or(raw));
        let line = line.as_ref();

        if let Some(target) = header_target(line) {
            self.close_section(now, out);
            self.target = Some(target);
            return;
        }
        if let Some(start) = json_start(line) {
            self.json_line(&line[start..], now, out);
            return;
        }
        if let Some(n) = running_count(line) {
            self.close_section(now, out);
            self.sections += 1;
            self.section =
                Some(Section::new(self.target.clone(), false, Some(n)).early_failures(self.live));
            if self.live {
                self.events.push(LiveEvent::Planned(n));
            }
            return;
        }
        if self.section.is_none() {
            if is_nextest_line(line) {
                self.nextest = true;
            }
            return;
        }
        self.section_line(line, now, out);
    }

    /// Ends the input: a binary whose output is not complete is reported as far as it goes.
    /// Returns every problem found.
    pub fn finish(mut self, now: DateTime<Utc>, out: &mut Vec<TestResult>) -> Vec<Problem> {
        let start = out.len();
        self.close_section(now, out);
        locate(&mut out[start..]);
        if self.sections == 0 {
            let kind = if self.nextest {
                ProblemKind::NextestOutput
            } else {
                ProblemKind::NoTests
            };
            self.problems.push(Problem {
                line: self.line_no,
                kind,
            });
        }
        self.problems
    }

    /// A line inside a human-format section.
    fn section_line(&mut self, line: &str, now: DateTime<Utc>, out: &mut Vec<TestResult>) {
        let Some(section) = self.section.as_mut() else {
            return;
        };
        if let Some(counts) = result_counts(line) {
            self.end_section(Some(counts), now, out);
            return;
        }
        if line == "failures:" {
            resolve_pending(section, now, out);
            section.end_panic();
            section.end_capture();
            section.phase = match section.phase {
                Phase::Tests => Phase::Failures,
                _ => Phase::FailureList,
            };
            return;
        }
        if section.phase == Phase::Failures {
            if let Some(name) = output_header(line) {
                section.end_capture();
                section.capture = Some((name.to_owned(), Vec::new()));
            } else if let Some((_, lines)) = section.capture.as_mut() {
                lines.push(line.to_owned());
            }
            return;
        }
        if section.phase == Phase::FailureList {
            return;
        }
        if is_long_running_note(line) {
            return;
        }
        if let Some((name, rest)) = split_test_line(line) {
            resolve_pending(section, now, out);
            section.end_panic();
            match parse_status(rest) {
                Some((status, duration)) => {
                    finish_test(
                        section,
                        name,
                        status,
                        duration,
                        None,
                        self.line_no,
                        now,
                        out,
                    );
                }
                None => {
                    let mut lines = Vec::new();
                    if !rest.trim().is_empty() {
                        lines.push(rest.to_owned());
                    }
                    section.pending = Some(Pending {
                        name: name.to_owned(),
                        line: self.line_no,
                        lines,
                    });
                    let name = name.to_owned();
                    self.announce(&name, self.line_no, now);
                }
            }
            return;
        }
        if let Some(pending) = section.pending.as_mut() {
            pending.lines.push(line.to_owned());
            return;
        }
        // Several threads and --nocapture: a result line glued to test output.
        if let Some((name, status, duration)) = embedded_result(line) {
            section.end_panic();
            finish_test(
                section,
                name,
                status,
                duration,
                None,
                self.line_no,
                now,
                out,
            );
            return;
        }
        track_panic(section, line);
    }

    /// A JSON event (what follows test output on the line, if any).
    fn json_line(&mut self, text: &str, now: DateTime<Utc>, out: &mut Vec<TestResult>) {
        let event: Event = match serde_json::from_str(text) {
            Ok(e) => e,
            Err(e) => {
                self.problems.push(Problem {
                    line: self.line_no,
                    kind: ProblemKind::BadJson(e.to_string()),
                });
                return;
            }
        };
        match (event.kind.as_str(), event.event.as_deref()) {
            ("suite", Some("started")) => {
                self.close_section(now, out);
                self.sections += 1;
                let count = event.test_count.map(|n| n as usize);
                self.section = Some(Section::new(self.target.clone(), true, count));
                if let (true, Some(n)) = (self.live, count) {
                    self.events.push(LiveEvent::Planned(n));
                }
            }
            ("suite", Some(_)) => {
                let counted = [event.passed, event.failed, event.ignored, event.measured]
                    .iter()
                    .map(|n| n.unwrap_or(0) as usize)
                    .sum();
                self.end_section(Some(counted), now, out);
            }
            ("test", Some(kind)) => {
                let line = self.line_no;
                let section = self.json_section(now, out);
                let Some(name) = event.name.as_deref() else {
                    return;
                };
                let name = strip_mode(name);
                section.end_panic();
                let status = match kind {
                    "started" => {
                        section.started.push((name.to_owned(), now));
                        let name = name.to_owned();
                        self.announce(&name, line, now);
                        return;
                    }
                    "ok" => Status::Ok,
                    "ignored" => Status::Ignored(event.message.clone()),
                    "failed" => Status::Failed(
                        event
                            .message
                            .as_deref()
                            .and_then(|m| m.lines().next())
                            .map(|m| m.trim().to_owned()),
                    ),
                    // "timeout" (running for over 60 s) and unknown events are no results.
                    _ => return,
                };
                let duration = event.exec_time.and_then(seconds);
                let output = match (&event.message, &event.stdout) {
                    (_, _) if kind != "failed" => None,
                    (Some(m), Some(s)) => Some(format!("{}\n\n{}", m.trim_end(), s.trim())),
                    (Some(m), None) => Some(m.trim().to_owned()),
                    (None, Some(s)) => Some(s.trim().to_owned()),
                    (None, None) => None,
                };
                finish_test(section, name, status, duration, output, line, now, out);
            }
            ("bench", _) => {
                let line = self.line_no;
                let section = self.json_section(now, out);
                if let Some(name) = event.name.as_deref() {
                    let text = match (event.median, event.deviation) {
                        (Some(m), Some(d)) => format!("{m} ns/iter (+/- {d})"),
                        (Some(m), None) => format!("{m} ns/iter"),
                        _ => String::new(),
                    };
                    finish_test(
                        section,
                        name,
                        Status::Bench(text),
                        None,
                        None,
                        line,
                        now,
                        out,
                    );
                }
            }
            // "report" (doc-test timings) and unknown types.
            _ => {}
        }
    }

    /// The open JSON section, or a new one (events without their `suite started`).
    fn json_section(&mut self, now: DateTime<Utc>, out: &mut Vec<TestResult>) -> &mut Section {
        if !self.section.as_ref().is_some_and(|s| s.json) {
            self.close_section(now, out);
            self.sections += 1;
        }
        let target = self.target.clone();
        self.section
            .get_or_insert_with(|| Section::new(target, true, None))
    }

    /// Closes the open section, which had no `test result:` line.
    fn close_section(&mut self, now: DateTime<Utc>, out: &mut Vec<TestResult>) {
        if self.section.is_some() {
            self.end_section(None, now, out);
        }
    }

    /// Ends the open section: `counted` is the total of its `test result:` line, `None` when
    /// the output stopped before it.
    fn end_section(
        &mut self,
        counted: Option<usize>,
        now: DateTime<Utc>,
        out: &mut Vec<TestResult>,
    ) {
        let Some(mut section) = self.section.take() else {
            return;
        };
        let line = self.line_no;
        let mut unfinished = Vec::new();
        if let Some(pending) = section.pending.take()
            && let Some(name) = settle(&mut section, pending, counted.is_some(), now, out)
        {
            unfinished.push(name);
        }
        section.end_capture();
        section.end_panic();
        if counted.is_none() {
            for (name, started) in std::mem::take(&mut section.started) {
                let mut attempt = Attempt::new(Outcome::Error);
                attempt.message = Some(
                    "the test binary stopped before this test finished (crashed or killed?)"
                        .to_owned(),
                );
                attempt.started = Some(started);
                attempt.stopped = Some(now);
                section.seen += 1;
                out.push(result(&section, &name, attempt, line));
                unfinished.push(name);
            }
        }
        for mut held in std::mem::take(&mut section.held) {
            let test = held
                .origin
                .class
                .take()
                .unwrap_or_else(|| held.name.clone());
            let attempt = held.last_attempt_mut();
            let text = match (attempt.details.take(), section.sections.remove(&test)) {
                (Some(inline), Some(text)) if inline.contains(text.as_str()) => Some(inline),
                (Some(inline), Some(text)) => Some(format!("{inline}\n\n{text}")),
                (inline, text) => inline.or(text),
            };
            if let Some(text) = text {
                attempt.message = attempt.message.take().or_else(|| failure_message(&text));
                attempt.details = Some(text);
            }
            out.push(held);
        }
        match counted {
            Some(counted) if counted > section.seen => self.problems.push(Problem {
                line,
                kind: ProblemKind::Unnamed {
                    target: section.target,
                    named: section.seen,
                    counted,
                },
            }),
            Some(_) => {}
            None => self.problems.push(Problem {
                line,
                kind: ProblemKind::Incomplete {
                    target: section.target,
                    seen: section.seen,
                    expected: section.expected,
                    unfinished,
                },
            }),
        }
    }
}

/// Settles a pending test before the next structural line: its status is the last candidate
/// line, the lines before it are its output. Returns its name when it never finished.
fn settle(
    section: &mut Section,
    pending: Pending,
    section_complete: bool,
    now: DateTime<Utc>,
    out: &mut Vec<TestResult>,
) -> Option<String> {
    let candidate =
        pending.lines.iter().enumerate().rev().find_map(|(i, l)| {
            trailing_status(l).map(|(prefix, status, d)| (i, prefix, status, d))
        });
    match candidate {
        Some((index, prefix, status, duration)) => {
            // The panic hook's `note: run with RUST_BACKTRACE=1 ...` belongs to whichever test
            // panicked on another thread (its stderr lands between our stdout lines): never
            // this test's output.
            let mut output: Vec<String> = pending.lines[..index]
                .iter()
                .filter(|l| !is_backtrace_note(l))
                .cloned()
                .collect();
            if !prefix.is_empty() {
                output.push(prefix.to_owned());
            }
            let text = join_trimmed(&output);
            let output = (!text.is_empty()).then_some(text);
            finish_test(
                section,
                &pending.name,
                status,
                duration,
                output,
                pending.line,
                now,
                out,
            );
            None
        }
        None => {
            let mut attempt = Attempt::new(Outcome::Error);
            attempt.message = Some(if section_complete {
                "no result line for this test".to_owned()
            } else {
                "the test binary stopped before this test finished (crashed or killed?)".to_owned()
            });
            let text = join_trimmed(&pending.lines);
            attempt.details = (!text.is_empty()).then_some(text);
            attempt.stopped = Some(now);
            section.seen += 1;
            out.push(result(section, &pending.name, attempt, pending.line));
            Some(pending.name)
        }
    }
}

fn resolve_pending(section: &mut Section, now: DateTime<Utc>, out: &mut Vec<TestResult>) {
    if let Some(pending) = section.pending.take() {
        // A pending test followed by another line of the same binary: settled now; one that
        // never got a status is an error (a following `test result:` or header says more).
        let _ = settle(section, pending, true, now, out);
    }
}

/// Turns a finished test into a result: passed and ignored ones go out now, failed ones wait
/// for their `---- NAME stdout ----` section (human format) unless their text is known.
#[allow(clippy::too_many_arguments)]
fn finish_test(
    section: &mut Section,
    name: &str,
    status: Status,
    duration: Option<Duration>,
    output: Option<String>,
    line: u64,
    now: DateTime<Utc>,
    out: &mut Vec<TestResult>,
) {
    section.seen += 1;
    let started_at = section
        .started
        .iter()
        .position(|(n, _)| n == name)
        .map(|i| section.started.remove(i).1);
    let mut attempt = Attempt::new(match status {
        Status::Ok | Status::Bench(_) => Outcome::Passed,
        Status::Failed(_) => Outcome::Failed,
        Status::Ignored(_) => Outcome::Skipped,
    });
    attempt.stopped = Some(now);
    attempt.duration = duration;
    // A duration too large for a date (garbage `exec_time`) leaves the start unknown.
    attempt.started = match duration.and_then(|d| TimeDelta::from_std(d).ok()) {
        Some(d) => now.checked_sub_signed(d),
        None => started_at,
    };
    match status {
        Status::Ok => {}
        Status::Bench(text) => attempt.details = (!text.is_empty()).then_some(text),
        Status::Ignored(reason) => {
            attempt.message = reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
        }
        Status::Failed(extra) => {
            attempt.message = extra;
            let text = output.or_else(|| section.inline.remove(name));
            if section.json {
                if let Some(text) = text {
                    attempt.message = attempt.message.take().or_else(|| failure_message(&text));
                    attempt.details = Some(text);
                }
                out.push(result(section, name, attempt, line));
            } else {
                // Held until the binary's `test result:` line: its `---- NAME stdout ----`
                // section comes before it. What was printed inline is kept in `details`, the
                // test name in `origin.class`. Live, its status goes out now.
                if section.early_failures {
                    let mut early = attempt.clone();
                    early.message = None;
                    early.details = None;
                    out.push(result(section, name, early, line));
                }
                attempt.details = text;
                let mut r = result(section, name, attempt, line);
                r.origin.class = Some(name.to_owned());
                section.held.push(r);
            }
            return;
        }
    }
    out.push(result(section, name, attempt, line));
}

fn result(section: &Section, name: &str, attempt: Attempt, line: u64) -> TestResult {
    let mut r = TestResult::new(case_name(section.target.as_deref(), name), attempt);
    r.origin = Origin {
        suite: section.target.clone(),
        class: None,
        file: doc_test_file(name).map(str::to_owned),
        line: Some(line),
        location: doc_test_location(name),
    };
    r
}

/// Where a doc-test is: `src/lib.rs - add (line 5)` is line 5 of `src/lib.rs` (its panics
/// are in a generated file).
fn doc_test_location(name: &str) -> Option<Location> {
    let file = doc_test_file(name)?;
    let line = name
        .rsplit_once("(line ")?
        .1
        .strip_suffix(')')?
        .parse::<u64>()
        .ok()?;
    Some(Location {
        file: file.to_owned(),
        line: Some(line),
        column: None,
    })
}

/// The source file of a doc-test name (`src/lib.rs - add (line 5)`).
fn doc_test_file(name: &str) -> Option<&str> {
    name.ends_with(')')
        .then(|| name.split_once(" - "))
        .flatten()
        .map(|(file, _)| file)
}

/// The line the default panic hook ends a panic message with.
fn is_backtrace_note(line: &str) -> bool {
    line.trim_start()
        .starts_with("note: run with `RUST_BACKTRACE")
}

/// Starts or continues an inline panic message (`--nocapture`): `thread 'NAME' panicked at`.
fn track_panic(section: &mut Section, line: &str) {
    if let Some(name) = panicking_thread(line) {
        section.end_panic();
        section.panic = Some((name.to_owned(), vec![line.to_owned()]));
    } else if let Some((_, lines)) = section.panic.as_mut() {
        lines.push(line.to_owned());
        if is_backtrace_note(line) {
            section.end_panic();
        }
    }
}

/// `thread 'NAME' panicked at ...` / `thread 'NAME' (123) panicked at ...`: NAME.
fn panicking_thread(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("thread '")?;
    let (name, after) = rest.split_once('\'')?;
    after.contains(" panicked at ").then_some(name)
}

fn locate(results: &mut [TestResult]) {
    results.iter_mut().for_each(locate_panic);
}

/// Sets the source location of a failed result that has none from where it panicked
/// ([`panic_location`] of its failure text, standard error, then standard output).
pub fn locate_panic(result: &mut TestResult) {
    if result.origin.location.is_some() {
        return;
    }
    let found = result
        .attempts()
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Failed | Outcome::Error))
        .flat_map(|a| [&a.details, &a.stderr, &a.stdout])
        .filter_map(|text| text.as_deref())
        .find_map(panic_location);
    result.origin.location = found;
}

/// Where a failure text says the test panicked: `thread 'NAME' panicked at src/lib.rs:10:5:`
/// (Rust 1.73 and later), `panicked at 'message', src/lib.rs:10:5` (before), or the
/// harness's `panicked at src/lib.rs:10:5`. Places in the standard library or in a
/// dependency's registry sources are not the test's: they are skipped.
pub fn panic_location(text: &str) -> Option<Location> {
    text.lines().find_map(|line| {
        let at = line.find("panicked at ")?;
        let after = line[at + "panicked at ".len()..].trim_end();
        let place = match after.strip_prefix('\'') {
            // Before Rust 1.73: `panicked at 'message', src/lib.rs:5:9`.
            Some(quoted) => quoted.rsplit_once("', ")?.1,
            None => after.strip_suffix(':').unwrap_or(after),
        };
        let location = Location::parse(place)?;
        let foreign = location.file.starts_with("/rustc/")
            || location.file.contains("/.cargo/registry/")
            || location.file.contains("rustdoctest")
            || location.file.contains(' ');
        (location.line.is_some() && !foreign).then_some(location)
    })
}

/// The one-line message of a failure text: libtest's note on a `#[should_panic]` test, else
/// libtest-mimic's `test panicked: ...`, else the first line of the panic message, else the `Error: ...` line of a test that returned
/// `Err`, else the first non-blank line.
pub fn failure_message(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    // `#[should_panic]` tests: what libtest says about the panic is the failure.
    if let Some(note) = lines.iter().find(|l| {
        l.starts_with("note: test did not panic as expected")
            || l.starts_with("note: panic did not contain expected string")
    }) {
        return Some(note.trim_start_matches("note: ").trim().to_owned());
    }
    // libtest-mimic's message for a panicking trial (what the harness reports too).
    if let Some(line) = lines.iter().find(|l| l.starts_with("test panicked")) {
        return Some(line.trim().to_owned());
    }
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find(" panicked at ") else {
            continue;
        };
        if !line.trim_start().starts_with("thread '") {
            continue;
        }
        let after = &line[at + " panicked at ".len()..];
        // Rust < 1.73: `panicked at 'message', src/lib.rs:5:9`.
        if let Some(quoted) = after.strip_prefix('\'')
            && let Some((message, _)) = quoted.rsplit_once("', ")
        {
            return Some(message.to_owned());
        }
        if let Some(next) = lines[i + 1..].iter().find(|l| !l.trim().is_empty()) {
            return Some(next.trim().to_owned());
        }
    }
    lines
        .iter()
        .find(|l| l.starts_with("Error: "))
        .or_else(|| lines.iter().find(|l| !l.trim().is_empty()))
        .map(|l| l.trim().to_owned())
}

// ----------------------------------------------------------------------------------------
// Line shapes.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            header_target(
                "     Running unittests src/lib.rs (target/debug/deps/demo_crate-194e5f239690026b)"
            )
            .as_deref(),
            Some("demo_crate")
        );
        assert_eq!(
            header_target("     Running tests/it.rs (/abs/target/debug/deps/it-0ddca08fee548bda)")
                .as_deref(),
            Some("it")
        );
        assert_eq!(
            header_target("     Running target/debug/deps/old-0ddca08fee548bda").as_deref(),
            Some("old")
        );
        assert_eq!(
            header_target("   Doc-tests demo_crate").as_deref(),
            Some("demo_crate")
        );
        assert_eq!(header_target("Running the migration (step 2)"), None);
        assert_eq!(header_target("     Running `target/debug/tool`"), None);
        assert_eq!(header_target("Doc-tests are fun"), None);
    }

    #[test]
    fn statuses() {
        assert_eq!(parse_status("ok"), Some((Status::Ok, None)));
        assert_eq!(
            parse_status("ignored, needs a database"),
            Some((Status::Ignored(Some("needs a database".into())), None))
        );
        assert_eq!(
            parse_status("ok <0.050s>"),
            Some((Status::Ok, Some(Duration::from_millis(50))))
        );
        assert_eq!(
            parse_status("FAILED (time limit exceeded)"),
            Some((Status::Failed(Some("time limit exceeded".into())), None))
        );
        assert!(matches!(
            parse_status("bench:       1,234 ns/iter (+/- 56)"),
            Some((Status::Bench(b), None)) if b == "1,234 ns/iter (+/- 56)"
        ));
        assert_eq!(
            parse_status("ignored (no network)"),
            Some((Status::Ignored(Some("no network".into())), None))
        );
        assert_eq!(parse_status("some output"), None);
    }

    #[test]
    fn names_lose_their_mode() {
        assert_eq!(
            split_test_line("test a::b - should panic ... ok"),
            Some(("a::b", "ok"))
        );
        assert_eq!(
            split_test_line("test src/lib.rs - other (line 28) - compile fail ... ok"),
            Some(("src/lib.rs - other (line 28)", "ok"))
        );
        assert_eq!(
            split_test_line("test [slow] long_one ... ok"),
            Some(("long_one", "ok"))
        );
        assert_eq!(
            split_test_line("test        parse::short              ... ok"),
            Some(("parse::short", "ok"))
        );
        assert_eq!(split_test_line("test x ... "), Some(("x", "")));
        assert_eq!(
            split_test_line("test parse::0C                        ... ok"),
            Some(("parse::0C", "ok"))
        );
        assert_eq!(split_test_line("test x ..."), Some(("x", "")));
        assert_eq!(split_test_line("testing x ... ok"), None);
    }

    #[test]
    fn another_threads_backtrace_note_is_not_a_failure_text() {
        // libtest-mimic on 2 threads: `panics` panicked while `returns_failed` finished, and
        // the panic hook's stderr landed inside the other test's line.
        let text = "running 2 tests\n\
            test returns_failed ... \n\
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\
            FAILED\n\
            test panics ... FAILED\n\
            \n\
            failures:\n\
            \n\
            ---- returns_failed ----\n\
            wrong answer\n\
            \n\
            ---- panics ----\n\
            test panicked: kaboom\n\
            \n\
            failures:\n    returns_failed\n    panics\n\
            \n\
            test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n";
        let parsed = parse_str(text, Utc::now());
        let returns = parsed
            .results
            .iter()
            .find(|r| r.name.ends_with("returns_failed"))
            .expect("returns_failed");
        let attempt = returns.last_attempt();
        assert_eq!(attempt.message.as_deref(), Some("wrong answer"));
        assert_eq!(attempt.details.as_deref(), Some("wrong answer"));
    }

    #[test]
    fn embedded_results_prefer_a_name_without_spaces() {
        assert_eq!(
            embedded_result("no newline at the endtest tests::noisy ... ok"),
            Some(("tests::noisy", Status::Ok, None))
        );
        assert_eq!(
            embedded_result("I test stuff: test t::x ... FAILED"),
            Some(("t::x", Status::Failed(None), None))
        );
        assert_eq!(embedded_result("nothing to see"), None);
    }

    #[test]
    fn panic_locations() {
        let at = |text: &str| panic_location(text).map(|l| (l.file, l.line, l.column));
        let place = |file: &str, line, column| Some((file.to_owned(), Some(line), column));
        assert_eq!(
            at("\nthread 'a' (123) panicked at src/lib.rs:5:9:\nassertion failed"),
            place("src/lib.rs", 5, Some(9))
        );
        assert_eq!(
            at("thread 'a' panicked at 'boom, really', tests/it.rs:7:3\nnote: ..."),
            place("tests/it.rs", 7, Some(3))
        );
        assert_eq!(
            at("test panicked: kaboom\n\npanicked at tests/checks.rs:12:13\nseed"),
            place("tests/checks.rs", 12, Some(13))
        );
        assert_eq!(
            at("thread 'a' panicked at /rustc/abc/library/core/src/ops.rs:1:1:\nx"),
            None
        );
        assert_eq!(at("assertion failed"), None);
    }

    #[test]
    fn failure_messages() {
        let new = "\nthread 'a' (123) panicked at src/lib.rs:5:9:\nassertion failed\n  left: 1";
        assert_eq!(failure_message(new).as_deref(), Some("assertion failed"));
        let old = "thread 'a' panicked at 'boom', src/lib.rs:5:9\nnote: ...";
        assert_eq!(failure_message(old).as_deref(), Some("boom"));
        assert_eq!(
            failure_message("Error: \"returned an error\"").as_deref(),
            Some("Error: \"returned an error\"")
        );
        assert_eq!(
            failure_message("\n\nnote: test did not panic as expected at src/lib.rs:69:8")
                .as_deref(),
            Some("test did not panic as expected at src/lib.rs:69:8")
        );
        assert_eq!(
            failure_message("Some output\nmore").as_deref(),
            Some("Some output")
        );
        assert_eq!(failure_message(""), None);
    }

    #[test]
    fn counts() {
        assert_eq!(
            result_counts(
                "test result: FAILED. 4 passed; 5 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.18s"
            ),
            Some(11)
        );
        assert_eq!(result_counts("test result: ok. 1 p"), None);
        assert_eq!(running_count("running 1 test"), Some(1));
        assert_eq!(running_count("running 11 tests"), Some(11));
        assert_eq!(running_count("running late"), None);
    }

    #[test]
    fn ansi_codes_are_removed() {
        assert_eq!(
            strip_ansi("test x ... \u{1b}[32mok\u{1b}[0m"),
            "test x ... ok"
        );
    }
}
