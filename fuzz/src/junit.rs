//! `plugin-junit-xml`: [`JunitParser`] over any input, to the end.

use tcms_junit_xml::{JunitParser, ParseError};
use tcms_api::report::TestResult;

use crate::alloc::peak_during;
use crate::{Chunked, JUNIT_MEMORY_BASE, check_memory, chunk_for, digest};

const INPUT: &str = "fuzz.xml";

/// What one parse gave: a digest per item, and the error's text if the stream ended in one.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    items: Vec<u64>,
    error: Option<String>,
}

fn parser<R: std::io::BufRead>(reader: R, data: &[u8]) -> JunitParser<R> {
    // Both ways of treating suite properties, chosen by the input.
    JunitParser::new(reader, INPUT).with_suite_properties(data.len().is_multiple_of(2))
}

/// Parses `data` to the end and checks everything in the module docs of the crate.
pub fn check(data: &[u8]) {
    let lines = line_lengths(data);
    let test_cases = test_case_tags(data);

    // The whole input, results dropped as they come: memory measured.
    let (whole, peak) = peak_during(|| {
        let mut parser = parser(data, data);
        let mut out = Outcome {
            items: Vec::new(),
            error: None,
        };
        let mut results = 0usize;
        for item in parser.by_ref() {
            assert!(
                out.error.is_none(),
                "an item after the error {:?}",
                out.error
            );
            out.items.push(digest(&item));
            match item {
                Ok(result) => {
                    results += 1;
                    check_result(&result, &lines);
                }
                Err(error) => {
                    check_error(&error, &lines);
                    out.error = Some(error.to_string());
                }
            }
        }
        assert!(parser.next().is_none(), "not fused");
        assert!(
            results <= test_cases,
            "{results} results from {test_cases} <testcase> tags"
        );
        out
    });
    check_memory("junit", peak, data.len(), JUNIT_MEMORY_BASE);

    // A few bytes at a time: the same items, the same error at the same place. Not for a
    // comment inside a DOCTYPE: quick-xml 0.42 can find its end where there is none when a
    // read ends on `-` (see `regressions/junit/quick-xml-doctype-comment.xml`).
    if !doctype_with_comment(data) {
        let chunked = collect(parser(Chunked::new(data, chunk_for(data)), data));
        assert_eq!(chunked, whole, "chunks of {} bytes", chunk_for(data));
    }
}

/// `<!D` (quick-xml reads any `<!D...` as a DOCTYPE) followed by `<!--`.
fn doctype_with_comment(data: &[u8]) -> bool {
    let doctype = (0..data.len()).find(|&i| {
        data[i..].len() >= 3 && data[i..i + 2] == *b"<!" && data[i + 2].eq_ignore_ascii_case(&b'd')
    });
    doctype.is_some_and(|at| crate::count(&data[at..], b"<!--") > 0)
}

fn collect<R: std::io::BufRead>(parser: JunitParser<R>) -> Outcome {
    let mut out = Outcome {
        items: Vec::new(),
        error: None,
    };
    for item in parser {
        out.items.push(digest(&item));
        if let Err(error) = item {
            out.error = Some(error.to_string());
        }
    }
    out
}

/// The length in bytes of every line (split at `\n`; the last one may be empty).
fn line_lengths(data: &[u8]) -> Vec<u64> {
    data.split(|&b| b == b'\n')
        .map(|l| l.len() as u64)
        .collect()
}

/// `<testcase` and `<prefix:testcase` (the parser matches local names): no input can give more
/// results than that.
fn test_case_tags(data: &[u8]) -> usize {
    let needle = b"testcase";
    (0..data.len().saturating_sub(needle.len() - 1))
        .filter(|&i| data[i..].starts_with(needle))
        .filter(|&i| {
            let before = &data[..i];
            match before.last() {
                Some(b'<') => true,
                Some(b':') => {
                    // `<` then a prefix of name characters.
                    let prefix = before[..before.len() - 1]
                        .iter()
                        .rev()
                        .take_while(|&&b| b != b'<' && !b.is_ascii_whitespace() && b != b'>')
                        .count();
                    before.len() >= prefix + 2 && before[before.len() - 2 - prefix] == b'<'
                }
                _ => false,
            }
        })
        .count()
}

fn check_error(error: &ParseError, lines: &[u64]) {
    assert!(error.input() == INPUT, "{error}");
    let line = error.line();
    assert!(
        line >= 1 && line <= lines.len() as u64,
        "{error}: line outside the input's {} lines",
        lines.len()
    );
    let length = lines[(line - 1) as usize];
    assert!(
        error.column() >= 1 && error.column() <= length + 1,
        "{error}: column outside line {line} ({length} bytes)"
    );
}

fn check_result(result: &TestResult, lines: &[u64]) {
    assert!(!result.attempts().is_empty(), "{result:?}");
    let line = result.origin.line.unwrap_or(0);
    assert!(
        line >= 1 && line <= lines.len() as u64,
        "result on line {line} of {}",
        lines.len()
    );
    for attempt in result.attempts() {
        if let (Some(start), Some(stop)) = (attempt.started, attempt.stopped) {
            assert!(stop >= start, "{attempt:?}");
        }
    }
}
