//! Real-world shapes of a stream that used to go wrong: a plan in the middle, `TAP version`
//! lines after the plan, subtest headings, stray indented lines. What becomes a case, and what
//! the plan says (the golden files hold the whole readings).

use std::fs;

use plugin_tap::{Options, Summary, parse_str};
use tcms_api::report::{Outcome, TestResult};

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
            .all(|r| r.attempts[0].outcome == Outcome::Passed)
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
