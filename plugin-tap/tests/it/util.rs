//! Helpers shared by the test modules.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use tcms_api::report::TestResult;
use tcms_tap::{Options, ParseError, Results, Summary};

/// The fixture directory.
pub(crate) fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every `*.tap` fixture, sorted by name.
pub(crate) fn fixtures() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tap"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 30, "fixtures went missing: {paths:?}");
    paths
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// Options with `compat_summaries` set.
pub(crate) fn compat() -> Options {
    let mut options = Options::default();
    options.compat_summaries = true;
    options
}

/// Reads `bytes` through the `BufRead` iterator.
pub(crate) fn read_all(
    bytes: &[u8],
    source: &str,
    options: Options,
) -> (Vec<TestResult>, Option<ParseError>, Summary) {
    let mut results = Results::new(bytes, source, options);
    let mut out = Vec::new();
    let mut error = None;
    for item in results.by_ref() {
        match item {
            Ok(result) => out.push(result),
            Err(e) => error = Some(e),
        }
    }
    (out, error, results.summary())
}

/// Compares `actual` with the file at `path`, or writes it when `BLESS=1`.
pub(crate) fn check_golden(path: &Path, actual: &str) {
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        fs::write(path, actual).expect("write golden file");
        return;
    }
    let expected = fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with BLESS=1 to create it\n--- actual ---\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let mut diff = String::new();
        for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            if e != a {
                let _ = writeln!(diff, "line {}:\n  expected: {e}\n  actual:   {a}", i + 1);
                break;
            }
        }
        panic!(
            "{} differs (BLESS=1 rewrites it)\n{diff}expected {} lines, got {}\n--- actual ---\n{actual}",
            path.display(),
            expected.lines().count(),
            actual.lines().count()
        );
    }
}

/// The compact text rendering of one fixture's reading.
pub(crate) fn render(
    results: &[TestResult],
    error: Option<&ParseError>,
    summary: &Summary,
    compat_names: &[String],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "summary:");
    let _ = writeln!(
        out,
        "  lines: {}, results: {}, non-TAP lines: {}, bailed out: {}",
        summary.lines,
        summary.results,
        summary.non_tap_lines,
        match &summary.bailed_out {
            Some(reason) => format!("{reason:?}"),
            None => "no".to_owned(),
        }
    );
    let _ = writeln!(
        out,
        "  planned: {:?}, missing: {}, complete: {}",
        summary.planned(),
        summary.missing_count(),
        summary.is_complete()
    );
    if summary.ignored_subtests > 0 {
        let _ = writeln!(
            out,
            "  ignored subtests: {} (from lines {:?})",
            summary.ignored_subtests, summary.ignored_subtest_lines
        );
    }
    for (i, doc) in summary.documents.iter().enumerate() {
        let _ = write!(out, "  document {}: line {}", i + 1, doc.first_line);
        if let Some(name) = &doc.name {
            let _ = write!(out, ", name {name:?}");
        }
        match doc.version {
            Some(v) => {
                let _ = write!(out, ", TAP version {v}");
            }
            None => out.push_str(", no version"),
        }
        match &doc.plan {
            Some(plan) => {
                let _ = write!(out, ", plan 1..{} (line {})", plan.count, plan.line);
                if let Some(reason) = &plan.reason {
                    let _ = write!(out, " reason {reason:?}");
                }
            }
            None => out.push_str(", no plan"),
        }
        let _ = write!(out, ", {} tests", doc.tests);
        if !doc.missing.is_empty() {
            let ranges: Vec<String> = doc
                .missing
                .iter()
                .map(|r| {
                    if r.start() == r.end() {
                        r.start().to_string()
                    } else {
                        format!("{}-{}", r.start(), r.end())
                    }
                })
                .collect();
            let _ = write!(out, ", missing {}", ranges.join(","));
        }
        if doc.out_of_plan > 0 {
            let _ = write!(out, ", out of plan {}", doc.out_of_plan);
        }
        out.push('\n');
    }
    if let Some(error) = error {
        let _ = writeln!(out, "error: {error}");
    }
    let _ = writeln!(out, "results:");
    for (i, result) in results.iter().enumerate() {
        let attempt = &result.attempts()[0];
        assert_eq!(result.attempts().len(), 1, "one attempt per TAP result");
        let _ = writeln!(
            out,
            "  {}. {:?} {:?} line {}",
            i + 1,
            result.name,
            attempt.outcome,
            result.origin.line.map_or("-".to_owned(), |l| l.to_string())
        );
        if let Some(suite) = &result.origin.suite {
            let _ = writeln!(out, "     suite: {suite:?}");
        }
        if let Some(duration) = attempt.duration {
            let _ = writeln!(out, "     duration: {duration:?}");
        }
        if let Some(message) = &attempt.message {
            let _ = writeln!(out, "     message: {message:?}");
        }
        for (key, value) in &result.properties {
            let _ = writeln!(out, "     property: {key} = {value:?}");
        }
        if let Some(details) = &attempt.details {
            let _ = writeln!(out, "     details:");
            for line in details.lines() {
                let _ = writeln!(out, "       |{line}");
            }
        }
    }
    let _ = writeln!(out, "compat_summaries names:");
    for name in compat_names {
        let _ = writeln!(out, "  {name:?}");
    }
    out
}
