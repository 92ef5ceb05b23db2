//! The normalized result model: what every parser produces and the engine consumes.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::status::KiwiStatus;

/// How one attempt of a test ended.
///
/// Ordered from best to worst by [`Outcome::severity`]; the engine keeps the worst outcome when
/// one test name appears more than once in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The test passed.
    Passed,
    /// An assertion failed (`<failure>`, `not ok`, a panic).
    Failed,
    /// The test could not run properly (`<error>`: an exception outside assertions).
    Error,
    /// The test was skipped or ignored (`<skipped>`, `# SKIP`, `#[ignore]`).
    Skipped,
    /// A known failure that was expected (`# TODO`, xfail).
    Todo,
}

impl Outcome {
    /// Higher is worse: Failed > Error > Todo > Skipped > Passed (the severity of the status
    /// it is reported as, [`KiwiStatus::severity`]).
    pub fn severity(self) -> u8 {
        KiwiStatus::for_outcome(self).severity()
    }

    /// True for [`Outcome::Failed`] and [`Outcome::Error`].
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Error)
    }
}

/// One run of a test. Most tests have exactly one; a test re-run by its runner (Surefire
/// `rerunFailure`, nextest retries) has one per run, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// How it ended.
    pub outcome: Outcome,
    /// When it started, if the input says.
    pub started: Option<DateTime<Utc>>,
    /// When it stopped, if the input says.
    pub stopped: Option<DateTime<Utc>>,
    /// How long it took, if the input says.
    pub duration: Option<Duration>,
    /// A one-line message (`message` attribute, panic message, TAP `message:`).
    pub message: Option<String>,
    /// Longer text: failure body, stack trace, YAML diagnostics, `#` lines.
    pub details: Option<String>,
    /// Captured standard output.
    pub stdout: Option<String>,
    /// Captured standard error.
    pub stderr: Option<String>,
}

impl Attempt {
    /// When it started: as the input says, else its duration before its stop, else its stop.
    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.started.or_else(|| {
            let stop = self.stopped?;
            Some(
                self.duration
                    .and_then(|d| chrono::TimeDelta::from_std(d).ok())
                    .and_then(|d| stop.checked_sub_signed(d))
                    .unwrap_or(stop),
            )
        })
    }

    /// An attempt with only an outcome.
    pub fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            started: None,
            stopped: None,
            duration: None,
            message: None,
            details: None,
            stdout: None,
            stderr: None,
        }
    }
}

/// Where a test came from, for naming and for error messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Suite (`<testsuite name>`, test binary, TAP file).
    pub suite: Option<String>,
    /// Class (`classname`), module path.
    pub class: Option<String>,
    /// Source or input file.
    pub file: Option<String>,
    /// Line in the input where the result was read (1-based).
    pub line: Option<u64>,
    /// Where the test, or its failure, is in the source code, when the input says (junit
    /// `file`/`line` attributes, TAP YAML `at:`, a panic location): for CI annotations.
    pub location: Option<Location>,
}

/// A place in a source file: `src/lib.rs:10:5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as the input names it.
    pub file: String,
    /// The line (1-based).
    pub line: Option<u64>,
    /// The column (1-based).
    pub column: Option<u64>,
}

impl Location {
    /// Reads `file`, `file:line` or `file:line:column` (what panics and TAP `at:` print).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let mut parts = text.rsplitn(3, ':');
        let last = parts.next()?;
        let middle = parts.next();
        let first = parts.next();
        let number = |s: &str| s.trim().parse::<u64>().ok();
        let location = match (first, middle.map(number), number(last)) {
            (Some(file), Some(Some(line)), Some(column)) => Self {
                file: file.to_owned(),
                line: Some(line),
                column: Some(column),
            },
            (_, _, Some(line)) if middle.is_some() => Self {
                file: text[..text.len() - last.len() - 1].to_owned(),
                line: Some(line),
                column: None,
            },
            _ => Self {
                file: text.to_owned(),
                line: None,
                column: None,
            },
        };
        (!location.file.is_empty()).then_some(location)
    }
}

/// One test's result, as parsed from any input format.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// The name the test case gets in Kiwi (the plugin applies its naming rule; the engine cuts
    /// it to 255 characters).
    pub name: String,
    /// The parts the name was made from.
    pub origin: Origin,
    /// Every attempt, in order; never empty (the constructors take the first one).
    attempts: Vec<Attempt>,
    /// `<property>` pairs and similar metadata, in input order.
    pub properties: Vec<(String, String)>,
    /// Files to attach to the execution (junit `[[ATTACHMENT|path]]` lines), resolved by the
    /// parser (relative to the report file).
    pub attachments: Vec<std::path::PathBuf>,
}

/// The overall verdict of a [`TestResult`], derived from its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// One attempt, or all attempts agree.
    Plain(Outcome),
    /// It failed at least once and then passed on a re-run.
    Flaky,
}

impl TestResult {
    /// A result with a single attempt.
    pub fn new(name: impl Into<String>, attempt: Attempt) -> Self {
        Self {
            name: name.into(),
            origin: Origin::default(),
            attempts: vec![attempt],
            properties: Vec::new(),
            attachments: Vec::new(),
        }
    }

    /// The same result with `origin`.
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// The same result with these properties.
    pub fn with_properties(mut self, properties: Vec<(String, String)>) -> Self {
        self.properties = properties;
        self
    }

    /// A result with these attempts, in order; `None` when there is none.
    pub fn with_attempts(name: impl Into<String>, attempts: Vec<Attempt>) -> Option<Self> {
        (!attempts.is_empty()).then(|| Self {
            name: name.into(),
            origin: Origin::default(),
            attempts,
            properties: Vec::new(),
            attachments: Vec::new(),
        })
    }

    /// Every attempt, in order; never empty.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// Every attempt, to change what the input's conventions mean (never empty).
    pub fn attempts_mut(&mut self) -> &mut [Attempt] {
        &mut self.attempts
    }

    /// The first attempt (the only one, for most tests).
    pub fn first_attempt(&self) -> &Attempt {
        &self.attempts[0]
    }

    /// The last attempt, to add what the input says after it (captured output, say).
    pub fn last_attempt_mut(&mut self) -> &mut Attempt {
        let last = self.attempts.len() - 1;
        &mut self.attempts[last]
    }

    /// Adds a later attempt (a re-run).
    pub fn push_attempt(&mut self, attempt: Attempt) {
        self.attempts.push(attempt);
    }

    /// The last attempt's outcome decides, except that a failure followed by a pass is
    /// [`Verdict::Flaky`].
    pub fn verdict(&self) -> Verdict {
        let last = self.last_attempt();
        if last.outcome == Outcome::Passed && self.attempts.iter().any(|a| a.outcome.is_failure()) {
            Verdict::Flaky
        } else {
            Verdict::Plain(last.outcome)
        }
    }

    /// The last attempt.
    pub fn last_attempt(&self) -> &Attempt {
        &self.attempts[self.attempts.len() - 1]
    }

    /// The earliest known start of any attempt (an attempt without a start starts its
    /// duration before its stop, or at its stop).
    pub fn started(&self) -> Option<DateTime<Utc>> {
        self.attempts.iter().filter_map(Attempt::start).min()
    }

    /// The latest known stop of any attempt.
    pub fn stopped(&self) -> Option<DateTime<Utc>> {
        self.attempts.iter().filter_map(|a| a.stopped).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_of_reruns() {
        let mut r = TestResult::new("t", Attempt::new(Outcome::Failed));
        assert_eq!(r.verdict(), Verdict::Plain(Outcome::Failed));
        r.push_attempt(Attempt::new(Outcome::Passed));
        assert_eq!(r.verdict(), Verdict::Flaky);
        r.push_attempt(Attempt::new(Outcome::Error));
        assert_eq!(r.verdict(), Verdict::Plain(Outcome::Error));
        assert!(Outcome::Failed.severity() > Outcome::Error.severity());
        assert!(Outcome::Error.severity() > Outcome::Skipped.severity());
        assert!(TestResult::with_attempts("t", Vec::new()).is_none());
    }

    #[test]
    fn locations() {
        let l = Location::parse("src/lib.rs:10:5").unwrap();
        assert_eq!(
            (l.file.as_str(), l.line, l.column),
            ("src/lib.rs", Some(10), Some(5))
        );
        let l = Location::parse("t/basic.t:7").unwrap();
        assert_eq!(
            (l.file.as_str(), l.line, l.column),
            ("t/basic.t", Some(7), None)
        );
        let l = Location::parse("C:/x/a.rs").unwrap();
        assert_eq!((l.file.as_str(), l.line), ("C:/x/a.rs", None));
        assert_eq!(Location::parse(" "), None);
    }
}
