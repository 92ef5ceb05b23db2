//! Real-world shapes of a stream that used to go wrong: a plan in the middle, `TAP version`
//! lines after the plan, subtest headings, stray indented lines. What becomes a case, and what
//! the plan says (the golden files hold the whole readings).

use std::fs;

use tcms_api::report::{Outcome, TestResult};
use tcms_tap::{Options, Summary, parse_str};

use crate::util::{fixtures_dir, read_all};

fn fixture(name: &str) -> (Vec<TestResult>, Summary) {
    let bytes = fs::read(fixtures_dir().join(name)).expect("fixture");
    let (results, error, summary) = read_all(&bytes, name, Options::default());
    assert!(error.is_none(), "{name}: {error:?}");
    (results, summary)
}

fn text(input: &str) -> (Vec<TestResult>, Summary) {
    parse_str("x.tap", input, Options::default())
}

fn missing(summary: &Summary) -> Vec<Vec<u64>> {
    summary
        .documents
        .iter()
        .map(|d| d.missing.iter().flat_map(|r| r.clone()).collect())
        .collect()
}

#[test]
fn a_plan_in_the_middle_is_counted_against_the_whole_stream() {
    let (results, summary) = fixture("edge-plan-in-the-middle.tap");
    assert_eq!(results.len(), 15);
    assert_eq!(summary.documents.len(), 1, "{summary:#?}");
    assert_eq!(summary.documents[0].tests, 15);
    assert_eq!(summary.missing_count(), 0);
    assert!(summary.is_complete());
    assert!(
        results
            .iter()
            .all(|r| r.attempts()[0].outcome == Outcome::Passed)
    );

    // Numbers continue after the plan: one document, also without numbers.
    let (_, summary) = text("ok\nok\n1..4\nok\nok\n");
    assert_eq!(summary.documents.len(), 1);
    assert!(summary.is_complete(), "{summary:#?}");
}

#[test]
fn a_version_line_after_the_plan_starts_no_document() {
    let (results, summary) = fixture("edge-version-after-plan.tap");
    assert_eq!(results.len(), 6);
    assert_eq!(summary.documents.len(), 1, "{summary:#?}");
    assert_eq!(summary.documents[0].version, Some(13));
    assert!(summary.is_complete());

    let (_, summary) = text("1..3\nTAP version 14\nok 1\nok 2\nok 3\n");
    assert_eq!(summary.documents.len(), 1);
    assert_eq!(summary.documents[0].version, Some(14));
    assert!(summary.is_complete());
}

#[test]
fn streams_written_one_after_the_other_are_still_documents() {
    // The numbering starts again: a new document, with its own plan.
    let (_, summary) = text("TAP version 13\n1..2\nok 1\nok 2\nTAP version 13\n1..2\nok 1\nok 2\n");
    assert_eq!(summary.documents.len(), 2);
    assert_eq!(summary.documents[1].first_line, 5);
    assert!(summary.is_complete());
    let (_, summary) = text("ok 1\nok 2\n1..2\nTAP version 13\nok 1\n1..1\n");
    assert_eq!(summary.documents.len(), 2);
    assert!(summary.is_complete(), "{summary:#?}");
    let (_, summary) = text("ok\nok\n1..2\nok\n1..1\n");
    assert_eq!(summary.documents.len(), 2, "{summary:#?}");
    assert!(summary.is_complete());
}

#[test]
fn real_gaps_are_still_missing() {
    let (_, summary) = text("1..4\nok 1\nok 2\n");
    assert_eq!(missing(&summary), [vec![3, 4]]);
    // A plan in the middle with a test that never came.
    let (_, summary) = text("ok 2\nok 3\n1..4\nok 1\n");
    assert_eq!(missing(&summary), [vec![4]]);
    // A version line after the plan, then too few tests.
    let (_, summary) = text("1..3\nTAP version 13\nok 1\n");
    assert_eq!(missing(&summary), [vec![2, 3]]);
    let (_, summary) = fixture("edge-plan-missing-tests.tap");
    assert_eq!(missing(&summary), [vec![3, 5, 6]]);
}

fn names_and_outcomes(results: &[TestResult]) -> Vec<(&str, Outcome)> {
    results
        .iter()
        .map(|r| (r.name.as_str(), r.attempts()[0].outcome))
        .collect()
}

#[test]
fn subtest_headings_give_one_case_per_top_level_test_point() {
    let (results, summary) = fixture("edge-subtest-headings.tap");
    assert_eq!(
        names_and_outcomes(&results),
        [
            ("config loader", Outcome::Failed),
            ("cache", Outcome::Passed),
            ("todo subtest", Outcome::Todo),
        ]
    );
    assert!(summary.is_complete());
    assert_eq!(summary.ignored_subtests, 0);
    let details = results[0].attempts()[0].details.as_deref().unwrap();
    assert!(
        details.starts_with(
            "subtest \"config loader\": 1 passed, 1 failed (plan 1..2)\nnot ok: rejects bad files"
        ),
        "{details}"
    );
}

#[test]
fn headings_indented_like_the_subtest_name_it() {
    let (results, summary) = fixture("edge-indented-headings.tap");
    assert_eq!(
        names_and_outcomes(&results),
        [
            ("math", Outcome::Failed),
            ("network", Outcome::Skipped),
            ("outer", Outcome::Passed),
            ("strings", Outcome::Passed),
        ]
    );
    assert!(summary.is_complete());
    let details = |i: usize| results[i].attempts()[0].details.clone().unwrap();
    // The nested results keep their own names, and a skipped subtest has no invented error.
    assert!(
        details(0).starts_with("subtest \"math\": 1 passed, 1 failed (plan 1..2)\nnot ok: divides"),
        "{}",
        details(0)
    );
    assert!(
        details(1).starts_with("subtest \"network\": no results (plan 1..0)"),
        "{}",
        details(1)
    );
    assert!(
        details(2).starts_with("subtest \"outer\": 1 passed (plan 1..1)"),
        "{}",
        details(2)
    );
    // A nested failure is listed under its own name, not the heading's.
    let (results, _) = text(
        "1..1\n    # Subtest: outer\n        # Subtest: inner\n        not ok 1 - x\n        \
         1..1\n    not ok 1 - inner\n    1..1\nnot ok 1 - outer\n",
    );
    let details = results[0].attempts()[0].details.as_deref().unwrap();
    assert!(details.contains("\nnot ok: inner\n"), "{details}");
    // The TAP 14 reading is kept: a heading followed by deeper lines introduces a nested
    // subtest.
    let (results, _) = text(
        "    # Subtest: inner\n        not ok 1 - deep\n        1..1\n    not ok 1 - inner\n    \
         1..1\nnot ok 1 - outer\n1..1\n",
    );
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].name, "outer");
    let details = results[0].attempts()[0].details.as_deref().unwrap();
    assert!(details.starts_with("subtest: 1 failed"), "{details}");
}

#[test]
fn indented_lines_after_the_plan_belong_to_no_test() {
    let (results, summary) = fixture("edge-stray-indented.tap");
    assert_eq!(results.len(), 3);
    assert!(
        results
            .iter()
            .all(|r| r.attempts()[0].outcome == Outcome::Passed)
    );
    assert_eq!(summary.ignored_subtests, 1);
    assert_eq!(summary.ignored_subtest_lines, [6]);
    assert!(summary.is_complete());

    let (results, summary) = fixture("edge-stray-after-plan-at-end.tap");
    assert_eq!(
        names_and_outcomes(&results),
        [("first", Outcome::Passed), ("second", Outcome::Passed)]
    );
    assert_eq!(summary.ignored_subtest_lines, [8]);
    assert!(summary.is_complete());

    // A heading alone after the plan, and a skip-all plan followed by indented lines.
    let (results, summary) = text("ok 1 - a\n1..1\n# Subtest: extra\n");
    assert_eq!(results.len(), 1);
    assert_eq!(summary.ignored_subtests, 1);
    let (results, summary) = text("1..0 # SKIP nothing to do\n    ok 1 - helper\n");
    assert!(results.is_empty());
    assert_eq!(summary.ignored_subtests, 1);
}

#[test]
fn a_subtest_that_never_finished_is_still_an_error() {
    let (results, summary) = fixture("edge-unfinished-subtest.tap");
    assert_eq!(
        names_and_outcomes(&results),
        [
            ("boots", Outcome::Passed),
            ("logs in", Outcome::Passed),
            ("uploads a file", Outcome::Error),
        ]
    );
    assert_eq!(missing(&summary), [vec![3]]);
    assert_eq!(summary.ignored_subtests, 0);
    // Without a plan nothing says the stream was over: an error too.
    let (results, _) = text("ok 1 - a\n    ok 1 - inside\n");
    assert_eq!(
        names_and_outcomes(&results),
        [("a", Outcome::Passed), ("x #2", Outcome::Error)]
    );
    // A heading inside a subtest with nothing after it is no error.
    let (results, _) = text("# Subtest: outer\n    # Subtest: inner\nok 1 - outer\n1..1\n");
    let details = results[0].attempts()[0].details.as_deref().unwrap_or("");
    assert!(!details.contains("error"), "{details}");
}

#[test]
fn an_empty_buffered_subtest_is_named_without_its_brace() {
    let (results, summary) = fixture("edge-empty-buffered.tap");
    assert_eq!(
        names_and_outcomes(&results),
        [
            ("child", Outcome::Passed),
            ("other", Outcome::Passed),
            ("with children", Outcome::Failed),
        ]
    );
    assert_eq!(summary.non_tap_lines, 0);
    // A name that merely ends in `{` keeps it.
    let (results, _) = text("ok 1 - returns {\nok 2 - next\n");
    assert_eq!(results[0].name, "returns {");
}

#[test]
fn the_fallback_stem_replaces_the_source_name() {
    let input = "1..2\nok 1\nnot ok 2 -\n";
    let mut options = Options::default();
    options.fallback_stem = Some("suite".to_owned());
    let (results, _) = parse_str("<stdin>", input, options.clone());
    let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["suite #1", "suite #2"]);
    assert_eq!(results[0].origin.file.as_deref(), Some("<stdin>"));
    // Without it, the source's file stem; a `prove` file name wins over both.
    let (results, _) = parse_str("<stdin>", input, Options::default());
    assert_eq!(results[0].name, "<stdin> #1");
    let (results, _) = parse_str("<stdin>", "t/basic.t .. \n1..1\nok 1\n", options);
    assert_eq!(results[0].name, "basic #1");
}
