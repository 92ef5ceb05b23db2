//! The libtest output parser on real `cargo test` output (`tests/fixtures/`, see its README)
//! and on the documented shapes of libtest's JSON events.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use tcms_api::report::{Outcome, TestResult};
use tcms_cargo_test::libtest::{LibtestParser, LiveEvent, Parsed, ProblemKind, parse_str};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(name: &str) -> Parsed {
    parse_str(&fixture(name), now())
}

fn by_name<'a>(parsed: &'a Parsed, name: &str) -> &'a TestResult {
    let found: Vec<&TestResult> = parsed.results.iter().filter(|r| r.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "{name}: {:#?}",
        parsed.results.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    found[0]
}

fn outcome(parsed: &Parsed, name: &str) -> Outcome {
    by_name(parsed, name).attempts()[0].outcome
}

fn message<'a>(parsed: &'a Parsed, name: &str) -> Option<&'a str> {
    by_name(parsed, name).attempts()[0].message.as_deref()
}

fn details<'a>(parsed: &'a Parsed, name: &str) -> &'a str {
    by_name(parsed, name).attempts()[0]
        .details
        .as_deref()
        .unwrap_or_else(|| panic!("{name} has no details"))
}

/// Every test of demo-crate with its outcome (`tests/fixtures/regenerate.sh`).
fn demo_crate_outcomes(lib_only: bool) -> BTreeMap<String, Outcome> {
    use Outcome::*;
    let mut all = vec![
        ("demo_crate::tests::adds", Passed),
        ("demo_crate::tests::fails_with_multiline_panic", Failed),
        ("demo_crate::tests::prints_then_fails", Failed),
        ("demo_crate::tests::should_panic_passes", Passed),
        (
            "demo_crate::tests::should_panic_with_expected_fails",
            Failed,
        ),
        ("demo_crate::tests::should_panic_but_does_not", Failed),
        ("demo_crate::tests::ignored_with_reason", Skipped),
        ("demo_crate::tests::ignored_plain", Skipped),
        ("demo_crate::tests::noisy", Passed),
        ("demo_crate::tests::returns_err", Failed),
        ("demo_crate::tests::nested::deep", Passed),
    ];
    if !lib_only {
        all.extend([
            ("tool::tests::tool_works", Passed),
            ("it::integration_passes", Passed),
            ("it::integration_fails", Failed),
            ("other_suite::only_passes", Passed),
            ("demo_crate::src/lib.rs - add (line 5)", Passed),
            ("demo_crate::src/lib.rs - add (line 11)", Failed),
            ("demo_crate::src/lib.rs - other (line 20)", Skipped),
            ("demo_crate::src/lib.rs - other (line 24)", Passed),
            ("demo_crate::src/lib.rs - other (line 28)", Passed),
        ]);
    }
    all.into_iter().map(|(n, o)| (n.to_owned(), o)).collect()
}

fn outcomes(parsed: &Parsed) -> BTreeMap<String, Outcome> {
    let map: BTreeMap<String, Outcome> = parsed
        .results
        .iter()
        .map(|r| (r.name.clone(), r.attempts()[0].outcome))
        .collect();
    assert_eq!(map.len(), parsed.results.len(), "a name came twice");
    map
}

/// What every capture of demo-crate's unit tests says about failures. `attributed`: the
/// output tests print can be told apart (not so with several threads and `--nocapture`,
/// where only panic messages name their test).
fn check_lib_failures(p: &Parsed, attributed: bool) {
    assert_eq!(
        message(p, "demo_crate::tests::fails_with_multiline_panic"),
        Some("assertion `left == right` failed: vectors differ")
    );
    let multi = details(p, "demo_crate::tests::fails_with_multiline_panic");
    for part in [
        "panicked at src/lib.rs:45:9:",
        "second line of the message",
        "  left: [1, 2, 3]",
        " right: [1, 2, 4]",
    ] {
        assert!(multi.contains(part), "{part:?} not in {multi}");
    }
    assert_eq!(
        message(p, "demo_crate::tests::prints_then_fails"),
        Some("plain failure")
    );
    if attributed {
        assert_eq!(
            message(p, "demo_crate::tests::returns_err"),
            Some("Error: \"returned an error\"")
        );
    }
    assert_eq!(
        message(p, "demo_crate::tests::should_panic_but_does_not"),
        Some("test did not panic as expected at src/lib.rs:69:8")
    );
    assert_eq!(
        message(p, "demo_crate::tests::should_panic_with_expected_fails"),
        Some("panic did not contain expected string")
    );
    assert!(
        details(p, "demo_crate::tests::should_panic_with_expected_fails")
            .contains("expected substring: \"specific\"")
    );
    assert_eq!(
        message(p, "demo_crate::tests::ignored_with_reason"),
        Some("needs a database")
    );
    assert_eq!(message(p, "demo_crate::tests::ignored_plain"), None);
    assert_eq!(message(p, "demo_crate::tests::adds"), None);
    assert_eq!(
        by_name(p, "demo_crate::tests::adds").attempts()[0].details,
        None
    );
}

#[test]
fn plain_output_of_several_binaries_and_doc_tests() {
    let p = parse("plain.txt");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(outcomes(&p), demo_crate_outcomes(false));
    check_lib_failures(&p, true);
    assert!(
        details(&p, "demo_crate::tests::prints_then_fails")
            .starts_with("some stdout noise\nsome stderr noise")
    );
    assert_eq!(
        message(&p, "it::integration_fails"),
        Some("got 2, wanted 3")
    );
    let doc = by_name(&p, "demo_crate::src/lib.rs - add (line 11)");
    assert_eq!(
        doc.attempts()[0].message.as_deref(),
        Some("assertion `left == right` failed: doc arithmetic")
    );
    assert!(
        details(&p, "demo_crate::src/lib.rs - add (line 11)")
            .starts_with("Test executable failed (exit status: 101).")
    );
    assert_eq!(doc.origin.file.as_deref(), Some("src/lib.rs"));
    assert_eq!(doc.origin.suite.as_deref(), Some("demo_crate"));
    let it = by_name(&p, "it::integration_passes");
    assert_eq!(it.origin.suite.as_deref(), Some("it"));
    assert_eq!(it.origin.file, None);
    // Human output has no times: the time the line was read is the stop.
    assert_eq!(it.attempts()[0].stopped, Some(now()));
    assert_eq!(it.attempts()[0].started, None);
    let line = fixture("plain.txt")
        .lines()
        .position(|l| l == "test integration_passes ... ok")
        .unwrap();
    assert_eq!(it.origin.line, Some(line as u64 + 1));
}

#[test]
fn failures_are_located_where_they_panicked() {
    let p = parse("plain.txt");
    let at = |name: &str| {
        by_name(&p, name).origin.location.as_ref().map(|l| {
            format!(
                "{}:{}:{}",
                l.file,
                l.line.unwrap_or(0),
                l.column.unwrap_or(0)
            )
        })
    };
    assert_eq!(
        at("demo_crate::tests::fails_with_multiline_panic").as_deref(),
        Some("src/lib.rs:45:9")
    );
    assert_eq!(
        at("it::integration_fails").as_deref(),
        Some("tests/it.rs:9:5")
    );
    // A doc-test is where its comment is, not in the generated file that panicked.
    assert_eq!(
        at("demo_crate::src/lib.rs - add (line 11)").as_deref(),
        Some("src/lib.rs:11:0")
    );
    assert_eq!(at("it::integration_passes"), None);
    // JSON output carries the same panic text.
    let json = parse("json.txt");
    assert!(
        json.results
            .iter()
            .filter(|r| r.attempts()[0].outcome == Outcome::Failed)
            .any(|r| r.origin.location.is_some()),
        "{:#?}",
        json.results
    );
}

#[test]
fn backtraces_stay_in_the_comment_not_in_the_message() {
    let p = parse("plain-backtrace.txt");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(outcomes(&p), demo_crate_outcomes(false));
    check_lib_failures(&p, true);
    assert!(details(&p, "it::integration_fails").contains("stack backtrace:"));
}

#[test]
fn nocapture_with_threads_interleaves_output_and_results() {
    let p = parse("nocapture.txt");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(outcomes(&p), demo_crate_outcomes(false));
    check_lib_failures(&p, false);
    // The result line glued to output printed without a newline.
    assert_eq!(outcome(&p, "demo_crate::tests::noisy"), Outcome::Passed);
    // The panic message printed inline before the result is the failure's text.
    assert_eq!(
        message(&p, "it::integration_fails"),
        Some("got 2, wanted 3")
    );
}

#[test]
fn nocapture_with_one_thread_puts_the_status_after_the_output() {
    let p = parse("nocapture-single.txt");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(outcomes(&p), demo_crate_outcomes(true));
    check_lib_failures(&p, true);
    // The output before the status is the failure's text.
    assert!(
        details(&p, "demo_crate::tests::returns_err").starts_with("Error: \"returned an error\"")
    );
}

#[test]
fn results_go_out_as_lines_arrive_and_failures_with_their_binary() {
    let text = fixture("plain.txt");
    let mut parser = LibtestParser::new();
    let mut out = Vec::new();
    let mut emitted_at: BTreeMap<String, usize> = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        parser.line(line, now(), &mut out);
        for r in out.drain(..) {
            emitted_at.insert(r.name.clone(), i);
        }
    }
    assert!(parser.finish(now(), &mut out).is_empty());
    assert!(out.is_empty(), "everything was out before the end: {out:?}");
    let line_of = |needle: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("{needle}"))
    };
    // A pass is out at its own line.
    assert_eq!(
        emitted_at["it::integration_passes"],
        line_of("test integration_passes ... ok")
    );
    // A failure waits for its binary's `test result:` line (its text comes before it).
    let it_result = lines
        .iter()
        .enumerate()
        .skip(line_of("test integration_fails"))
        .find(|(_, l)| l.starts_with("test result:"))
        .unwrap()
        .0;
    assert_eq!(emitted_at["it::integration_fails"], it_result);
}

#[test]
fn json_format_with_report_time() {
    let p = parse("json.txt");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(outcomes(&p), demo_crate_outcomes(false));
    check_lib_failures(&p, true);
    let deep = &by_name(&p, "demo_crate::tests::nested::deep").attempts()[0];
    let duration = deep.duration.expect("exec_time");
    assert!(duration >= Duration::from_millis(50), "{duration:?}");
    assert_eq!(deep.stopped, Some(now()));
    assert_eq!(
        deep.started,
        Some(now() - chrono::TimeDelta::from_std(duration).unwrap())
    );
    assert_eq!(
        message(&p, "demo_crate::src/lib.rs - add (line 11)"),
        Some("assertion `left == right` failed: doc arithmetic")
    );
}

#[test]
fn json_format_with_nocapture() {
    let p = parse("json-nocapture.txt");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(outcomes(&p), demo_crate_outcomes(true));
    assert_eq!(outcome(&p, "demo_crate::tests::noisy"), Outcome::Passed);
    assert_eq!(
        message(&p, "demo_crate::tests::fails_with_multiline_panic"),
        Some("assertion `left == right` failed: vectors differ")
    );
    assert_eq!(
        message(&p, "demo_crate::tests::should_panic_but_does_not"),
        Some("test did not panic as expected at src/lib.rs:69:8")
    );
}

#[test]
fn a_crashed_binary_is_incomplete() {
    let p = parse("crash.txt");
    assert_eq!(
        outcomes(&p),
        [("crashy::tests::a_passes".to_owned(), Outcome::Passed)].into()
    );
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert!(p.problems[0].is_incomplete());
    assert!(matches!(
        &p.problems[0].kind,
        ProblemKind::Incomplete { target: Some(t), seen: 1, expected: Some(3), unfinished }
            if t == "crashy" && unfinished.is_empty()
    ));
    let text = p.problems[0].to_string();
    assert!(
        text.contains("`crashy` ends after 1 of 3 results"),
        "{text}"
    );
}

#[test]
fn a_test_that_crashed_its_binary_is_an_error() {
    let p = parse("crash-single.txt");
    assert_eq!(outcome(&p, "crashy::tests::a_passes"), Outcome::Passed);
    assert_eq!(outcome(&p, "crashy::tests::b_aborts"), Outcome::Error);
    assert!(
        message(&p, "crashy::tests::b_aborts")
            .unwrap()
            .contains("stopped before this test finished")
    );
    assert!(details(&p, "crashy::tests::b_aborts").contains("SIGABRT"));
    assert_eq!(p.results.len(), 2);
    assert!(matches!(
        &p.problems[..],
        [problem] if matches!(&problem.kind, ProblemKind::Incomplete { unfinished, .. }
            if unfinished == &["tests::b_aborts".to_owned()])
    ));
}

#[test]
fn quiet_output_has_no_names_and_says_so() {
    let p = parse("quiet.txt");
    assert!(p.results.is_empty(), "{:?}", p.results);
    assert_eq!(p.problems.len(), 6, "{:?}", p.problems);
    assert!(
        p.problems
            .iter()
            .all(|pr| matches!(pr.kind, ProblemKind::Unnamed { named: 0, .. }))
    );
    assert!(p.problems[0].to_string().contains("cargo test -q"));
    assert!(!p.problems[0].is_incomplete());
}

#[test]
fn no_test_output_at_all() {
    let p = parse_str(
        "   Compiling x v0.1.0\nerror[E0425]: cannot find value `y`\n",
        now(),
    );
    assert!(p.results.is_empty());
    assert_eq!(p.problems.len(), 1);
    assert_eq!(p.problems[0].kind, ProblemKind::NoTests);
    let nextest = parse_str(
        "    Starting 13 tests across 4 binaries\n        PASS [   0.004s] (1/13) x t\n",
        now(),
    );
    assert_eq!(nextest.problems[0].kind, ProblemKind::NextestOutput);
}

#[test]
fn output_ending_mid_test_keeps_what_came_before() {
    let p = parse_str(
        "running 3 tests\ntest a ... ok\ntest b ... some output\nmore output",
        now(),
    );
    assert_eq!(p.results.len(), 2);
    assert_eq!(p.results[0].name, "a");
    assert_eq!(p.results[1].attempts()[0].outcome, Outcome::Error);
    assert_eq!(
        p.results[1].attempts()[0].details.as_deref(),
        Some("some output\nmore output")
    );
    assert!(p.problems[0].is_incomplete());
    assert_eq!(p.problems[0].line, 4);
}

#[test]
fn libtest_mimic_output_and_a_default_target() {
    // libtest-mimic writes `---- NAME ----` and `[kind] ` before names.
    let text = "\
running 3 tests
test [slow] checks_a ... ok
test checks_b ... FAILED
test checks_c ... ignored, not today

failures:

---- checks_b ----
wrong answer
second line


failures:
    checks_b

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
    let mut parser = LibtestParser::new().with_default_target("harness-demo");
    let mut out = Vec::new();
    for line in text.lines() {
        parser.line(line, now(), &mut out);
    }
    assert!(parser.finish(now(), &mut out).is_empty());
    let p = Parsed {
        results: out,
        problems: Vec::new(),
    };
    assert_eq!(
        outcomes(&p),
        [
            ("harness_demo::checks_a".to_owned(), Outcome::Passed),
            ("harness_demo::checks_b".to_owned(), Outcome::Failed),
            ("harness_demo::checks_c".to_owned(), Outcome::Skipped),
        ]
        .into()
    );
    assert_eq!(message(&p, "harness_demo::checks_b"), Some("wrong answer"));
    assert_eq!(
        details(&p, "harness_demo::checks_b"),
        "wrong answer\nsecond line"
    );
}

#[test]
fn json_event_shapes() {
    // Shapes as libtest writes them (library/test/src/formatters/json.rs): benches, the
    // 60-second timeout warning, events after test output, a suite that never started, a
    // broken event.
    let text = r#"{ "type": "test", "event": "started", "name": "slow" }
{ "type": "test", "event": "timeout", "name": "slow" }
output{ "type": "test", "name": "slow", "event": "ok", "exec_time": 61.5 }
{ "type": "bench", "name": "sum", "median": 1234, "deviation": 56 }
{ "type": "test", "name": "skip", "event": "ignored", "message": "why not" }
{ "type": "test", "name": "bad", "event": "failed", "stdout": "thread 'bad' panicked at a.rs:1:1:\nboom\n" }
{ "type": "test", "name": "forever", "event": "ok", "exec_time": 1e15 }
{ "type": "test", "name": "broken", "event": 
{ "type": "suite", "event": "failed", "passed": 3, "failed": 1, "ignored": 1, "measured": 0, "filtered_out": 0, "exec_time": 62.0 }
"#;
    let p = parse_str(text, now());
    assert_eq!(
        outcomes(&p),
        [
            ("slow".to_owned(), Outcome::Passed),
            ("forever".to_owned(), Outcome::Passed),
            ("sum".to_owned(), Outcome::Passed),
            ("skip".to_owned(), Outcome::Skipped),
            ("bad".to_owned(), Outcome::Failed),
        ]
        .into()
    );
    assert_eq!(
        by_name(&p, "slow").attempts()[0].duration,
        Some(Duration::from_millis(61_500))
    );
    assert_eq!(details(&p, "sum"), "1234 ns/iter (+/- 56)");
    assert_eq!(message(&p, "skip"), Some("why not"));
    assert_eq!(message(&p, "bad"), Some("boom"));
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert!(matches!(p.problems[0].kind, ProblemKind::BadJson(_)));
    assert_eq!(p.problems[0].line, 8);
    // An absurd duration is kept; the start it would give is not a date.
    let forever = &by_name(&p, "forever").attempts()[0];
    assert!(forever.duration.is_some());
    assert_eq!(forever.started, None);
}

#[test]
fn report_time_and_colours_in_human_output() {
    let text = "running 2 tests\n\
                test fast ... \u{1b}[32mok\u{1b}[0m <0.125s>\n\
                test [kind] slow - should panic ... ok <2.000s>\n\
                \n\
                test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n";
    let p = parse_str(text, now());
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(
        by_name(&p, "fast").attempts()[0].duration,
        Some(Duration::from_millis(125))
    );
    assert_eq!(
        by_name(&p, "slow").attempts()[0].started,
        Some(now() - chrono::TimeDelta::seconds(2))
    );
}

/// Every trial of the libtest-mimic fixture crate, with its outcome.
fn mimic_outcomes() -> BTreeMap<String, Outcome> {
    [
        ("table_checks::parse::short", Outcome::Passed),
        ("table_checks::parse::a_much_longer_name", Outcome::Passed),
        ("table_checks::fails_with_message", Outcome::Failed),
        ("table_checks::panics", Outcome::Failed),
        ("table_checks::kind_and_ignored", Outcome::Skipped),
        ("table_checks::ignored_at_run_time", Outcome::Skipped),
    ]
    .into_iter()
    .map(|(n, o)| (n.to_owned(), o))
    .collect()
}

#[test]
fn real_libtest_mimic_output() {
    for fixture_name in ["libtest-mimic.txt", "libtest-mimic-single.txt"] {
        let p = parse(fixture_name);
        assert!(p.problems.is_empty(), "{fixture_name}: {:?}", p.problems);
        assert_eq!(outcomes(&p), mimic_outcomes(), "{fixture_name}");
        assert_eq!(
            message(&p, "table_checks::fails_with_message"),
            Some("wrong answer"),
            "{fixture_name}"
        );
        assert!(
            details(&p, "table_checks::fails_with_message").ends_with("wrong answer\nsecond line"),
            "{fixture_name}"
        );
        assert_eq!(
            message(&p, "table_checks::panics"),
            Some("test panicked: kaboom"),
            "{fixture_name}"
        );
        assert!(
            details(&p, "table_checks::panics").ends_with("test panicked: kaboom"),
            "{fixture_name}"
        );
        assert_eq!(
            message(&p, "table_checks::ignored_at_run_time"),
            Some("no network"),
            "{fixture_name}"
        );
    }
}

#[test]
fn every_cut_of_every_fixture_parses_and_keeps_what_came_before() {
    for name in [
        "plain.txt",
        "plain-backtrace.txt",
        "nocapture.txt",
        "nocapture-single.txt",
        "quiet.txt",
        "json.txt",
        "json-nocapture.txt",
        "crash.txt",
        "crash-single.txt",
        "libtest-mimic.txt",
        "libtest-mimic-single.txt",
    ] {
        let text = fixture(name);
        let full = parse_str(&text, now());
        let mut cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
        // Also in the middle of lines (on character boundaries).
        cuts.extend(
            (0..text.len())
                .step_by(37)
                .filter(|i| text.is_char_boundary(*i)),
        );
        for cut in cuts {
            let part = parse_str(&text[..cut], now());
            assert!(part.results.len() <= full.results.len(), "{name} at {cut}");
            // A cut inside a binary's output says so.
            let starts = text[..cut]
                .lines()
                .filter(|l| {
                    l.starts_with("running ") && (l.ends_with(" tests") || l.ends_with(" test"))
                })
                .count();
            let ends = text[..cut]
                .lines()
                .filter(|l| l.starts_with("test result: ") && l.contains(" passed;"))
                .count();
            let open = starts > ends;
            if open && !name.starts_with("json") && !name.starts_with("quiet") {
                assert!(
                    part.problems.iter().any(|p| p.is_incomplete()),
                    "{name} cut at {cut}: {:?}",
                    part.problems
                );
            }
        }
    }
}

/// Live: `running N tests` plans N, `test NAME ... ` before its status (one thread, the
/// line still unfinished) starts the test, a failure goes out at once without its text and
/// again with it at its binary's end; none of it without `live`.
#[test]
fn live_events_planned_started_and_early_failures() {
    let mut parser = LibtestParser::new().live(true);
    let mut out = Vec::new();
    for line in [
        "     Running tests/it.rs (target/debug/deps/it-0ddca08fee548bda)",
        "",
        "running 3 tests",
    ] {
        parser.line(line, now(), &mut out);
    }
    assert!(out.is_empty());
    assert_eq!(parser.take_events(), vec![LiveEvent::Planned(3)]);
    // The unfinished line, seen twice as more of it arrives: one start.
    parser.partial("test slow ", now());
    parser.partial("test slow ... ", now());
    parser.partial("test slow ... ", now());
    let events = parser.take_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let LiveEvent::Started(started) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(started.name, "it::slow");
    assert_eq!(started.started(), Some(now()));
    parser.line("test slow ... ok", now(), &mut out);
    assert!(parser.take_events().is_empty());
    assert_eq!(
        out.drain(..).map(|r| r.name).collect::<Vec<_>>(),
        ["it::slow"]
    );
    parser.partial("test bad ... ", now());
    parser.line("test bad ... FAILED", now(), &mut out);
    assert_eq!(parser.take_events().len(), 1);
    let early: Vec<TestResult> = std::mem::take(&mut out);
    assert_eq!(early.len(), 1, "the failure at once: {early:?}");
    assert_eq!(early[0].name, "it::bad");
    assert_eq!(early[0].last_attempt().outcome, Outcome::Failed);
    assert_eq!(early[0].last_attempt().details, None);
    for line in [
        "test third ... ok",
        "",
        "failures:",
        "",
        "---- bad stdout ----",
        "thread 'bad' panicked at tests/it.rs:9:5:",
        "boom",
        "",
        "failures:",
        "    bad",
        "",
        "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
    ] {
        parser.line(line, now(), &mut out);
    }
    let names: Vec<&str> = out.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["it::third", "it::bad"]);
    assert!(
        out[1]
            .last_attempt()
            .details
            .as_deref()
            .unwrap_or("")
            .contains("boom"),
        "{:?}",
        out[1]
    );
    assert!(parser.finish(now(), &mut out).is_empty());

    // Not live: no events, failures once.
    let mut quiet = LibtestParser::new();
    quiet.line("running 1 test", now(), &mut out);
    quiet.partial("test bad ... ", now());
    assert!(quiet.take_events().is_empty());
    let parsed = parse("plain.txt");
    let live = {
        let mut parser = LibtestParser::new().live(true);
        let mut results = Vec::new();
        for line in fixture("plain.txt").lines() {
            parser.line(line, now(), &mut results);
        }
        assert!(parser.finish(now(), &mut results).is_empty());
        results
    };
    let failed = parsed
        .results
        .iter()
        .filter(|r| r.last_attempt().outcome == Outcome::Failed)
        .count();
    assert_eq!(live.len(), parsed.results.len() + failed);
}
