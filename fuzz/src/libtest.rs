//! `plugin-cargo-test`: the `cargo test` output parser ([`tcms_cargo_test::libtest`]).

use chrono::{DateTime, Utc};
use tcms_cargo_test::libtest::{LibtestParser, parse_str};

use crate::alloc::peak_during;
use crate::{MEMORY_BASE, check_memory, digest};

/// A fixed "now", so that two parses can be compared.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap_or_default()
}

/// [`parse_str`] on the input as text (invalid UTF-8 replaced): within the memory bound, twice
/// the same, problems on lines of the input; then the streaming parser with a default target.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count() as u64;
    let (first, peak) = peak_during(|| {
        let parsed = parse_str(&text, now());
        (
            parsed.results.iter().map(digest).collect::<Vec<_>>(),
            digest(&parsed.problems),
            parsed,
        )
    });
    check_memory("libtest parse_str", peak, text.len(), MEMORY_BASE);
    let (results, problems, parsed) = first;
    for result in &parsed.results {
        // A name may be empty: a JSON event with `"name": ""` gives one (found by this target,
        // `regressions/cargo_test/json-empty-name.txt`); the reporting engine refuses such a
        // result with "a test case needs a name that is not blank".
        assert!(!result.attempts().is_empty(), "{result:?}");
    }
    for problem in &parsed.problems {
        assert!(problem.line <= lines, "{problem:?} in {lines} lines");
        let _ = problem.to_string();
    }

    let again = parse_str(&text, now());
    assert_eq!(
        again.results.iter().map(digest).collect::<Vec<_>>(),
        results
    );
    assert_eq!(digest(&again.problems), problems);

    let mut parser = LibtestParser::new().with_default_target("fuzz");
    let mut out = Vec::new();
    for line in text.lines() {
        parser.line(line, now(), &mut out);
    }
    assert_eq!(parser.lines_read(), lines);
    let _ = parser.finish(now(), &mut out);
}
