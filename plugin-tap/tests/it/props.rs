//! Property tests over generated TAP: documents built from the grammar (version lines, plans,
//! test points with numbers, descriptions, escapes and directives, YAML blocks closed or not,
//! comments, TAP 14 / bare / buffered subtests nested a few levels (headings at the parent's
//! indentation or the subtest's), pragmas, `prove` headers, `Bail out!`, lines that are not
//! TAP, blank lines, LF / CRLF / CR CRLF line ends), then possibly truncated or with an
//! invalid UTF-8 byte spliced in. For every input:
//!
//! - nothing panics; an error names the line of the first invalid byte and a column inside it;
//! - no more results than lines with a test point or a subtest header, the summary counts the
//!   results handed out, and the documents count no more test points than there were results;
//!   a well-formed document gives exactly one result per top-level test point, with the
//!   outcome its line says;
//! - [`parse_str`] twice gives the same, [`Results`] one byte at a time gives the same results,
//!   error and summary as [`Results`] over the whole input, and [`parse_str`] the same as
//!   [`Results`] on UTF-8 text.
//!
//! The runs are reproducible: a fixed seed, 512 cases per property by default
//! (`PROPTEST_CASES=5000 cargo test -p plugin-tap props` runs more). A failure prints the
//! smallest input found. Inputs the fuzzers found are in `fuzz/regressions/tap_*/` and are
//! replayed here too. The coverage-guided fuzzers are `scripts/fuzz`.

use std::io::{BufRead, BufReader};
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tcms_api::report::{Outcome, TestResult};
use tcms_tap::{Options, ParseError, Results, Summary, parse_str};
use tcms_test_kit::io::Trickle;

/// The seed of every run (32 bytes for ChaCha).
const SEED: &[u8; 32] = b"kiwitcms-rs plugin-tap props pt1";

/// Cases per property when `PROPTEST_CASES` is not set: a few seconds for the module in a
/// debug build.
const DEFAULT_CASES: u32 = 512;

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, SEED))
}

/// Runs `test` on the configured number of inputs of `strategy`; panics with the smallest
/// failing input.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    if let Err(failure) = runner().run(&strategy, test) {
        panic!("{failure}");
    }
}

// ------------------------------------------------------------------ the grammar ---

/// Pieces of descriptions: escapes, a `#` that is not a directive, unicode, a brace.
const WORDS: &[&str] = &[
    "adds", "numbers", " ", "é", "🦀", "\\#", "\\\\", "x-y", "(1)", "{", "-", "5",
];
const DIRECTIVES: &[&str] = &[
    "# SKIP",
    "# skip no display",
    "# Skipped: later",
    "# TODO",
    "# todo not yet",
    "# TODOs are not directives",
    "# time=12ms",
    "# TODO later # time=3ms",
    "#issue 42",
];
const YAML: &[&str] = &[
    "message: 'boom'",
    "message: |-",
    "  first line",
    "  second line",
    "severity: fail",
    "duration_ms: 12.5",
    "duration_ms: -1",
    "duration_ms: 1e309",
    "at:",
    "  file: t/a.js",
    "  line: 3",
    "  column: 7",
    "location: t/a.js:3:7",
    "wanted: 1",
    "found: 2",
    "expected: [1, 2]",
    "actual: ''",
    "error: 'no'",
    "stack: |",
    "  at f (a.js:1:1)",
    "",
    "key without value",
    "- list",
];
const COMMENTS: &[&str] = &["diagnostic", "  got: 3", "expected: 4", "tests 8", "é", ""];
const GARBAGE: &[&str] = &[
    "make: *** [all] Error 1",
    "\tindented by a tab",
    "okay",
    "not okay",
    "ok1",
    "1..x",
    "1..99999999999999999999",
    "...",
    "---",
    "}",
    "{",
    "\0",
    "TAP version",
    "pragma",
    "# Subtest:",
    "    ",
    "Bail out",
];

#[derive(Debug, Clone)]
struct Point {
    ok: bool,
    number: Option<u64>,
    dash: bool,
    description: String,
    directive: Option<&'static str>,
}

impl Point {
    fn line(&self, brace: bool) -> String {
        let mut line = String::from(if self.ok { "ok" } else { "not ok" });
        if let Some(n) = self.number {
            line.push_str(&format!(" {n}"));
        }
        if self.dash {
            line.push_str(" -");
        }
        if !self.description.is_empty() {
            line.push(' ');
            line.push_str(&self.description);
        }
        if let Some(directive) = self.directive {
            line.push(' ');
            line.push_str(directive);
        }
        if brace {
            line.push_str(" {");
        }
        line
    }

    /// The outcome the line says, when it can be told without the parser's rules for `#`.
    fn outcome(&self) -> Option<Outcome> {
        if self.description.contains('#') || self.description.ends_with('{') {
            return None;
        }
        let directive = self.directive.map(str::to_ascii_lowercase);
        Some(match directive.as_deref() {
            Some(d) if d.starts_with("# skip") => Outcome::Skipped,
            Some(d) if d.starts_with("# todo") && !d.starts_with("# todos") => Outcome::Todo,
            Some(d) if d.starts_with("#issue") || d.starts_with("# time") => {
                if self.ok {
                    Outcome::Passed
                } else {
                    Outcome::Failed
                }
            }
            Some(_) => return None,
            None if self.ok => Outcome::Passed,
            None => Outcome::Failed,
        })
    }
}

fn point() -> impl Strategy<Value = Point> {
    (
        any::<bool>(),
        prop_oneof![
            2 => Just(None),
            4 => (1u64..20).prop_map(Some),
            1 => prop::sample::select(&[0u64, u64::MAX][..]).prop_map(Some),
        ],
        any::<bool>(),
        prop::collection::vec(prop::sample::select(WORDS), 0..4).prop_map(|w| w.join(" ")),
        prop::option::weighted(0.3, prop::sample::select(DIRECTIVES)),
    )
        .prop_map(|(ok, number, dash, description, directive)| Point {
            ok,
            number,
            dash,
            description,
            directive,
        })
}

/// One item of a document, at one nesting level.
#[derive(Debug, Clone)]
enum Item {
    /// A test point, its YAML block (lines, closed or not) and comment lines after it.
    Point {
        point: Point,
        yaml: Option<(Vec<&'static str>, bool)>,
        comments: Vec<&'static str>,
    },
    /// A subtest: `# Subtest: name` (if named; at the parent's indentation, or indented like
    /// the subtest as Test::Builder before 1.3 writes it) or a bare indented one, its lines 4
    /// spaces in, then its test point.
    Subtest {
        name: Option<String>,
        indented_heading: bool,
        children: Vec<Item>,
        point: Point,
    },
    /// node-tap: `ok 1 - name {`, the lines 4 spaces in, `}`.
    Buffered {
        point: Point,
        children: Vec<Item>,
    },
    Plan(u64, Option<&'static str>),
    Version(&'static str),
    Comment(&'static str),
    Pragma,
    Blank,
    /// Only in messy documents: lines that stop or confuse the stream.
    ProveHeader,
    BailOut,
    Garbage(String),
}

fn plan() -> impl Strategy<Value = Item> {
    (
        prop_oneof![(0u64..10), Just(u64::MAX), Just(1_000_000)],
        prop::option::weighted(
            0.2,
            prop::sample::select(&["# SKIP no display", "# todo"][..]),
        ),
    )
        .prop_map(|(n, reason)| Item::Plan(n, reason))
}

fn clean_leaf() -> impl Strategy<Value = Item> {
    let yaml = prop::option::weighted(
        0.3,
        (
            prop::collection::vec(prop::sample::select(YAML), 0..6),
            prop::bool::weighted(0.8),
        ),
    );
    prop_oneof![
        8 => (point(), yaml, prop::collection::vec(prop::sample::select(COMMENTS), 0..2))
            .prop_map(|(point, yaml, comments)| Item::Point { point, yaml, comments }),
        1 => plan(),
        1 => prop::sample::select(&["TAP version 13", "TAP version 14", "tap VERSION 14"][..])
            .prop_map(Item::Version),
        1 => prop::sample::select(COMMENTS).prop_map(Item::Comment),
        1 => Just(Item::Pragma),
        1 => Just(Item::Blank),
    ]
}

fn messy_leaf() -> impl Strategy<Value = Item> {
    prop_oneof![
        10 => clean_leaf(),
        1 => Just(Item::ProveHeader),
        1 => Just(Item::BailOut),
        2 => prop::collection::vec(prop::sample::select(GARBAGE), 1..3)
            .prop_map(|g| Item::Garbage(g.concat())),
    ]
}

fn nested(leaf: BoxedStrategy<Item>) -> impl Strategy<Value = Vec<Item>> {
    let item = leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            2 => (
                prop::option::of(prop::sample::select(&["parser", "é 🦀", ""][..])),
                prop::bool::weighted(0.3),
                prop::collection::vec(inner.clone(), 0..6),
                point(),
            )
                .prop_map(|(name, indented_heading, children, point)| Item::Subtest {
                    name: name.map(str::to_owned),
                    indented_heading,
                    children,
                    point,
                }),
            1 => (point(), prop::collection::vec(inner, 0..5))
                .prop_map(|(point, children)| Item::Buffered { point, children }),
        ]
    });
    prop::collection::vec(item, 0..12)
}

/// A line end: mostly LF, some CRLF, a few CR CRLF.
fn line_end() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r\r\n")]
}

/// What is done to the rendered bytes.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    /// Cut at this fraction of the length (possibly inside a UTF-8 sequence).
    Truncate(f64),
    /// Put a byte that is never UTF-8 at this fraction of the length.
    InvalidByte(f64, u8),
}

#[derive(Debug, Clone)]
struct Input {
    items: Vec<Item>,
    line_end: &'static str,
    final_newline: bool,
    compat: bool,
    mutation: Mutation,
}

fn input(clean: bool) -> impl Strategy<Value = Input> {
    let leaf = if clean {
        clean_leaf().boxed()
    } else {
        messy_leaf().boxed()
    };
    let mutation = if clean {
        Just(Mutation::None).boxed()
    } else {
        prop_oneof![
            2 => Just(Mutation::None),
            2 => (0.0..1.0f64).prop_map(Mutation::Truncate),
            1 => (0.0..1.0f64, prop::sample::select(&[0xFFu8, 0xC0, 0x80][..]))
                .prop_map(|(at, b)| Mutation::InvalidByte(at, b)),
        ]
        .boxed()
    };
    (
        nested(leaf),
        line_end(),
        prop::bool::weighted(0.9),
        any::<bool>(),
        mutation,
    )
        .prop_map(|(items, line_end, final_newline, compat, mutation)| Input {
            items,
            line_end,
            final_newline,
            compat,
            mutation,
        })
}

fn render(items: &[Item], indent: &str, lines: &mut Vec<String>) {
    let deeper = format!("{indent}    ");
    for item in items {
        match item {
            Item::Point {
                point,
                yaml,
                comments,
            } => {
                lines.push(format!("{indent}{}", point.line(false)));
                if let Some((yaml, closed)) = yaml {
                    lines.push(format!("{indent}  ---"));
                    for line in yaml {
                        lines.push(format!("{indent}  {line}"));
                    }
                    if *closed {
                        lines.push(format!("{indent}  ..."));
                    }
                }
                for comment in comments {
                    lines.push(format!("{indent}# {comment}"));
                }
            }
            Item::Subtest {
                name,
                indented_heading,
                children,
                point,
            } => {
                let at = if *indented_heading { &deeper } else { indent };
                match name.as_deref() {
                    Some("") => lines.push(format!("{at}# Subtest")),
                    Some(name) => lines.push(format!("{at}# Subtest: {name}")),
                    None => {}
                }
                render(children, &deeper, lines);
                lines.push(format!("{indent}{}", point.line(false)));
            }
            Item::Buffered { point, children } => {
                lines.push(format!("{indent}{}", point.line(true)));
                render(children, &deeper, lines);
                lines.push(format!("{indent}}}"));
            }
            Item::Plan(n, reason) => lines.push(match reason {
                Some(reason) => format!("{indent}1..{n} {reason}"),
                None => format!("{indent}1..{n}"),
            }),
            Item::Version(v) => lines.push(format!("{indent}{v}")),
            Item::Comment(c) => lines.push(format!("{indent}# {c}")),
            Item::Pragma => lines.push(format!("{indent}pragma +strict")),
            Item::Blank => lines.push(String::new()),
            Item::ProveHeader => lines.push("t/basic.t .. ".to_owned()),
            Item::BailOut => lines.push(format!("{indent}Bail out! no database")),
            Item::Garbage(g) => lines.push(format!("{indent}{g}")),
        }
    }
}

impl Input {
    fn text(&self) -> String {
        let mut lines = Vec::new();
        render(&self.items, "", &mut lines);
        let mut text = lines.join(self.line_end);
        if self.final_newline && !lines.is_empty() {
            text.push_str(self.line_end);
        }
        text
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes = self.text().into_bytes();
        let at = |fraction: f64, len: usize| ((len as f64 * fraction) as usize).min(len);
        match &self.mutation {
            Mutation::None => {}
            Mutation::Truncate(f) => bytes.truncate(at(*f, bytes.len())),
            Mutation::InvalidByte(f, byte) => {
                let i = at(*f, bytes.len());
                bytes.insert(i, *byte);
            }
        }
        bytes
    }

    fn options(&self) -> Options {
        let mut options = Options::default();
        options.compat_summaries = self.compat;
        options
    }

    /// The top-level test points of a well-formed document, in order: one result each.
    fn top_level_points(&self) -> Vec<&Point> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Point { point, .. }
                | Item::Subtest { point, .. }
                | Item::Buffered { point, .. } => Some(point),
                _ => None,
            })
            .collect()
    }
}

// ------------------------------------------------------------------ the checks ---

/// Everything one reading gave.
#[derive(Debug, PartialEq)]
struct Reading {
    results: Vec<TestResult>,
    error: Option<String>,
    summary: Summary,
}

fn read(reader: impl BufRead, options: Options) -> Reading {
    let mut results = Results::new(reader, "props.tap", options);
    let mut out = Vec::new();
    let mut error = None;
    for item in results.by_ref() {
        match item {
            Ok(result) => out.push(result),
            Err(e) => {
                assert!(error.is_none(), "two errors: {e}");
                assert!(
                    matches!(e, ParseError::InvalidUtf8 { .. }),
                    "not a UTF-8 error: {e}"
                );
                error = Some(e.to_string());
            }
        }
    }
    Reading {
        results: out,
        error,
        summary: results.summary(),
    }
}

/// The lines as the reader cuts them (at `\n`).
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n').collect()
}

fn contains(line: &[u8], needle: &[u8]) -> bool {
    line.windows(needle.len()).any(|w| w == needle)
}

fn check_reading(bytes: &[u8], reading: &Reading) -> Result<(), TestCaseError> {
    let all = lines(bytes);
    // The lines read: up to the first one that is not UTF-8.
    let bad = all.iter().position(|l| std::str::from_utf8(l).is_err());
    let read = &all[..bad.unwrap_or(all.len())];
    match (bad, &reading.error) {
        (None, None) => {}
        (Some(i), Some(error)) => {
            let line = all[i];
            let prefix = format!("props.tap:{}:", i + 1);
            prop_assert!(
                error.starts_with(&prefix),
                "{} is not on line {}",
                error,
                i + 1
            );
            let column: u64 = error[prefix.len()..]
                .split(':')
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            prop_assert!(
                column >= 1 && column <= line.len() as u64 + 1,
                "{} outside a line of {} bytes",
                error,
                line.len()
            );
        }
        (bad, error) => prop_assert!(false, "invalid line {:?}, error {:?}", bad, error),
    }
    let bound = read
        .iter()
        .filter(|l| contains(l, b"ok") || contains(l, b"Subtest"))
        .count();
    let results = reading.results.len();
    prop_assert!(
        results <= bound,
        "{} results from {} test point or subtest lines",
        results,
        bound
    );
    prop_assert_eq!(reading.summary.results, results as u64);
    prop_assert_eq!(reading.summary.lines, read.len() as u64);
    let tests: u64 = reading.summary.documents.iter().map(|d| d.tests).sum();
    prop_assert!(
        tests <= results as u64,
        "{} tests, {} results",
        tests,
        results
    );
    for result in &reading.results {
        prop_assert_eq!(result.attempts().len(), 1);
        prop_assert!(!result.name.trim().is_empty(), "{:?}", result);
        let line = result.origin.line.unwrap_or(0);
        prop_assert!(line >= 1 && line as usize <= read.len(), "line {}", line);
    }
    Ok(())
}

/// Every property for one input; returns the reading of the whole input.
fn check_bytes(bytes: &[u8], options: &Options) -> Result<Reading, TestCaseError> {
    let whole = read(bytes, options.clone());
    check_reading(bytes, &whole)?;

    let trickled = read(
        BufReader::with_capacity(1, Trickle::new(bytes)),
        options.clone(),
    );
    prop_assert_eq!(&trickled, &whole, "one byte at a time");

    if let Ok(text) = std::str::from_utf8(bytes) {
        let (results, summary) = parse_str("props.tap", text, options.clone());
        let (again, again_summary) = parse_str("props.tap", text, options.clone());
        prop_assert_eq!(&again, &results, "parse_str twice");
        prop_assert_eq!(&again_summary, &summary, "parse_str twice");
        prop_assert_eq!(&results, &whole.results, "parse_str vs Results");
        prop_assert_eq!(&summary, &whole.summary, "parse_str vs Results");
    }
    Ok(whole)
}

#[test]
fn well_formed_documents() {
    check(input(true), |input| {
        let bytes = input.bytes();
        let reading = check_bytes(&bytes, &input.options())?;
        prop_assert_eq!(&reading.error, &None);
        let points = input.top_level_points();
        prop_assert_eq!(
            reading.results.len(),
            points.len(),
            "one result per top-level test point\n{}",
            input.text()
        );
        for (result, point) in reading.results.iter().zip(points) {
            if let Some(outcome) = point.outcome() {
                prop_assert_eq!(
                    result.attempts()[0].outcome,
                    outcome,
                    "{:?} for `{}`",
                    result,
                    point.line(false)
                );
            }
        }
        Ok(())
    });
}

#[test]
fn messy_documents() {
    check(input(false), |input| {
        check_bytes(&input.bytes(), &input.options()).map(|_| ())
    });
}

#[test]
fn fuzzer_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut checked = 0;
    for target in ["tap_push_bytes", "tap_parse_str"] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for compat in [false, true] {
                let mut options = Options::default();
                options.compat_summaries = compat;
                if let Err(failure) = check_bytes(&bytes, &options) {
                    panic!("{}: {failure}", path.display());
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no inputs in {}", root.display());
}
