//! The incremental behaviour.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use tcms_api::report::Outcome;
use tcms_tap::{Options, ParseError, Parser, Results, parse_str};

use crate::util::{compat, fixtures_dir, read_all};

#[test]
fn a_result_is_complete_when_the_next_test_point_or_plan_arrives() {
    let mut p = Parser::new("t/x.t");
    assert!(!p.has_pending());
    assert!(p.push_line("TAP version 13").is_none());
    assert!(p.push_line("not ok 1 - first").is_none());
    assert!(p.has_pending());
    assert!(p.push_line("  ---").is_none());
    assert!(p.push_line("  message: boom").is_none());
    assert!(p.push_line("  ...").is_none());
    assert!(p.push_line("# more about first").is_none());
    assert!(p.push_line("some log line").is_none());
    let first = p.push_line("ok 2 - second").expect("first is complete");
    assert_eq!(first.name, "first");
    assert_eq!(first.attempts()[0].outcome, Outcome::Failed);
    assert_eq!(first.attempts()[0].message.as_deref(), Some("boom"));
    assert_eq!(
        first.attempts()[0].details.as_deref(),
        Some("---\nmessage: boom\n...\n\nmore about first")
    );
    assert_eq!(first.origin.line, Some(2));
    assert!(p.has_pending());
    let second = p.push_line("1..2").expect("the plan completes the second");
    assert_eq!(second.name, "second");
    assert!(!p.has_pending(), "nothing pending after the plan");
    assert!(p.push_line("# tests 2").is_none());
    assert!(p.finish().is_none());
    assert!(p.summary().is_complete());
}

#[test]
fn comments_after_the_last_test_belong_to_it() {
    let (results, summary) = parse_str(
        "last.tap",
        "ok 1 - a\nnot ok 2 - b\n# why b failed\n# and more\n",
        Options::default(),
    );
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[1].attempts()[0].details.as_deref(),
        Some("why b failed\nand more")
    );
    // No plan: the stream is not complete.
    assert_eq!(summary.planned(), None);
    assert!(!summary.is_complete());
}

#[test]
fn a_subtest_is_pending_until_its_test_point() {
    let mut p = Parser::new("s.tap");
    assert!(p.push_line("ok 1 - before").is_none());
    let before = p
        .push_line("# Subtest: inner")
        .expect("a subtest header completes");
    assert_eq!(before.name, "before");
    assert!(p.has_pending());
    assert!(p.push_line("    ok 1 - child").is_none());
    assert!(p.push_line("    1..1").is_none());
    assert!(p.flush().is_none(), "no test point to flush yet");
    assert!(p.push_line("ok 2 - inner").is_none());
    let inner = p.finish().expect("inner");
    assert_eq!(inner.name, "inner");
    assert_eq!(
        inner.attempts()[0].details.as_deref(),
        Some("subtest \"inner\": 1 passed (plan 1..1)\n\nok 1 - child\n1..1")
    );
}

#[test]
fn flush_completes_a_quiet_test_point() {
    let mut p = Parser::new("live.tap");
    assert!(p.push_line("ok 1 - running").is_none());
    let flushed = p.flush().expect("flushed");
    assert_eq!(flushed.name, "running");
    assert!(!p.has_pending());
    // Its YAML and comments arriving later are dropped, not attached to anything else.
    for line in ["  ---", "    deep: yaml", "  ...", "# late comment"] {
        assert!(p.push_line(line).is_none(), "{line}");
    }
    let next = p.push_line("not ok 2 - next").map(|r| r.name);
    assert_eq!(next, None);
    let next = p.finish().expect("next");
    assert_eq!(next.name, "next");
    assert_eq!(next.attempts()[0].details, None);
    // Not while a YAML block is open.
    let mut p = Parser::new("live.tap");
    p.push_line("not ok 1 - x");
    p.push_line("  ---");
    assert!(p.flush().is_none());
    p.push_line("  ...");
    assert!(p.flush().is_some());
    assert_eq!(p.summary().results, 1);
}

#[test]
fn bail_out_stops_reading() {
    let mut p = Parser::new("bail.tap");
    p.push_line("1..4");
    p.push_line("ok 1 - a");
    let a = p
        .push_line("Bail out! no database")
        .expect("pending completed");
    assert_eq!(a.name, "a");
    assert_eq!(p.bailed_out(), Some("no database"));
    assert!(p.push_line("ok 2 - after").is_none());
    assert!(p.finish().is_none());
    let summary = p.summary();
    assert_eq!(summary.bailed_out.as_deref(), Some("no database"));
    assert_eq!(summary.documents[0].missing, vec![2..=4]);
    assert!(!summary.is_complete());

    // Inside a subtest too; the unfinished subtest is reported as an error.
    let (results, summary) = parse_str(
        "bail.tap",
        "# Subtest: setup\n    ok 1 - one\n    Bail out! disk full\nok 1 - setup\n",
        Options::default(),
    );
    assert_eq!(summary.bailed_out.as_deref(), Some("disk full"));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].name, "setup");
    assert_eq!(results[0].attempts()[0].outcome, Outcome::Error);
    assert!(
        results[0].attempts()[0]
            .details
            .as_deref()
            .is_some_and(|d| d.contains("bailed out: disk full")),
        "{results:?}"
    );
}

#[test]
fn an_unfinished_subtest_is_an_error() {
    let (results, _) = parse_str(
        "crash.tap",
        "ok 1 - fine\n# Subtest: crashes\n    ok 1 - started\n",
        Options::default(),
    );
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].name, "crashes");
    assert_eq!(results[1].attempts()[0].outcome, Outcome::Error);
    assert_eq!(
        results[1].attempts()[0].message.as_deref(),
        Some("the subtest never reported its own test point: the input ended")
    );
    assert_eq!(results[1].origin.line, Some(2));
}

#[test]
fn invalid_utf8_names_source_line_and_column() {
    let bytes = std::fs::read(fixtures_dir().join("edge-invalid-utf8.tap")).expect("fixture");
    let (results, error, _) = read_all(&bytes, "edge-invalid-utf8.tap", Options::default());
    let error = error.expect("an error");
    assert_eq!(
        error.to_string(),
        "edge-invalid-utf8.tap:4:21: invalid UTF-8 (byte 0xff); TAP input must be UTF-8 text"
    );
    assert!(matches!(
        error,
        ParseError::InvalidUtf8 {
            line: 4,
            column: 21,
            byte: 0xff,
            ..
        }
    ));
    // What came before the bad line is still reported.
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].name, "café is fine");

    // The push API leaves the parser usable.
    let mut p = Parser::new("p.tap");
    assert!(p.push_bytes(b"ok 1 - a").expect("utf-8").is_none());
    let error = p.push_bytes(b"\xc3(").expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "p.tap:2:1: invalid UTF-8 (byte 0xc3); TAP input must be UTF-8 text"
    );
    assert!(
        p.push_bytes("ok 2 - b".as_bytes())
            .expect("utf-8")
            .is_some()
    );
}

#[test]
fn io_errors_name_the_source() {
    struct Failing(bool);
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("device gone"))
        }
    }
    impl BufRead for Failing {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            if self.0 {
                Err(io::Error::other("device gone"))
            } else {
                self.0 = true;
                Ok(b"ok 1 - a\n")
            }
        }
        fn consume(&mut self, _: usize) {}
    }
    let mut results = Results::new(Failing(false), "pipe", Options::default());
    let error = results.find_map(Result::err).expect("an error");
    assert_eq!(error.to_string(), "pipe: failed to read line 2");
    // Then what was pending, then nothing.
    assert_eq!(
        results.next().map(|r| r.expect("ok").name).as_deref(),
        Some("a")
    );
    assert!(results.next().is_none(), "fused after an error");
}

/// A pipe is reported as it goes: the iterator yields a result as soon as the line after it is
/// read, not at the end of the input.
#[test]
fn the_iterator_does_not_read_ahead() {
    struct Counting {
        data: &'static [u8],
        pos: usize,
        consumed: Rc<Cell<usize>>,
    }
    impl Read for Counting {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            unreachable!("read through BufRead")
        }
    }
    impl BufRead for Counting {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            // Hand out one byte at a time, like a slow pipe.
            Ok(&self.data[self.pos..(self.pos + 1).min(self.data.len())])
        }
        fn consume(&mut self, amount: usize) {
            self.pos += amount;
            self.consumed.set(self.pos);
        }
    }
    let data: &'static [u8] = b"ok 1 - a\nok 2 - b\nok 3 - c\n";
    let consumed = Rc::new(Cell::new(0));
    let mut results = Results::new(
        Counting {
            data,
            pos: 0,
            consumed: Rc::clone(&consumed),
        },
        "pipe",
        Options::default(),
    );
    let a = results.next().expect("a").expect("ok");
    assert_eq!(a.name, "a");
    assert_eq!(
        consumed.get(),
        18,
        "read up to the end of test 2's line only"
    );
    assert_eq!(results.next().expect("b").expect("ok").name, "b");
    assert_eq!(consumed.get(), 27);
    assert_eq!(results.next().expect("c").expect("ok").name, "c");
    assert!(results.next().is_none());
}

#[test]
fn names_plain_and_compat() {
    let text = "ok 1 - first\nok 2 second\nok 3\nnot ok - \nok 5 - esc \\# aped # SKIP why\n# Subtest: sub\n    ok 1\nok 6 - parent\n";
    let (plain, _) = parse_str("dir/names.t", text, Options::default());
    let names: Vec<&str> = plain.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "first",
            "second",
            "names #3",
            "names #4",
            "esc # aped",
            "sub"
        ]
    );
    let (compat, _) = parse_str("dir/names.t", text, compat());
    let names: Vec<&str> = compat.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        // tap.py keeps the lone dash of `not ok - `: so does compat (only an empty name, which
        // makes the Python plugin fail, gets the fallback).
        ["- first", "second", "names #3", "-", "- esc \\", "- parent"]
    );
    // Outcomes do not depend on the option.
    let outcomes = |r: &[tcms_api::report::TestResult]| {
        r.iter()
            .map(|r| r.attempts()[0].outcome)
            .collect::<Vec<_>>()
    };
    assert_eq!(outcomes(&plain), outcomes(&compat));
}

#[test]
fn todo_and_skip_mapping() {
    let text = "not ok 1 - a # TODO later\nok 2 - b # TODO later\nok 3 - c # SKIP no db\nnot ok 4 - d # skip\nok 5 - e # TODO\n";
    let (r, _) = parse_str("d.tap", text, Options::default());
    let got: Vec<(Outcome, Option<&str>)> = r
        .iter()
        .map(|r| (r.attempts()[0].outcome, r.attempts()[0].message.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Outcome::Todo, Some("later")),
            (Outcome::Todo, Some("TODO test passed: later")),
            (Outcome::Skipped, Some("no db")),
            (Outcome::Skipped, None),
            (Outcome::Todo, Some("TODO test passed")),
        ]
    );
}

#[test]
fn empty_input() {
    let (results, summary) = parse_str("empty.tap", "", Options::default());
    assert!(results.is_empty());
    assert!(summary.documents.is_empty());
    assert_eq!(summary.planned(), None);
    assert!(!summary.is_complete());
    assert!(!summary.has_tap());
}

#[test]
fn what_counts_as_tap_at_all() {
    let has_tap = |text: &str| parse_str("x.tap", text, Options::default()).1.has_tap();
    assert!(!has_tap("\n  \n"));
    assert!(!has_tap(
        "bash: prove: command not found\nerror: could not compile\n"
    ));
    assert!(!has_tap("# a comment alone\n"));
    assert!(has_tap("1..0 # SKIP no display\n"));
    assert!(has_tap("TAP version 14\n"));
    assert!(has_tap("ok\n"));
    assert!(has_tap("log line\nnot ok 1 - x\n"));
    assert!(has_tap("Bail out! no database\n"));
}

/// `--live`: a line that is not TAP (the next test's output) completes the test point before
/// it; its YAML block and `#` lines still belong to it; the planned count is known at the
/// plan line.
#[test]
fn live_a_non_tap_line_completes_the_pending_result() {
    let mut options = Options::default();
    options.live = true;
    let mut p = Parser::with_options("t/x.t", options);
    assert_eq!(p.planned(), None);
    assert!(p.push_line("1..3").is_none());
    assert_eq!(p.planned(), Some(3));
    assert!(p.push_line("not ok 1 - first").is_none());
    assert!(p.push_line("  ---").is_none());
    assert!(p.push_line("  message: boom").is_none());
    assert!(p.push_line("  ...").is_none());
    assert!(p.push_line("# more about first").is_none());
    let first = p
        .push_line("starting the database")
        .expect("the next test's output completes it");
    assert_eq!(first.name, "first");
    assert_eq!(first.attempts()[0].message.as_deref(), Some("boom"));
    assert!(
        first.attempts()[0]
            .details
            .as_deref()
            .unwrap_or("")
            .contains("more about first")
    );
    assert!(!p.has_pending());
    assert!(p.push_line("more output").is_none());
    assert!(p.push_line("ok 2 - second {").is_none());
    assert!(p.push_line("    ok 1 - inner").is_none());
    assert!(
        p.push_line("output inside a buffered subtest").is_none(),
        "a buffered subtest waits for its brace"
    );
    assert!(p.push_line("}").is_none());
    assert_eq!(p.push_line("ok 3 - third").unwrap().name, "second");
    assert_eq!(p.finish().unwrap().name, "third");
    assert!(p.summary().is_complete());

    // Without `live`, the output waits for the next test point (files).
    let mut files = Parser::new("t/x.t");
    assert!(files.push_line("ok 1 - first").is_none());
    assert!(files.push_line("starting the database").is_none());
    assert_eq!(files.push_line("ok 2").unwrap().name, "first");
    assert!(files.push_line("1..2").is_some());
    assert!(files.push_line("TAP version 13").is_none());
    assert!(files.push_line("1..4").is_none());
    assert_eq!(files.planned(), Some(6), "the plans of every document");
}
