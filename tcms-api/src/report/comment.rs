//! The execution comment: failure, error and skip text of every attempt of a test, size-capped.
//! Passed results get no comment.

use std::fmt::Write as _;

use super::model::{Attempt, Outcome, TestResult, Verdict};
use super::status::KiwiStatus;

/// Comments longer than this many bytes are cut, with a note saying how much was cut.
pub const MAX_COMMENT_BYTES: usize = 60_000;

/// All results reported under one case name, merged: the worst outcome wins and every
/// attempt's text is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged<'a> {
    /// The results, in input order.
    pub results: Vec<&'a TestResult>,
}

impl<'a> Merged<'a> {
    /// Merges the results that share a name.
    pub fn new(results: Vec<&'a TestResult>) -> Self {
        Self { results }
    }

    /// The status to report: the worst of the results' verdicts (a flaky result counts as a
    /// pass, so a later hard failure of the same name still wins).
    pub fn status(&self) -> KiwiStatus {
        self.results
            .iter()
            .map(|r| KiwiStatus::for_verdict(r.verdict()))
            .reduce(KiwiStatus::worse)
            .unwrap_or(KiwiStatus::Error)
    }

    /// The comment, or `None` when there is nothing to say (a plain pass).
    pub fn comment(&self) -> Option<String> {
        let several = self.results.len() > 1;
        let mut out = String::new();
        for (i, result) in self.results.iter().enumerate() {
            let text = result_text(result);
            let Some(text) = text else { continue };
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            if several {
                let _ = write!(out, "[result {} of {}", i + 1, self.results.len());
                if let Some(line) = result.origin.line {
                    let _ = write!(out, ", input line {line}");
                }
                out.push_str("]\n");
            }
            out.push_str(&text);
        }
        if out.is_empty() {
            None
        } else {
            Some(cap(out, MAX_COMMENT_BYTES))
        }
    }
}

/// The text for one result: its non-passing attempts, with a flaky header when it passed on
/// a re-run.
fn result_text(result: &TestResult) -> Option<String> {
    let interesting: Vec<(usize, &Attempt)> = result
        .attempts()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.outcome != Outcome::Passed)
        .collect();
    if interesting.is_empty() {
        return None;
    }
    // One attempt that says nothing but its outcome: the status already says it.
    if let [only] = result.attempts()
        && !has_text(only)
    {
        return None;
    }
    let mut out = String::new();
    let total = result.attempts().len();
    if result.verdict() == Verdict::Flaky {
        let _ = writeln!(
            out,
            "FLAKY: passed on attempt {total} after {} failed attempt(s)",
            interesting.len()
        );
    }
    for (n, (index, attempt)) in interesting.iter().enumerate() {
        if n > 0 || total > 1 {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            let _ = writeln!(out, "attempt {} of {total}:", index + 1);
        }
        attempt_text(&mut out, attempt);
    }
    Some(out.trim_end().to_owned())
}

fn has_text(a: &Attempt) -> bool {
    [&a.message, &a.details, &a.stdout, &a.stderr]
        .iter()
        .any(|t| t.as_deref().is_some_and(|t| !t.trim().is_empty()))
}

fn attempt_text(out: &mut String, a: &Attempt) {
    let label = KiwiStatus::for_outcome(a.outcome).name();
    match a
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(message) => {
            let _ = writeln!(out, "{label}: {message}");
        }
        None => {
            let _ = writeln!(out, "{label}");
        }
    }
    let details = a
        .details
        .as_deref()
        .map(str::trim_end)
        .filter(|d| !d.trim().is_empty());
    // Many producers repeat the message as the first line of the body: print it once.
    if let Some(details) = details
        && a.message.as_deref().map(str::trim) != Some(details.trim())
    {
        out.push('\n');
        out.push_str(details);
        out.push('\n');
    }
    for (title, text) in [("stdout", &a.stdout), ("stderr", &a.stderr)] {
        if let Some(text) = text
            .as_deref()
            .map(str::trim_end)
            .filter(|t| !t.trim().is_empty())
        {
            let _ = write!(out, "\n--- {title} ---\n{text}\n");
        }
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary and says how much was cut.
pub(crate) fn cap(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let note_room = 80;
    let mut end = max.saturating_sub(note_room);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text.len() - end;
    text.truncate(end);
    let _ = write!(
        text,
        "\n[... {cut} more bytes cut: see the original report]"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(outcome: Outcome, message: Option<&str>, details: Option<&str>) -> Attempt {
        Attempt {
            message: message.map(str::to_owned),
            details: details.map(str::to_owned),
            ..Attempt::new(outcome)
        }
    }

    #[test]
    fn passed_has_no_comment() {
        let mut a = Attempt::new(Outcome::Passed);
        a.stdout = Some("noise".into());
        let r = TestResult::new("t", a);
        let m = Merged::new(vec![&r]);
        assert_eq!(m.status(), KiwiStatus::Passed);
        assert_eq!(m.comment(), None);
    }

    #[test]
    fn failure_text_without_none_blocks() {
        let mut a = attempt(
            Outcome::Failed,
            Some("assert 1 == 2"),
            Some("trace\n  line"),
        );
        a.stderr = Some("warn\n".into());
        let r = TestResult::new("t", a);
        let c = Merged::new(vec![&r]).comment().unwrap();
        assert_eq!(
            c,
            "FAILED: assert 1 == 2\n\ntrace\n  line\n\n--- stderr ---\nwarn"
        );
        assert!(!c.contains("None"));
    }

    #[test]
    fn flaky_is_passed_with_each_failed_attempt() {
        let mut r = TestResult::new("t", attempt(Outcome::Failed, Some("first"), None));
        r.push_attempt(attempt(Outcome::Error, Some("second"), None));
        r.push_attempt(Attempt::new(Outcome::Passed));
        let m = Merged::new(vec![&r]);
        assert_eq!(m.status(), KiwiStatus::Passed);
        let c = m.comment().unwrap();
        assert!(
            c.starts_with("FLAKY: passed on attempt 3 after 2 failed attempt(s)"),
            "{c}"
        );
        assert!(c.contains("attempt 1 of 3:\nFAILED: first"), "{c}");
        assert!(c.contains("attempt 2 of 3:\nERROR: second"), "{c}");
    }

    #[test]
    fn duplicates_keep_the_worst_and_all_text() {
        let mut fail = TestResult::new("dup", attempt(Outcome::Failed, Some("boom"), None));
        fail.origin.line = Some(2);
        let mut pass = TestResult::new("dup", Attempt::new(Outcome::Passed));
        pass.origin.line = Some(3);
        let skip = TestResult::new("dup", attempt(Outcome::Skipped, Some("later"), None));
        let m = Merged::new(vec![&fail, &pass, &skip]);
        assert_eq!(m.status(), KiwiStatus::Failed);
        let c = m.comment().unwrap();
        assert!(
            c.contains("[result 1 of 3, input line 2]\nFAILED: boom"),
            "{c}"
        );
        assert!(c.contains("[result 3 of 3]\nWAIVED: later"), "{c}");
        // A flaky pass does not hide a hard failure of the same name.
        let mut flaky = TestResult::new("dup", Attempt::new(Outcome::Failed));
        flaky.push_attempt(Attempt::new(Outcome::Passed));
        let err = TestResult::new("dup", Attempt::new(Outcome::Error));
        assert_eq!(Merged::new(vec![&flaky, &err]).status(), KiwiStatus::Error);
    }

    #[test]
    fn a_bare_failure_needs_no_comment() {
        let r = TestResult::new("t", Attempt::new(Outcome::Failed));
        let m = Merged::new(vec![&r]);
        assert_eq!(m.status(), KiwiStatus::Failed);
        assert_eq!(m.comment(), None);
    }

    #[test]
    fn message_repeated_in_details_is_printed_once() {
        let r = TestResult::new("t", attempt(Outcome::Skipped, Some("why"), Some("why")));
        assert_eq!(Merged::new(vec![&r]).comment().unwrap(), "WAIVED: why");
    }

    #[test]
    fn caps_long_text_on_char_boundary() {
        let text = "é".repeat(100);
        let capped = cap(text, 100);
        assert!(capped.len() <= 100 + 80, "{}", capped.len());
        assert!(capped.contains("more bytes cut"));
        assert_eq!(cap("short".into(), 100), "short");
    }
}
