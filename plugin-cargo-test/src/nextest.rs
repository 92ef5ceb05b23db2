//! What `cargo nextest run` prints as it goes, read for a live report: the planned count
//! (`Starting 9 tests across 3 binaries`), a test that runs long (`SLOW [> 60.000s] ...`,
//! `START`), and each test's status as it ends (`PASS [   0.006s] (1/9) my-crate tests::adds`).
//! The text of the results comes later, from nextest's JUnit report (`tcms-cargo-test --
//! cargo nextest run`); a status line gives the status and the dates only.
//!
//! Retries (`TRY 2 FAIL`, `RETRY`) and the repeated lines after `Summary` are not read: the
//! JUnit report has every attempt.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tcms_api::report::{Attempt, Outcome, TestResult};

use crate::naming::{case_name, target_of_nextest_binary_id};

/// One line of nextest's output that a live report uses.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NextestLine {
    /// `Starting N tests across M binaries`.
    Starting(usize),
    /// `START` or `SLOW`: the test runs (since its attempt's `started`).
    Running(Box<TestResult>),
    /// `PASS`, `FAIL`, `SKIP`, `TIMEOUT`, `SIGSEGV`, ...: the test ended so.
    Finished(Box<TestResult>),
    /// `Summary [...]`: what follows repeats what came before.
    Summary,
}

/// Reads one line of nextest's output (colour codes removed), read at `now`.
///
/// ```
/// use tcms_cargo_test::nextest::{NextestLine, status_line};
///
/// let now = chrono::Utc::now();
/// let Some(NextestLine::Finished(r)) =
///     status_line("        PASS [   0.006s] (1/9) e2e-crate::it tests::adds", now)
/// else {
///     panic!()
/// };
/// assert_eq!(r.name, "it::tests::adds");
/// assert_eq!(
///     status_line("    Starting 9 tests across 3 binaries (2 tests skipped)", now),
///     Some(NextestLine::Starting(9))
/// );
/// ```
pub fn status_line(line: &str, now: DateTime<Utc>) -> Option<NextestLine> {
    let line = crate::libtest::strip_colours(line);
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("Starting ") {
        let count = rest.split_whitespace().next()?.parse().ok()?;
        return rest
            .contains(" test")
            .then_some(NextestLine::Starting(count));
    }
    if line.starts_with("Summary [") {
        return Some(NextestLine::Summary);
    }
    let (word, rest) = line.split_once(' ')?;
    let rest = rest.trim_start().strip_prefix('[')?;
    let (time, rest) = rest.split_once(']')?;
    let mut rest = rest.trim_start();
    // The counter, `(1/9)` (newer nextest).
    if let Some(counter) = rest.strip_prefix('(') {
        let (inside, after) = counter.split_once(')')?;
        if !inside
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || c == '/')
        {
            return None;
        }
        rest = after.trim_start();
    }
    let (binary_id, name) = rest.split_once(' ')?;
    let name = name.trim();
    if binary_id.is_empty() || name.is_empty() {
        return None;
    }
    let duration = seconds(time);
    let outcome = match word {
        "START" | "SLOW" => {
            let mut attempt = Attempt::new(Outcome::Passed);
            attempt.started = Some(before(now, duration));
            return Some(NextestLine::Running(Box::new(result(
                binary_id, name, attempt,
            ))));
        }
        "PASS" | "LEAK" | "FLAKY" => Outcome::Passed,
        "FAIL" | "LEAK-FAIL" => Outcome::Failed,
        "SKIP" => Outcome::Skipped,
        "TIMEOUT" | "ABORT" => Outcome::Error,
        w if w.starts_with("SIG") && w.len() > 3 && w.chars().all(|c| c.is_ascii_uppercase()) => {
            Outcome::Error
        }
        _ => return None,
    };
    let mut attempt = Attempt::new(outcome);
    attempt.duration = duration;
    attempt.started = Some(before(now, duration));
    attempt.stopped = Some(now);
    Some(NextestLine::Finished(Box::new(result(
        binary_id, name, attempt,
    ))))
}

/// `   0.006s` or `> 60.000s`.
fn seconds(text: &str) -> Option<Duration> {
    let text = text.trim().trim_start_matches('>').trim();
    let secs: f64 = text.strip_suffix('s')?.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn before(now: DateTime<Utc>, duration: Option<Duration>) -> DateTime<Utc> {
    duration
        .and_then(|d| TimeDelta::from_std(d).ok())
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(now)
}

fn result(binary_id: &str, name: &str, attempt: Attempt) -> TestResult {
    let target = target_of_nextest_binary_id(binary_id);
    let mut result = TestResult::new(case_name(Some(&target), name), attempt);
    result.origin.suite = Some(target);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(line: &str) -> (String, Outcome, Option<Duration>) {
        match status_line(line, Utc::now()) {
            Some(NextestLine::Finished(r)) => {
                let a = r.last_attempt();
                (r.name.clone(), a.outcome, a.duration)
            }
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn statuses_names_and_durations() {
        assert_eq!(
            finished("        PASS [   0.006s] (1/9) e2e-crate tests::doubles"),
            (
                "e2e_crate::tests::doubles".into(),
                Outcome::Passed,
                Some(Duration::from_millis(6))
            )
        );
        assert_eq!(
            finished("        FAIL [   0.232s] e2e-crate::checks renamed").1,
            Outcome::Failed
        );
        assert_eq!(
            finished("\u{1b}[31;1m     SIGSEGV\u{1b}[0m [   0.1s] ( 3/10) a::it crashes").1,
            Outcome::Error
        );
        assert_eq!(
            finished("     TIMEOUT [  60.001s] a::it hangs").1,
            Outcome::Error
        );
        assert_eq!(
            finished("        SKIP [         ] a::it later").1,
            Outcome::Skipped
        );
        // A name with spaces (libtest-mimic allows them).
        assert_eq!(
            finished("        PASS [   0.001s] a::checks first one").0,
            "checks::first one"
        );
    }

    #[test]
    fn starting_slow_summary_and_the_rest() {
        let now = Utc::now();
        assert_eq!(
            status_line("    Starting 1 test across 1 binary", now),
            Some(NextestLine::Starting(1))
        );
        match status_line("        SLOW [> 60.000s] a::it hangs", now) {
            Some(NextestLine::Running(r)) => {
                assert_eq!(r.name, "it::hangs");
                assert_eq!(r.started(), Some(now - TimeDelta::seconds(60)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            status_line("     Summary [   0.299s] 9 tests run: 5 passed", now),
            Some(NextestLine::Summary)
        );
        for other in [
            "   Compiling e2e-crate v0.1.0",
            "  TRY 2 FAIL [   0.1s] a::it flaky",
            "       RETRY [         ] a::it flaky",
            "--- STDOUT:              e2e-crate tests::fails ---",
            "thread 'tests::fails' panicked at src/lib.rs:12:5:",
            "    Starting the engine",
            "        PASS [   0.006s] (x) a::it t",
            "",
        ] {
            assert_eq!(status_line(other, now), None, "{other}");
        }
    }
}
