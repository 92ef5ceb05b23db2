//! Every fixture against its `.expected` rendering (`BLESS=1` rewrites them).

use std::fs;

use tcms_api::report::Outcome;
use tcms_tap::{Options, Parser};

use crate::util::{check_golden, compat, file_name, fixtures, read_all, render};

#[test]
fn fixtures_match_their_expected_rendering() {
    let mut failures = Vec::new();
    for path in fixtures() {
        let name = file_name(&path);
        let bytes = fs::read(&path).expect("read fixture");
        let (results, error, summary) = read_all(&bytes, &name, Options::default());
        let (compat_results, _, _) = read_all(&bytes, &name, compat());
        let compat_names: Vec<String> = compat_results.into_iter().map(|r| r.name).collect();
        let rendered = render(&results, error.as_ref(), &summary, &compat_names);
        let expected = path.with_extension("expected");
        if let Err(panic) = std::panic::catch_unwind(|| check_golden(&expected, &rendered)) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "golden mismatch".to_owned());
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The push API over `&str` lines and the `BufRead` iterator over bytes agree on every fixture.
#[test]
fn push_api_and_iterator_agree() {
    for path in fixtures() {
        let name = file_name(&path);
        let bytes = fs::read(&path).expect("read fixture");
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let (from_reader, error, summary) = read_all(&bytes, &name, Options::default());
        assert!(error.is_none(), "{name}: {error:?}");
        let (from_str, str_summary) = tcms_tap::parse_str(&name, text, Options::default());
        assert_eq!(from_reader, from_str, "{name}");
        assert_eq!(summary, str_summary, "{name}");

        let mut parser = Parser::new(name.as_str());
        let mut pushed = Vec::new();
        for line in text.split('\n') {
            pushed.extend(parser.push_line(line));
        }
        pushed.extend(parser.finish());
        assert_eq!(from_str, pushed, "{name}: lines pushed with their \\r");
    }
}

/// Properties every fixture's results have, whatever the producer.
#[test]
fn every_result_is_well_formed() {
    for path in fixtures() {
        let name = file_name(&path);
        let bytes = fs::read(&path).expect("read fixture");
        let (results, _, summary) = read_all(&bytes, &name, Options::default());
        assert_eq!(results.len() as u64, summary.results, "{name}");
        let mut last_line = 0;
        for result in &results {
            assert!(!result.name.trim().is_empty(), "{name}: empty name");
            assert!(!result.name.starts_with("- "), "{name}: {:?}", result.name);
            assert_eq!(result.origin.file.as_deref(), Some(name.as_str()));
            let line = result.origin.line.expect("line");
            assert!(line >= 1 && line <= summary.lines, "{name}: line {line}");
            // Results come out in input order (an unfinished subtest reports its first line,
            // which still comes after the previous result).
            assert!(line > last_line, "{name}: line {line} after {last_line}");
            last_line = line;
        }
    }
}

/// The real producers' fixtures, spot-checked by hand (the golden files hold the rest).
#[test]
fn real_producers_spot_checks() {
    let read = |file: &str| {
        let path = crate::util::fixtures_dir().join(file);
        let bytes = fs::read(path).expect("fixture");
        read_all(&bytes, file, Options::default())
    };
    let outcome = |results: &[tcms_api::report::TestResult], name: &str| {
        results
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.attempts()[0].outcome)
            .unwrap_or_else(|| panic!("no result {name:?}"))
    };

    // Test::More: TODO blocks, SKIP blocks, a test without description, subtests.
    let (r, _, s) = read("perl-basic.tap");
    assert_eq!(r.len(), 9);
    assert_eq!(outcome(&r, "flies to the moon"), Outcome::Todo);
    assert_eq!(outcome(&r, "passes although TODO"), Outcome::Todo);
    assert_eq!(outcome(&r, "perl-basic #3"), Outcome::Passed);
    assert_eq!(outcome(&r, "perl-basic #4"), Outcome::Skipped);
    assert!(s.is_complete());
    let (r, _, _) = read("perl-subtests.tap");
    assert_eq!(r.len(), 5);
    assert_eq!(outcome(&r, "parser"), Outcome::Failed);
    assert_eq!(outcome(&r, "skipped entirely"), Outcome::Skipped);
    let parser = r.iter().find(|r| r.name == "parser").expect("parser");
    let details = parser.attempts()[0].details.as_deref().expect("details");
    assert!(
        details.starts_with(
            "subtest \"parser\": 2 passed, 1 failed (plan 1..3)\nnot ok: compares letters"
        ),
        "{details}"
    );

    // prove -v over two files: two documents, named by prove's headers.
    let (r, _, s) = read("prove-verbose.tap");
    assert_eq!(s.documents.len(), 2);
    assert_eq!(s.documents[0].name.as_deref(), Some("t/basic.t"));
    assert_eq!(s.documents[1].name.as_deref(), Some("t/subtests.t"));
    assert_eq!(r.len(), 14);
    assert_eq!(outcome(&r, "basic #3"), Outcome::Passed);

    // node --test: YAML with duration_ms, error; suites as subtests.
    let (r, _, s) = read("node-test.tap");
    assert_eq!(r.len(), 8);
    assert_eq!(s.planned(), Some(8));
    let failed = r
        .iter()
        .find(|r| r.name == "fails an assertion")
        .expect("result");
    assert_eq!(
        failed.attempts()[0].message.as_deref(),
        Some("one plus one should be three")
    );
    assert!(failed.attempts()[0].duration.is_some());
    assert_eq!(outcome(&r, "is todo and passes"), Outcome::Todo);
    assert_eq!(outcome(&r, "a suite"), Outcome::Failed);

    // bats: no ` - ` separator; tap13 writes `not ok ... # SKIP`.
    let (r, _, _) = read("bats-tap13.tap");
    assert_eq!(outcome(&r, "skipped test"), Outcome::Skipped);
    assert_eq!(outcome(&r, "addition using bc"), Outcome::Passed);

    // pytest-tap: xfail and xpass are TODO.
    let (r, _, _) = read("pytest-tap.tap");
    assert_eq!(
        outcome(&r, "test_sample.py::test_expected_failure"),
        Outcome::Todo
    );
    assert_eq!(
        outcome(&r, "test_sample.py::test_param[2]"),
        Outcome::Failed
    );

    // node-tap run by its CLI: the whole file is one subtest, so one case.
    let (r, _, _) = read("node-tap-cli.tap");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].name, "test/nodetap-sample.test.js");
    let (r, _, _) = read("node-tap.tap");
    assert_eq!(outcome(&r, "a subtest"), Outcome::Failed);
    assert!(r.iter().all(|r| !r.name.contains("time=")));
}
