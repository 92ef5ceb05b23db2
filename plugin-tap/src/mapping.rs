//! From a completed test point to the normalized [`TestResult`]: the naming rule, the outcome,
//! message, details and properties. It sees only plain data ([`Completed`], [`SubtestReport`]);
//! the parser's state machine is one layer up.

use std::fmt::Write as _;
use std::path::Path;

use tcms_api::report::{Attempt, Location, Origin, Outcome, TestResult};

use crate::line::{self, DirectiveKind};
use crate::yamlish::{self, Value};

/// How many failing nested results a subtest summary names.
const LISTED_FAILURES: usize = 10;

/// How the parser names and maps results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Name cases the way the Python `kiwitcms-tap-plugin` does, so that a Kiwi database filled
    /// by it keeps matching: the description as tap.py reads it (everything between the test
    /// number and the first `#`, trimmed, so `ok 1 - foo` gives `- foo`), and no subtest names.
    /// Only the names change; a result without description still gets the fallback name
    /// instead of failing as the Python plugin does.
    pub compat_summaries: bool,
    /// The stem of the fallback names (`<stem> #<number>`, for test points without a
    /// description) instead of the source's file stem: for standard input, whose source name
    /// says nothing about the tests (`tcms-tap --name`). A `prove -v` file name still wins.
    pub fallback_stem: Option<String>,
    /// Live reading (`tcms-tap --live`): a line that is not TAP at the top level (the output
    /// of the next test, a log line) completes the pending test point at once, instead of
    /// waiting for the next test point. Its YAML block must then follow it directly, as TAP
    /// 13 and 14 write it; its `#` lines still belong to it.
    pub live: bool,
}

/// What every level needs to know about the input.
pub(crate) struct Context<'a> {
    pub(crate) source: &'a str,
    pub(crate) options: &'a Options,
}

impl Context<'_> {
    /// The stem used in fallback names: the document's `prove` name, else
    /// [`Options::fallback_stem`], else the source's file stem.
    pub(crate) fn stem(&self, document: Option<&str>) -> String {
        let name = match (document, &self.options.fallback_stem) {
            (Some(document), _) => document,
            (None, Some(stem)) if !stem.trim().is_empty() => return stem.clone(),
            (None, _) => self.source,
        };
        let stem = Path::new(name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if stem.is_empty() {
            if name.is_empty() {
                "tap".to_owned()
            } else {
                name.to_owned()
            }
        } else {
            stem
        }
    }
}

/// The owned parts of a [`TestPoint`](crate::line::TestPoint).
#[derive(Debug)]
pub(crate) struct OwnedPoint {
    pub(crate) ok: bool,
    pub(crate) description: String,
    pub(crate) description_without_brace: Option<String>,
    pub(crate) compat_description: String,
    pub(crate) directive: Option<line::Directive>,
    pub(crate) time: Option<std::time::Duration>,
}

/// A test point and everything that belongs to it, ready to be mapped.
#[derive(Debug)]
pub(crate) struct Completed {
    pub(crate) point: OwnedPoint,
    /// Its input line.
    pub(crate) line: u64,
    /// The test number, given or implied (the count of test points so far, plus one).
    pub(crate) number: u64,
    pub(crate) document_name: Option<String>,
    pub(crate) subtest: Option<SubtestReport>,
    /// The test point opened a node-tap buffered subtest (`ok 1 - name {`).
    pub(crate) buffered: bool,
    /// The YAML block's lines, dedented by the `---` indentation.
    pub(crate) yaml: Option<Capped>,
    pub(crate) comments: Capped,
}

/// What a finished subtest says about itself.
#[derive(Debug)]
pub(crate) struct SubtestReport {
    pub(crate) name: Option<String>,
    /// The first input line of the subtest.
    pub(crate) line: u64,
    /// The subtest's lines, one indentation level removed.
    pub(crate) text: Capped,
    pub(crate) tally: Tally,
    /// Lines were read inside (not just a `# Subtest:` header).
    pub(crate) has_content: bool,
    /// The sum of the subtest's plans, if it had any.
    pub(crate) planned: Option<u64>,
    /// Planned tests that never reported.
    pub(crate) missing: u64,
    /// The reason of a `Bail out!` inside.
    pub(crate) bailed: Option<String>,
}

/// Text with a byte budget: lines past it are counted, not kept.
#[derive(Debug, Clone)]
pub(crate) struct Capped {
    text: String,
    max: usize,
    cut: u64,
}

impl Capped {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            text: String::new(),
            max,
            cut: 0,
        }
    }

    pub(crate) fn push_line(&mut self, line: &str) {
        let needed = line.len() + 1;
        if self.cut == 0 && self.text.len() + needed <= self.max {
            self.text.push_str(line);
            self.text.push('\n');
        } else {
            self.cut = self.cut.saturating_add(needed as u64);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty() && self.cut == 0
    }

    /// The text without its last line break, with a note when some was cut.
    pub(crate) fn into_text(self) -> String {
        let mut text = self.text;
        if text.ends_with('\n') {
            text.pop();
        }
        if self.cut > 0 {
            let _ = write!(text, "\n[... {} more bytes cut]", self.cut);
        }
        text
    }

    pub(crate) fn as_str(&self) -> &str {
        self.text.strip_suffix('\n').unwrap_or(&self.text)
    }
}

/// Counts of the results inside a subtest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    passed: u64,
    failed: u64,
    errors: u64,
    skipped: u64,
    todo: u64,
    failures: Vec<String>,
}

impl Tally {
    pub(crate) fn add(&mut self, result: &TestResult) {
        let outcome = result.last_attempt().outcome;
        let counter = match outcome {
            Outcome::Passed => &mut self.passed,
            Outcome::Failed => &mut self.failed,
            Outcome::Error => &mut self.errors,
            Outcome::Skipped => &mut self.skipped,
            Outcome::Todo => &mut self.todo,
        };
        *counter = counter.saturating_add(1);
        if outcome.is_failure() && self.failures.len() < LISTED_FAILURES {
            self.failures.push(result.name.clone());
        }
    }

    pub(crate) fn total(&self) -> u64 {
        [
            self.passed,
            self.failed,
            self.errors,
            self.skipped,
            self.todo,
        ]
        .into_iter()
        .fold(0, u64::saturating_add)
    }
}

/// The result of a completed test point.
pub(crate) fn result(completed: Completed, context: &Context<'_>) -> TestResult {
    let Completed {
        point,
        line,
        number,
        document_name,
        subtest,
        buffered,
        yaml,
        comments,
    } = completed;
    let yaml_text = yaml.map(Capped::into_text);
    let entries = match &yaml_text {
        Some(text) => {
            let lines: Vec<&str> = text.lines().collect();
            yamlish::top_level(&lines)
        }
        None => Vec::new(),
    };

    let outcome = match point.directive.as_ref().map(|d| d.kind) {
        Some(DirectiveKind::Skip) => Outcome::Skipped,
        Some(DirectiveKind::Todo) => Outcome::Todo,
        None if point.ok => Outcome::Passed,
        None => Outcome::Failed,
    };
    let name = name(
        &point,
        subtest.as_ref(),
        buffered,
        number,
        document_name.as_deref(),
        context,
    );

    let mut attempt = Attempt::new(outcome);
    attempt.message = message(&point, &entries);
    attempt.duration = yamlish::get(&entries, "duration_ms")
        .and_then(|v| v.text().trim().parse::<f64>().ok())
        .and_then(|ms| line::seconds(ms / 1000.0))
        .or(point.time);

    let location = location(&entries);
    let mut properties = Vec::new();
    if let Some(severity) = scalar(&entries, "severity") {
        properties.push(("severity".to_owned(), severity.to_owned()));
    }
    if let Some(location) = &location {
        properties.push(("location".to_owned(), location.clone()));
    }

    let mut sections = Vec::new();
    if let Some(subtest) = &subtest
        && subtest.has_content
    {
        sections.push(subtest_section(subtest));
    }
    let mut head = String::new();
    for key in ["wanted", "found", "expected", "actual"] {
        if let Some(value) = scalar(&entries, key).filter(|v| !v.contains('\n')) {
            let _ = writeln!(head, "{key}: {value}");
        }
    }
    if let Some(location) = &location {
        let _ = writeln!(head, "at: {location}");
    }
    if !head.is_empty() {
        sections.push(head.trim_end().to_owned());
    }
    if let Some(text) = &yaml_text {
        sections.push(format!("---\n{}\n...", dedent(text)));
    }
    if !comments.is_empty() {
        sections.push(comments.into_text());
    }
    if !sections.is_empty() {
        attempt.details = Some(sections.join("\n\n"));
    }

    TestResult::new(name, attempt)
        .with_origin(Origin {
            suite: document_name,
            class: None,
            file: Some(context.source.to_owned()),
            line: Some(line),
            location: source_location(&entries),
        })
        .with_properties(properties)
}

/// A subtest that never got its closing test point (the input ended, or bailed out).
pub(crate) fn unfinished_subtest(
    subtest: SubtestReport,
    number: u64,
    document_name: Option<&str>,
    why: &str,
    context: &Context<'_>,
) -> TestResult {
    let name = subtest
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| fallback_name(context, document_name, number));
    let mut attempt = Attempt::new(Outcome::Error);
    attempt.message = Some(format!(
        "the subtest never reported its own test point: {why}"
    ));
    if subtest.has_content {
        attempt.details = Some(subtest_section(&subtest));
    }
    TestResult::new(name, attempt).with_origin(Origin {
        suite: document_name.map(str::to_owned),
        class: None,
        file: Some(context.source.to_owned()),
        line: Some(subtest.line),
        location: None,
    })
}

/// The naming rule (see the crate documentation).
fn name(
    point: &OwnedPoint,
    subtest: Option<&SubtestReport>,
    buffered: bool,
    number: u64,
    document_name: Option<&str>,
    context: &Context<'_>,
) -> String {
    let candidate = if context.options.compat_summaries {
        point.compat_description.clone()
    } else if let Some(name) = subtest
        // A heading with nothing after it names the test point only if it has no
        // description (node's test runner writes `# Subtest: x` before every `ok 1 - x`).
        .filter(|s| s.has_content || point.description.trim().is_empty())
        .and_then(|s| s.name.as_deref())
        .filter(|n| !n.trim().is_empty())
    {
        name.to_owned()
    } else if buffered {
        point
            .description_without_brace
            .clone()
            .unwrap_or_else(|| point.description.clone())
    } else {
        point.description.clone()
    };
    if candidate.trim().is_empty() {
        fallback_name(context, document_name, number)
    } else {
        candidate
    }
}

/// `<stem> #<number>`, for a test point without a description.
fn fallback_name(context: &Context<'_>, document_name: Option<&str>, number: u64) -> String {
    format!("{} #{number}", context.stem(document_name))
}

fn message(point: &OwnedPoint, entries: &[(String, Value)]) -> Option<String> {
    let reason = point.directive.as_ref().and_then(|d| d.reason.as_deref());
    let todo = point
        .directive
        .as_ref()
        .is_some_and(|d| d.kind == DirectiveKind::Todo);
    if todo && point.ok {
        return Some(match reason {
            Some(reason) => format!("TODO test passed: {reason}"),
            None => "TODO test passed".to_owned(),
        });
    }
    if let Some(reason) = reason {
        return Some(reason.to_owned());
    }
    ["message", "error"]
        .iter()
        .filter_map(|key| scalar(entries, key))
        .find_map(|text| {
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_owned)
        })
}

/// A top-level scalar, trimmed, if not empty.
fn scalar<'a>(entries: &'a [(String, Value)], key: &str) -> Option<&'a str> {
    match yamlish::get(entries, key)? {
        Value::Scalar(text) => Some(text.trim()).filter(|t| !t.is_empty()),
        Value::Nested(_) => None,
    }
}

/// `at:` / `location:` as one line: a scalar as it is, a mapping as `file:line:column`.
fn location(entries: &[(String, Value)]) -> Option<String> {
    let value = yamlish::get(entries, "at").or_else(|| yamlish::get(entries, "location"))?;
    match value {
        Value::Scalar(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        Value::Nested(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let inner = yamlish::top_level(&lines);
            let pick = |keys: &[&str]| keys.iter().find_map(|k| scalar(&inner, k));
            let file = pick(&["file", "fileName", "filename", "path"]);
            let line = pick(&["line", "lineNumber"]);
            let column = pick(&["column", "columnNumber", "col"]);
            match file {
                Some(file) => {
                    let mut out = file.to_owned();
                    for part in [line, column].into_iter().flatten() {
                        out.push(':');
                        out.push_str(part);
                    }
                    Some(out)
                }
                None => {
                    let flat: Vec<String> = inner
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", v.text().replace('\n', " ")))
                        .collect();
                    Some(flat.join(", ")).filter(|t| !t.is_empty())
                }
            }
        }
    }
}

/// Where the test failed in the source, for CI annotations: `at:` / `location:` as
/// `file:line:column` text or a mapping (`file`/`fileName`, `line`/`lineNumber`,
/// `column`/`columnNumber`), else top-level `file:` and `line:` keys.
fn source_location(entries: &[(String, Value)]) -> Option<Location> {
    let from_keys = |entries: &[(String, Value)]| {
        let pick = |keys: &[&str]| keys.iter().find_map(|k| scalar(entries, k));
        let file = pick(&["file", "fileName", "filename", "path"])?;
        let number = |keys: &[&str]| pick(keys).and_then(|n| n.parse::<u64>().ok());
        let line = number(&["line", "lineNumber"]).filter(|n| *n > 0);
        Some(Location {
            file: unquote_file(file),
            line,
            column: line.and(number(&["column", "columnNumber", "col"])),
        })
    };
    let location = match yamlish::get(entries, "at").or_else(|| yamlish::get(entries, "location")) {
        Some(Value::Scalar(text)) => {
            Location::parse(&unquote_file(text.trim())).filter(|l| !l.file.contains(' '))
        }
        Some(Value::Nested(text)) => {
            let lines: Vec<&str> = text.lines().collect();
            from_keys(&yamlish::top_level(&lines))
        }
        None => from_keys(entries),
    }?;
    (!location.file.is_empty()).then_some(location)
}

/// A file as a location names it: without a `file://` scheme.
fn unquote_file(file: &str) -> String {
    file.strip_prefix("file://").unwrap_or(file).to_owned()
}

/// `text` without the indentation its lines have in common (tape indents its YAML by four).
fn dedent(text: &str) -> String {
    let common = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    if common == 0 {
        return text.to_owned();
    }
    text.lines()
        .map(|l| l.get(common..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The subtest part of a parent's details: a one-line tally, then the subtest's lines.
fn subtest_section(subtest: &SubtestReport) -> String {
    let tally = &subtest.tally;
    let mut out = String::from("subtest");
    if let Some(name) = &subtest.name {
        let _ = write!(out, " \"{name}\"");
    }
    out.push_str(": ");
    let counts: Vec<String> = [
        (tally_count(tally, Outcome::Passed), "passed"),
        (tally_count(tally, Outcome::Failed), "failed"),
        (tally_count(tally, Outcome::Error), "errors"),
        (tally_count(tally, Outcome::Skipped), "skipped"),
        (tally_count(tally, Outcome::Todo), "todo"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, label)| format!("{n} {label}"))
    .collect();
    if counts.is_empty() {
        out.push_str("no results");
    } else {
        out.push_str(&counts.join(", "));
    }
    if let Some(planned) = subtest.planned {
        let _ = write!(out, " (plan 1..{planned})");
    }
    if !tally.failures.is_empty() {
        let _ = write!(out, "\nnot ok: {}", tally.failures.join(", "));
        let more = tally
            .failed
            .saturating_add(tally.errors)
            .saturating_sub(tally.failures.len() as u64);
        if more > 0 {
            let _ = write!(out, " and {more} more");
        }
    }
    if subtest.missing > 0 {
        let missing = subtest.missing;
        let _ = write!(out, "\nmissing: {missing} planned test(s) never reported");
    }
    if let Some(reason) = &subtest.bailed {
        let _ = write!(out, "\nbailed out: {reason}");
    }
    out.push_str("\n\n");
    // Blank lines at the end of a subtest (before its test point, or at the end of the
    // input) say nothing.
    out.push_str(subtest.text.as_str().trim_end_matches('\n'));
    if subtest.text.cut > 0 {
        let _ = write!(out, "\n[... {} more bytes cut]", subtest.text.cut);
    }
    out
}

fn tally_count(tally: &Tally, outcome: Outcome) -> u64 {
    match outcome {
        Outcome::Passed => tally.passed,
        Outcome::Failed => tally.failed,
        Outcome::Error => tally.errors,
        Outcome::Skipped => tally.skipped,
        Outcome::Todo => tally.todo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_text_keeps_what_fits() {
        let mut text = Capped::new(11);
        text.push_line("12345");
        text.push_line("1234");
        text.push_line("x");
        text.push_line("y");
        assert_eq!(text.into_text(), "12345\n1234\n[... 4 more bytes cut]");
        let empty = Capped::new(10);
        assert!(empty.is_empty());
        assert_eq!(empty.into_text(), "");
    }

    #[test]
    fn locations() {
        let read = |text: &str| {
            let lines: Vec<&str> = text.lines().collect();
            location(&yamlish::top_level(&lines))
        };
        assert_eq!(read("at: 't/x.t:3'").as_deref(), Some("t/x.t:3"));
        assert_eq!(
            read("location: '/a/b.mjs:8:1'").as_deref(),
            Some("/a/b.mjs:8:1")
        );
        assert_eq!(
            read("at:\n  fileName: t.js\n  lineNumber: 4\n  columnNumber: 3\n  typeName: Object")
                .as_deref(),
            Some("t.js:4:3")
        );
        assert_eq!(
            read("at:\n  function: foo\n  where: here").as_deref(),
            Some("function: foo, where: here")
        );
        assert_eq!(read("message: x"), None);
    }

    #[test]
    fn source_locations() {
        let read = |text: &str| {
            let lines: Vec<&str> = text.lines().collect();
            source_location(&yamlish::top_level(&lines)).map(|l| (l.file, l.line, l.column))
        };
        let at = |file: &str, line, column| Some((file.to_owned(), line, column));
        assert_eq!(read("at: 't/x.t:3'"), at("t/x.t", Some(3), None));
        assert_eq!(
            read("location: 'file:///a/b.mjs:8:1'"),
            at("/a/b.mjs", Some(8), Some(1))
        );
        assert_eq!(
            read("at:\n  fileName: t.js\n  lineNumber: 4\n  columnNumber: 3"),
            at("t.js", Some(4), Some(3))
        );
        assert_eq!(
            read("at:\n  file: test/a.js\n  line: 9\n  column: 2"),
            at("test/a.js", Some(9), Some(2))
        );
        assert_eq!(read("file: t/y.t\nline: 12"), at("t/y.t", Some(12), None));
        assert_eq!(read("file: t/y.t"), at("t/y.t", None, None));
        assert_eq!(read("at:\n  function: foo\n  where: here"), None);
        assert_eq!(read("at: Object.<anonymous> (x.js:1:2)"), None);
        assert_eq!(read("line: 4"), None);
    }
}
