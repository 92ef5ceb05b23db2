//! `plugin-tap`: [`Parser::push_bytes`] line by line, [`Results`] over a reader, and
//! [`parse_str`].

use tcms_tap::{Options, ParseError, Parser, Results, Summary, parse_str};
use tcms_api::report::TestResult;

use crate::alloc::peak_during;
use crate::{Chunked, MEMORY_BASE, check_memory, chunk_for, digest, lines};

const SOURCE: &str = "fuzz.tap";

fn options(data: &[u8]) -> Options {
    let mut options = Options::default();
    options.compat_summaries = data.len() % 2 == 1;
    options
}

/// What one reading gave, in the order [`Results`] yields it.
#[derive(Debug, PartialEq, Eq)]
struct Reading {
    items: Vec<u64>,
    error: Option<String>,
    summary: Summary,
}

/// Lines that can produce a top-level result: a test point (`ok`, `not ok`) or a subtest that
/// never got its test point (`# Subtest`, or indented lines holding a test point). Every
/// result can be traced to a different one of them.
fn result_bound(lines: &[&[u8]]) -> u64 {
    lines
        .iter()
        .filter(|l| crate::count(l, b"ok") > 0 || crate::count(l, b"Subtest") > 0)
        .count() as u64
}

/// `data` line by line through [`Parser::push_bytes`], as `tcms-tap` reads a file, then the
/// same through [`Results`] over a reader that hands out a few bytes at a time.
pub fn check_push_bytes(data: &[u8]) {
    let all: Vec<&[u8]> = lines(data).collect();
    let (pushed, peak) = peak_during(|| push_bytes(data, &all, false));
    check_memory("tap push_bytes", peak, data.len(), MEMORY_BASE);

    let through_results = read(Results::new(
        Chunked::new(data, chunk_for(data)),
        SOURCE,
        options(data),
    ));
    assert_eq!(
        through_results,
        pushed,
        "Results over chunks of {} bytes",
        chunk_for(data)
    );

    // Flushing now and then (a live reporter whose input went quiet) changes which comment
    // lines a result gets, not the bookkeeping.
    let _ = push_bytes(data, &all, true);
}

fn push_bytes(data: &[u8], all: &[&[u8]], flush: bool) -> Reading {
    let mut parser = Parser::with_options(SOURCE, options(data));
    let mut items = Vec::new();
    let mut error = None;
    let mut results = 0u64;
    let mut read = all.len();
    for (i, line) in all.iter().enumerate() {
        match parser.push_bytes(line) {
            Ok(Some(result)) => {
                results += 1;
                check_result(&result, all.len());
                items.push(digest(&result));
            }
            Ok(None) => {}
            Err(e) => {
                check_error(&e, i, line);
                error = Some(e.to_string());
                items.push(digest(&error));
                read = i;
                break;
            }
        }
        if flush
            && line.len().is_multiple_of(5)
            && let Some(result) = parser.flush()
        {
            results += 1;
            check_result(&result, all.len());
        }
    }
    if let Some(result) = parser.finish() {
        results += 1;
        check_result(&result, all.len());
        items.push(digest(&result));
    }
    let summary = parser.summary();
    assert_eq!(summary.lines, read as u64, "lines read");
    check_summary(&summary, results, &all[..read]);
    assert!(parser.finish().is_none(), "finish twice");
    assert!(!parser.has_pending());
    assert!(parser.push_line("ok 1").is_none(), "a line after finish");
    Reading {
        items,
        error,
        summary,
    }
}

/// Everything a [`Results`] iterator yields.
fn read<R: std::io::BufRead>(mut results: Results<R>) -> Reading {
    let mut items = Vec::new();
    let mut error = None;
    for item in results.by_ref() {
        match item {
            Ok(result) => items.push(digest(&result)),
            Err(e) => {
                error = Some(e.to_string());
                items.push(digest(&error));
            }
        }
    }
    assert!(results.next().is_none(), "not fused");
    // The summary is read after the last item, as `tcms-tap` does.
    let summary = results.summary();
    Reading {
        items,
        error,
        summary,
    }
}

/// [`parse_str`] on the input as text (invalid UTF-8 replaced): twice the same, and the same
/// as [`Results`] over the text's bytes, which never fails on UTF-8.
pub fn check_parse_str(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let options = options(data);
    let ((results, summary), peak) = peak_during(|| {
        let (results, summary) = parse_str(SOURCE, &text, options.clone());
        let digests: Vec<u64> = results.iter().map(digest).collect();
        (digests, summary)
    });
    // The results are kept here, so they count: still within the bound.
    check_memory("tap parse_str", peak, text.len(), MEMORY_BASE);
    let all: Vec<&[u8]> = lines(text.as_bytes()).collect();
    check_summary(&summary, results.len() as u64, &all);

    let (again, again_summary) = parse_str(SOURCE, &text, options.clone());
    let again: Vec<u64> = again.iter().map(digest).collect();
    assert_eq!(again, results, "parse_str twice");
    assert_eq!(again_summary, summary, "parse_str twice");

    let via_reader = read(Results::new(
        Chunked::new(text.as_bytes(), chunk_for(data)),
        SOURCE,
        options,
    ));
    assert_eq!(via_reader.error, None, "UTF-8 text gave an error");
    if via_reader.items != results {
        // Say which result differs.
        let (whole, _) = parse_str(SOURCE, &text, options_for_text(data));
        let streamed: Vec<TestResult> =
            Results::new(text.as_bytes(), SOURCE, options_for_text(data))
                .filter_map(Result::ok)
                .collect();
        for (a, b) in whole.iter().zip(&streamed) {
            assert_eq!(a, b, "parse_str (left) vs Results (right)");
        }
        assert_eq!(
            whole.len(),
            streamed.len(),
            "parse_str vs Results: result count"
        );
    }
    assert_eq!(via_reader.items, results, "parse_str vs Results");
    assert_eq!(via_reader.summary, summary, "parse_str vs Results");
}

fn options_for_text(data: &[u8]) -> Options {
    options(data)
}

fn check_result(result: &TestResult, lines: usize) {
    assert_eq!(result.attempts().len(), 1, "{result:?}");
    assert!(!result.name.trim().is_empty(), "{result:?}");
    let line = result.origin.line.unwrap_or(0);
    assert!(
        line >= 1 && line <= lines as u64,
        "result on line {line} of {lines}"
    );
}

fn check_error(error: &ParseError, index: usize, line: &[u8]) {
    match error {
        ParseError::InvalidUtf8 {
            input,
            line: at,
            column,
            ..
        } => {
            assert_eq!(input, SOURCE);
            assert_eq!(*at, index as u64 + 1, "{error}");
            assert!(
                *column >= 1 && *column <= line.len() as u64 + 1,
                "{error}: column outside a line of {} bytes",
                line.len()
            );
        }
        other => panic!("unexpected error from push_bytes: {other}"),
    }
}

fn check_summary(summary: &Summary, results: u64, lines: &[&[u8]]) {
    assert_eq!(summary.results, results, "summary.results");
    let bound = result_bound(lines);
    assert!(
        results <= bound,
        "{results} results from {bound} test point or subtest lines"
    );
    let tests = summary
        .documents
        .iter()
        .map(|d| d.tests)
        .fold(0u64, u64::saturating_add);
    assert!(
        tests <= results,
        "{tests} test points counted, {results} results"
    );
    for document in &summary.documents {
        assert!(
            document.first_line >= 1 && document.first_line <= summary.lines,
            "{document:?} in {} lines",
            summary.lines
        );
        let _ = document.missing_count();
        let _ = document.matches_plan();
    }
    let _ = (summary.planned(), summary.is_complete());
}
