//! The streaming parser: quick-xml events in, [`TestResult`]s out.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::mem;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use tcms_api::report::{Attempt, Location, Origin, Outcome, TestResult, Verdict};

use crate::error::{ParseError, ParseErrorKind};
use crate::position::Tracked;
use crate::template::{SummaryTemplate, TemplateValues};
use crate::values::{lenient_attribute_value, parse_seconds, parse_timestamp, resolve_reference};

/// The input name used for standard input.
pub const STDIN: &str = "<stdin>";

/// How many bytes of failed results one suite may hold back while waiting for its own
/// `<system-out>`/`<system-err>` (see the crate documentation); past this the suite's results
/// are passed on without the suite's output.
const MAX_PENDING_BYTES: usize = 8 * 1024 * 1024;

/// How much of the read buffer a file gets.
const FILE_BUFFER: usize = 64 * 1024;

/// A streaming junit.xml parser: an iterator of [`TestResult`]s read from any [`BufRead`].
///
/// Memory stays in proportion to one test case (plus the failed cases of the current suite, see
/// the crate documentation), whatever the size of the input. After the first error the iterator
/// ends: the results before it were yielded (a truncated file still gives its complete cases).
///
/// ```
/// use tcms_junit_xml::JunitParser;
/// use tcms_api::report::Outcome;
///
/// let xml = r#"<testsuite name="s"><testcase classname="a.B" name="c" time="0.5"/></testsuite>"#;
/// let results: Vec<_> = JunitParser::new(xml.as_bytes(), "inline.xml")
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(results[0].name, "a.B.c");
/// assert_eq!(results[0].attempts()[0].outcome, Outcome::Passed);
/// ```
pub struct JunitParser<R> {
    reader: Reader<Tracked<R>>,
    input: String,
    template: SummaryTemplate,
    suite_properties: bool,
    buf: Vec<u8>,
    stack: Vec<Frame>,
    ready: VecDeque<Result<TestResult, ParseError>>,
    finished: bool,
    saw_root: bool,
    declared_encoding: Option<String>,
    xfail: ExpectedFailure,
    base_dir: Option<PathBuf>,
}

/// What an expected failure (pytest's xfail: `<skipped type="pytest.xfail">`) is reported as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExpectedFailure {
    /// Skipped: WAIVED, as the official plugin reports every skip (the default).
    #[default]
    Waived,
    /// A known failure: PAUSED, as TAP's `# TODO`.
    Paused,
}

impl JunitParser<BufReader<File>> {
    /// Opens a file; its path is the input name in errors.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let file = File::open(path)?;
        Ok(Self::new(
            BufReader::with_capacity(FILE_BUFFER, file),
            path.display().to_string(),
        )
        .with_base_dir(path.parent().map(Path::to_owned)))
    }
}

impl<R: BufRead> JunitParser<R> {
    /// A parser reading `reader`, called `input` in errors (a file path, or [`STDIN`]), with the
    /// default [`SummaryTemplate`].
    pub fn new(reader: R, input: impl Into<String>) -> Self {
        let mut reader = Reader::from_reader(Tracked::new(reader));
        let config = reader.config_mut();
        // A lone `&` in text is kept as written instead of failing the whole file.
        config.allow_dangling_amp = true;
        config.check_end_names = true;
        Self {
            reader,
            input: input.into(),
            template: SummaryTemplate::default(),
            suite_properties: true,
            buf: Vec::with_capacity(4096),
            stack: Vec::new(),
            ready: VecDeque::new(),
            finished: false,
            saw_root: false,
            declared_encoding: None,
            xfail: ExpectedFailure::default(),
            base_dir: None,
        }
    }

    /// What pytest's expected failures are reported as (default [`ExpectedFailure::Waived`]).
    pub fn with_expected_failures(mut self, as_: ExpectedFailure) -> Self {
        self.xfail = as_;
        self
    }

    /// The directory relative `[[ATTACHMENT|path]]` lines are read from (the report file's;
    /// default the current directory).
    pub fn with_base_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.base_dir = dir.filter(|d| !d.as_os_str().is_empty());
        self
    }

    /// Names test cases with `template` instead of the default.
    pub fn with_template(mut self, template: SummaryTemplate) -> Self {
        self.template = template;
        self
    }

    /// Whether a test case also gets the `<properties>` of the suites around it (default: yes),
    /// after its own. Surefire writes every JVM system property there, which some will not want
    /// on each case.
    pub fn with_suite_properties(mut self, inherit: bool) -> Self {
        self.suite_properties = inherit;
        self
    }

    /// The input's name, as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    fn error_at(&self, offset: u64, kind: ParseErrorKind) -> ParseError {
        let p = self.reader.get_ref().position(offset);
        ParseError::new(&self.input, p.line, p.column, kind)
    }

    fn line_at(&self, offset: u64) -> u64 {
        self.reader.get_ref().position(offset).line
    }

    /// Ends the stream with `error`, after every held-back result.
    fn fail(&mut self, error: ParseError) {
        for frame in mem::take(&mut self.stack) {
            if let FrameKind::Suite(suite) = frame.kind {
                self.ready.extend(suite.pending.into_iter().map(Ok));
            }
        }
        self.ready.push_back(Err(error));
        self.finished = true;
    }

    /// Reads one event.
    fn step(&mut self) {
        let before = self.reader.buffer_position();
        self.reader.get_mut().checkpoint(before);
        let mut buf = mem::take(&mut self.buf);
        buf.clear();
        let outcome = match self.reader.read_event_into(&mut buf) {
            Ok(event) => self.handle(event, before),
            Err(e) => Err(self.xml_error(e, before)),
        };
        self.buf = buf;
        if let Err(error) = outcome {
            self.fail(error);
        }
    }

    fn xml_error(&self, error: quick_xml::Error, before: u64) -> ParseError {
        match error {
            quick_xml::Error::Encoding(quick_xml::encoding::EncodingError::Utf8(e)) => self
                .error_at(
                    before + e.valid_up_to() as u64,
                    ParseErrorKind::InvalidUtf8 {
                        declared_encoding: self.declared_encoding.clone(),
                    },
                ),
            quick_xml::Error::Io(e) => {
                self.error_at(self.reader.buffer_position(), ParseErrorKind::Read(e))
            }
            other => {
                let at = self.reader.error_position().max(before);
                self.error_at(at, ParseErrorKind::Xml(other))
            }
        }
    }

    fn handle(&mut self, event: Event<'_>, before: u64) -> Result<(), ParseError> {
        match event {
            Event::Start(e) => self.start_element(&e, before),
            Event::Empty(e) => {
                self.start_element(&e, before)?;
                self.end_element();
                Ok(())
            }
            Event::End(_) => {
                self.end_element();
                Ok(())
            }
            Event::Text(t) => {
                if self.wants_text() {
                    self.push_text(&t.xml10_content());
                    Ok(())
                } else if self.stack.is_empty() {
                    self.outside_root(&t, before)
                } else {
                    Ok(())
                }
            }
            Event::CData(t) => {
                if self.wants_text() {
                    self.push_text(&t.xml10_content());
                    Ok(())
                } else if self.stack.is_empty() {
                    self.outside_root(&t.xml10_content(), before)
                } else {
                    Ok(())
                }
            }
            Event::GeneralRef(r) => {
                if self.stack.is_empty() {
                    return Err(self.error_at(
                        before,
                        ParseErrorKind::TextOutsideRoot(format!("&{};", &*r)),
                    ));
                }
                if self.wants_text() {
                    match resolve_reference(&r) {
                        Some(text) => self.push_text(&text),
                        None => {
                            tracing::debug!(input = %self.input, entity = %&*r, "unknown entity kept as written");
                            self.push_text(&format!("&{};", &*r));
                        }
                    }
                }
                Ok(())
            }
            Event::Decl(d) => {
                self.declared_encoding = d
                    .encoding()
                    .and_then(Result::ok)
                    .filter(|e| !e.eq_ignore_ascii_case("utf-8") && !e.eq_ignore_ascii_case("utf8"))
                    .map(|e| e.into_owned());
                Ok(())
            }
            Event::Comment(_) | Event::PI(_) | Event::DocType(_) => Ok(()),
            Event::Eof => {
                self.end_of_input();
                Ok(())
            }
        }
    }

    fn outside_root(&self, text: &str, before: u64) -> Result<(), ParseError> {
        let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if trimmed.is_empty() {
            return Ok(());
        }
        let skip = text.len() - text.trim_start().len();
        let snippet: String = trimmed.chars().take(40).collect();
        Err(self.error_at(
            before + skip as u64,
            ParseErrorKind::TextOutsideRoot(snippet),
        ))
    }

    fn end_of_input(&mut self) {
        if let Some(open) = self.stack.last() {
            let kind = ParseErrorKind::Unclosed {
                element: open.element.clone(),
                line: open.line,
            };
            let error = self.error_at(self.reader.buffer_position(), kind);
            self.fail(error);
            return;
        }
        if !self.saw_root {
            let error = self.error_at(self.reader.buffer_position(), ParseErrorKind::Empty);
            self.fail(error);
            return;
        }
        self.finished = true;
    }

    fn wants_text(&self) -> bool {
        matches!(
            self.stack.last().map(|f| &f.kind),
            Some(FrameKind::Outcome(_) | FrameKind::Property(_) | FrameKind::Capture(..))
        )
    }

    fn push_text(&mut self, text: &str) {
        match self.stack.last_mut().map(|f| &mut f.kind) {
            Some(FrameKind::Outcome(o)) => o.text.push_str(text),
            Some(FrameKind::Property(p)) => p.text.push_str(text),
            Some(FrameKind::Capture(_, buf)) => buf.push_str(text),
            _ => {}
        }
    }

    /// A start tag (or the start of an empty one).
    fn start_element(&mut self, e: &BytesStart<'_>, before: u64) -> Result<(), ParseError> {
        let name = e.local_name();
        let name: &str = name.as_ref();
        let kind = match self.stack.last().map(|f| &f.kind) {
            None => {
                self.saw_root = true;
                match name {
                    "testsuites" | "testsuite" => self.suite_frame(e, name, before)?,
                    other => {
                        return Err(
                            self.error_at(before, ParseErrorKind::UnexpectedRoot(other.to_owned()))
                        );
                    }
                }
            }
            Some(FrameKind::Suite(_)) => match name {
                "testsuites" | "testsuite" => self.suite_frame(e, name, before)?,
                "testcase" => self.case_frame(e, before)?,
                "properties" => FrameKind::Properties,
                "system-out" => FrameKind::Capture(Stream::Stdout, String::new()),
                "system-err" => FrameKind::Capture(Stream::Stderr, String::new()),
                _ => FrameKind::Ignored,
            },
            Some(FrameKind::Case(_)) => match name {
                "failure" | "error" | "skipped" | "flakyFailure" | "flakyError"
                | "rerunFailure" | "rerunError" => {
                    let attrs = self.attributes(e, before)?;
                    let kind = match name {
                        "failure" => ResultKind::Failure,
                        "error" => ResultKind::Error,
                        "skipped" => ResultKind::Skipped,
                        "flakyFailure" => ResultKind::FlakyFailure,
                        "flakyError" => ResultKind::FlakyError,
                        "rerunFailure" => ResultKind::RerunFailure,
                        _ => ResultKind::RerunError,
                    };
                    FrameKind::Outcome(Box::new(ResultElement {
                        kind,
                        message: attrs.get("message"),
                        kind_attr: attrs.get("type"),
                        timestamp: attrs.get("timestamp"),
                        time: attrs.get("time"),
                        ..ResultElement::default()
                    }))
                }
                "properties" => FrameKind::Properties,
                "system-out" => FrameKind::Capture(Stream::Stdout, String::new()),
                "system-err" => FrameKind::Capture(Stream::Stderr, String::new()),
                _ => FrameKind::Ignored,
            },
            Some(FrameKind::Outcome(_)) => match name {
                "stackTrace" => FrameKind::Capture(Stream::StackTrace, String::new()),
                "system-out" => FrameKind::Capture(Stream::Stdout, String::new()),
                "system-err" => FrameKind::Capture(Stream::Stderr, String::new()),
                _ => FrameKind::Ignored,
            },
            Some(FrameKind::Properties) if name == "property" => {
                let attrs = self.attributes(e, before)?;
                FrameKind::Property(Box::new(PropertyElement {
                    name: attrs.get("name"),
                    value: attrs.get("value"),
                    text: String::new(),
                }))
            }
            Some(_) => FrameKind::Ignored,
        };
        let line = self.line_at(before);
        self.stack.push(Frame {
            element: name.to_owned(),
            line,
            kind,
        });
        Ok(())
    }

    fn attributes(&self, e: &BytesStart<'_>, before: u64) -> Result<Attributes, ParseError> {
        let mut out = Attributes::default();
        for attr in e.attributes() {
            let attr = attr.map_err(|error| {
                let at = match error {
                    AttrError::ExpectedEq(p)
                    | AttrError::ExpectedValue(p)
                    | AttrError::UnquotedValue(p)
                    | AttrError::ExpectedQuote(p, _)
                    | AttrError::Duplicated(p, _) => p,
                };
                let name = e.name();
                let element: &str = name.as_ref();
                let element = element.to_owned();
                // The positions count from the element name, just after `<`.
                self.error_at(
                    before + 1 + at as u64,
                    ParseErrorKind::Attribute { element, error },
                )
            })?;
            let key = attr.key.local_name();
            let key: &str = key.as_ref();
            let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(_) => lenient_attribute_value(&attr.value),
            };
            out.0.push((key.to_owned(), value));
        }
        Ok(out)
    }

    fn suite_frame(
        &self,
        e: &BytesStart<'_>,
        element: &str,
        before: u64,
    ) -> Result<FrameKind, ParseError> {
        let attrs = self.attributes(e, before)?;
        let start = match attrs.get("timestamp") {
            Some(raw) => self.timestamp(&raw, before),
            None => None,
        }
        .or_else(|| self.clock());
        Ok(FrameKind::Suite(Box::new(Suite {
            wrapper: element == "testsuites",
            name: attrs.get("name"),
            file: attrs.get("file"),
            start,
            ..Suite::default()
        })))
    }

    fn case_frame(&self, e: &BytesStart<'_>, before: u64) -> Result<FrameKind, ParseError> {
        let attrs = self.attributes(e, before)?;
        Ok(FrameKind::Case(Box::new(Case {
            line: self.line_at(before),
            classname: attrs.get("classname"),
            name: attrs.get("name"),
            file: attrs.get("file"),
            source_line: attrs.get("line").and_then(|raw| positive(&raw)),
            source_column: attrs
                .get("column")
                .or_else(|| attrs.get("col"))
                .and_then(|raw| positive(&raw)),
            timestamp: attrs
                .get("timestamp")
                .and_then(|raw| self.timestamp(&raw, before)),
            time: attrs.get("time").and_then(|raw| self.seconds(&raw, before)),
            status: attrs.get("status"),
            ..Case::default()
        })))
    }

    fn timestamp(&self, raw: &str, before: u64) -> Option<DateTime<Utc>> {
        let parsed = parse_timestamp(raw);
        if parsed.is_none() && !raw.trim().is_empty() {
            tracing::debug!(input = %self.input, line = self.line_at(before), value = raw, "unknown timestamp format: ignored");
        }
        parsed
    }

    fn seconds(&self, raw: &str, before: u64) -> Option<Duration> {
        let parsed = parse_seconds(raw);
        if parsed.is_none() && !raw.trim().is_empty() {
            tracing::debug!(input = %self.input, line = self.line_at(before), value = raw, "unknown time value: duration left unknown");
        }
        parsed
    }

    /// The current time of the innermost suite: its start plus the time of the cases read so far.
    fn clock(&self) -> Option<DateTime<Utc>> {
        self.stack.iter().rev().find_map(|f| match &f.kind {
            FrameKind::Suite(s) => Some(s.clock()),
            _ => None,
        })?
    }

    /// An end tag (or the end of an empty one).
    fn end_element(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        match frame.kind {
            FrameKind::Suite(suite) => self.close_suite(*suite),
            FrameKind::Case(case) => self.close_case(*case),
            FrameKind::Outcome(result) => {
                if let Some(FrameKind::Case(case)) = self.stack.last_mut().map(|f| &mut f.kind) {
                    case.add_result(*result);
                }
            }
            FrameKind::Property(p) => {
                let Some(name) = p.name else {
                    return;
                };
                let value = p.value.unwrap_or(p.text);
                match self
                    .stack
                    .len()
                    .checked_sub(2)
                    .map(|i| &mut self.stack[i].kind)
                {
                    Some(FrameKind::Case(case)) => case.properties.push((name, value)),
                    Some(FrameKind::Suite(suite)) => suite.properties.push((name, value)),
                    _ => {}
                }
            }
            FrameKind::Capture(stream, text) => {
                let Some(text) = tidy_block(&text) else {
                    return;
                };
                match self.stack.last_mut().map(|f| &mut f.kind) {
                    Some(FrameKind::Suite(suite)) => match stream {
                        Stream::Stdout => append(&mut suite.stdout, text),
                        Stream::Stderr => append(&mut suite.stderr, text),
                        Stream::StackTrace => {}
                    },
                    Some(FrameKind::Case(case)) => match stream {
                        Stream::Stdout => append(&mut case.stdout, text),
                        Stream::Stderr => append(&mut case.stderr, text),
                        Stream::StackTrace => {}
                    },
                    Some(FrameKind::Outcome(result)) => match stream {
                        Stream::Stdout => append(&mut result.stdout, text),
                        Stream::Stderr => append(&mut result.stderr, text),
                        Stream::StackTrace => append(&mut result.stack_trace, text),
                    },
                    _ => {}
                }
            }
            FrameKind::Properties | FrameKind::Ignored => {}
        }
    }

    fn close_suite(&mut self, mut suite: Suite) {
        let pending = mem::take(&mut suite.pending);
        for mut result in pending {
            let last = result.last_attempt_mut();
            if last.stdout.is_none() {
                last.stdout.clone_from(&suite.stdout);
            }
            if last.stderr.is_none() {
                last.stderr.clone_from(&suite.stderr);
            }
            self.ready.push_back(Ok(result));
        }
        if let Some(FrameKind::Suite(parent)) = self.stack.last_mut().map(|f| &mut f.kind) {
            parent.elapsed = parent.elapsed.saturating_add(suite.elapsed);
        }
    }

    fn close_case(&mut self, case: Case) {
        let started = case.timestamp.or_else(|| self.clock());
        let time = case.time;
        let result = self.build_result(case, started);
        let failed = matches!(result.verdict(), Verdict::Plain(o) if o.is_failure());
        let input = &self.input;
        let Some(FrameKind::Suite(suite)) = self.stack.last_mut().map(|f| &mut f.kind) else {
            self.ready.push_back(Ok(result));
            return;
        };
        suite.elapsed = suite.elapsed.saturating_add(time.unwrap_or_default());
        if !failed || suite.overflowed {
            self.ready.push_back(Ok(result));
            return;
        }
        suite.pending_bytes += approximate_size(&result);
        suite.pending.push(result);
        if suite.pending_bytes > MAX_PENDING_BYTES {
            tracing::warn!(
                input = %input,
                suite = suite.name.as_deref().unwrap_or(""),
                "too much failure output held back in one suite: \
                 its <system-out>/<system-err> will not be added to its failed cases"
            );
            suite.overflowed = true;
            self.ready.extend(suite.pending.drain(..).map(Ok));
        }
    }

    fn build_result(&self, case: Case, started: Option<DateTime<Utc>>) -> TestResult {
        let suites = || {
            self.stack.iter().filter_map(|f| match &f.kind {
                FrameKind::Suite(s) => Some(s.as_ref()),
                _ => None,
            })
        };
        let suitename = suites().find(|s| !s.wrapper).and_then(|s| s.name.clone());
        let file = case
            .file
            .clone()
            .or_else(|| suites().rev().find_map(|s| s.file.clone()));
        let name = self.template.render(&TemplateValues {
            classname: case.classname.as_deref(),
            name: case.name.as_deref(),
            suitename: suitename.as_deref(),
            file: file.as_deref(),
        });
        let mut properties = case.properties;
        if self.suite_properties {
            for suite in suites().rev() {
                // Names set by the case or by a suite nested deeper shadow this suite's.
                let set_inside = properties.len();
                for (key, value) in &suite.properties {
                    if !properties[..set_inside].iter().any(|(k, _)| k == key) {
                        properties.push((key.clone(), value.clone()));
                    }
                }
            }
        }
        let attachments = [&case.stdout, &case.stderr]
            .into_iter()
            .flatten()
            .flat_map(|text| attachment_lines(text))
            .map(|path| match &self.base_dir {
                Some(dir) if Path::new(&path).is_relative() => dir.join(path),
                _ => PathBuf::from(path),
            })
            .collect::<Vec<_>>();
        let main = main_attempt(
            &case.results,
            case.status.as_deref(),
            started,
            case.time,
            case.stdout,
            case.stderr,
        );
        let mut attempts = case.flaky;
        attempts.push(main);
        attempts.extend(case.reruns);
        let mut result = TestResult::new(name, attempts.remove(0));
        for attempt in attempts {
            result.push_attempt(attempt);
        }
        // Where the test is in the source (pytest, RSpec, go-junit-report and others write
        // `file` and `line`), for CI annotations; a line without a file names no place.
        // pytest's traceback ends in `test_x.py:19: AssertionError`: the failing line, better
        // than the `def`'s.
        let location = file
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| {
                let failed_at = result
                    .attempts()
                    .iter()
                    .filter_map(|a| a.details.as_deref())
                    .find_map(|text| failure_line(text, f));
                Location {
                    file: f.to_owned(),
                    line: failed_at.or(case.source_line),
                    column: if failed_at.is_some() {
                        None
                    } else {
                        case.source_line.and(case.source_column)
                    },
                }
            });
        result.origin = Origin {
            suite: suitename,
            class: case.classname,
            file,
            line: Some(case.line),
            location,
        };
        result.properties = properties;
        result.attachments = attachments;
        if self.xfail == ExpectedFailure::Waived {
            // In junit, `Todo` comes from pytest's xfail only.
            for attempt in result.attempts_mut() {
                if attempt.outcome == Outcome::Todo {
                    attempt.outcome = Outcome::Skipped;
                }
            }
        }
        result
    }
}

/// The paths of `[[ATTACHMENT|path]]` lines (the Jenkins JUnit attachments convention, which
/// GitLab reads too) in captured output.
fn attachment_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("[[ATTACHMENT|")?;
            let path = rest.strip_suffix("]]")?.trim();
            (!path.is_empty()).then(|| path.to_owned())
        })
        .collect()
}

impl<R> std::fmt::Debug for JunitParser<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JunitParser")
            .field("input", &self.input)
            .field("template", &self.template.as_str())
            .field("suite_properties", &self.suite_properties)
            .field("offset", &self.reader.buffer_position())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> Iterator for JunitParser<R> {
    type Item = Result<TestResult, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.finished {
                return None;
            }
            self.step();
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for JunitParser<R> {}

fn approximate_size(result: &TestResult) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    result.name.len()
        + result
            .attempts()
            .iter()
            .map(|a| 128 + text(&a.message) + text(&a.details) + text(&a.stdout) + text(&a.stderr))
            .sum::<usize>()
        + result
            .properties
            .iter()
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum::<usize>()
}

/// The run the `<testcase>` element itself describes.
fn main_attempt(
    results: &[ResultElement],
    status: Option<&str>,
    started: Option<DateTime<Utc>>,
    duration: Option<Duration>,
    stdout: Option<String>,
    stderr: Option<String>,
) -> Attempt {
    let decisive = results
        .iter()
        .enumerate()
        .max_by_key(|(i, r)| (r.outcome().severity(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i);
    let mut attempt = match decisive {
        Some(i) => {
            let first = &results[i];
            let mut attempt = Attempt::new(first.outcome());
            attempt.message = first.message_or_type();
            let mut details = first.details();
            for (j, other) in results.iter().enumerate() {
                if j == i {
                    continue;
                }
                let header = match other.message_or_type() {
                    Some(m) => format!("{}: {m}", other.kind.element()),
                    None => other.kind.element().to_owned(),
                };
                let block = match other.details() {
                    Some(d) => format!("{header}\n{d}"),
                    None => header,
                };
                append(&mut details, block);
            }
            attempt.details = details;
            attempt
        }
        None => {
            let skipped = status.is_some_and(|s| {
                [
                    "skipped", "skip", "disabled", "ignored", "notrun", "not_run",
                ]
                .iter()
                .any(|k| s.trim().eq_ignore_ascii_case(k))
            });
            Attempt::new(if skipped {
                Outcome::Skipped
            } else {
                Outcome::Passed
            })
        }
    };
    attempt.started = started;
    attempt.duration = duration;
    attempt.stopped = stop(started, duration);
    attempt.stdout = stdout;
    attempt.stderr = stderr;
    attempt
}

fn stop(started: Option<DateTime<Utc>>, duration: Option<Duration>) -> Option<DateTime<Utc>> {
    started?.checked_add_signed(TimeDelta::from_std(duration?).ok()?)
}

/// `Some(text)` unless it is only whitespace.
/// The line of the last `FILE:LINE: ...` line of a failure text that names `file` (pytest's
/// tracebacks end so).
fn failure_line(text: &str, file: &str) -> Option<u64> {
    text.lines().rev().find_map(|line| {
        let rest = line.trim().strip_prefix(file)?.strip_prefix(':')?;
        let (number, after) = rest.split_once(':')?;
        (after.is_empty() || after.starts_with(' '))
            .then(|| positive(number))
            .flatten()
    })
}

/// A line or column number: a positive integer (`0`, `-1` and text name none).
fn positive(raw: &str) -> Option<u64> {
    raw.trim().parse::<u64>().ok().filter(|n| *n > 0)
}

fn non_blank(text: String) -> Option<String> {
    if text.trim().is_empty() {
        None
    } else {
        Some(text)
    }
}

/// A block of text (failure body, captured output) without its leading blank lines and trailing
/// whitespace, which are layout of the XML file (indentation before the closing tag); `None` when
/// nothing is left. The first line keeps its indentation.
fn tidy_block(text: &str) -> Option<String> {
    let end = text.trim_end();
    let first_content = end.find(|c: char| !c.is_whitespace())?;
    let start = end[..first_content].rfind('\n').map_or(0, |nl| nl + 1);
    Some(end[start..].to_owned())
}

/// Adds `text` to `slot`, after a blank line if it already holds something.
fn append(slot: &mut Option<String>, text: String) {
    match slot {
        Some(existing) => {
            existing.push_str("\n\n");
            existing.push_str(&text);
        }
        None => *slot = Some(text),
    }
}

struct Frame {
    /// The element's local name, for error messages.
    element: String,
    /// The line of its start tag.
    line: u64,
    kind: FrameKind,
}

enum FrameKind {
    /// `<testsuites>` or `<testsuite>`.
    Suite(Box<Suite>),
    Case(Box<Case>),
    /// `<failure>`, `<error>`, `<skipped>`, and the flaky/rerun elements.
    Outcome(Box<ResultElement>),
    Properties,
    Property(Box<PropertyElement>),
    /// Text collected for the frame below.
    Capture(Stream, String),
    /// Anything else: its content is skipped.
    Ignored,
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
    StackTrace,
}

#[derive(Default)]
struct Suite {
    /// `<testsuites>` rather than `<testsuite>`: not a `suitename`.
    wrapper: bool,
    name: Option<String>,
    file: Option<String>,
    /// Its own timestamp, else the clock of the suite around it when it opened.
    start: Option<DateTime<Utc>>,
    /// The time of the cases (and nested suites) read so far.
    elapsed: Duration,
    properties: Vec<(String, String)>,
    stdout: Option<String>,
    stderr: Option<String>,
    /// Failed results held back until the suite's own output is known.
    pending: Vec<TestResult>,
    pending_bytes: usize,
    overflowed: bool,
}

impl Suite {
    fn clock(&self) -> Option<DateTime<Utc>> {
        stop(self.start, Some(self.elapsed))
    }
}

#[derive(Default)]
struct Case {
    line: u64,
    classname: Option<String>,
    name: Option<String>,
    file: Option<String>,
    /// The `line` attribute: where the test is in `file` (not the line of the input).
    source_line: Option<u64>,
    /// The `column` (or `col`) attribute.
    source_column: Option<u64>,
    timestamp: Option<DateTime<Utc>>,
    time: Option<Duration>,
    status: Option<String>,
    properties: Vec<(String, String)>,
    /// `<failure>`, `<error>`, `<skipped>`: the outcome of the case's own run.
    results: Vec<ResultElement>,
    /// Runs before the case's own run (flaky: they failed, then it passed).
    flaky: Vec<Attempt>,
    /// Runs after the case's own run (reruns that failed again).
    reruns: Vec<Attempt>,
    stdout: Option<String>,
    stderr: Option<String>,
}

impl Case {
    fn add_result(&mut self, result: ResultElement) {
        match result.kind {
            ResultKind::Failure | ResultKind::Error | ResultKind::Skipped => {
                self.results.push(result)
            }
            ResultKind::FlakyFailure | ResultKind::FlakyError => {
                self.flaky.push(result.into_attempt())
            }
            ResultKind::RerunFailure | ResultKind::RerunError => {
                self.reruns.push(result.into_attempt())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum ResultKind {
    #[default]
    Failure,
    Error,
    Skipped,
    FlakyFailure,
    FlakyError,
    RerunFailure,
    RerunError,
}

impl ResultKind {
    fn element(self) -> &'static str {
        match self {
            ResultKind::Failure => "failure",
            ResultKind::Error => "error",
            ResultKind::Skipped => "skipped",
            ResultKind::FlakyFailure => "flakyFailure",
            ResultKind::FlakyError => "flakyError",
            ResultKind::RerunFailure => "rerunFailure",
            ResultKind::RerunError => "rerunError",
        }
    }
}

#[derive(Default)]
struct ResultElement {
    kind: ResultKind,
    message: Option<String>,
    /// The `type` attribute.
    kind_attr: Option<String>,
    timestamp: Option<String>,
    time: Option<String>,
    text: String,
    stack_trace: Option<String>,
    stdout: Option<String>,
    stderr: Option<String>,
}

impl ResultElement {
    fn outcome(&self) -> Outcome {
        match self.kind {
            ResultKind::Failure | ResultKind::FlakyFailure | ResultKind::RerunFailure => {
                Outcome::Failed
            }
            ResultKind::Error | ResultKind::FlakyError | ResultKind::RerunError => Outcome::Error,
            ResultKind::Skipped if self.kind_attr.as_deref() == Some("pytest.xfail") => {
                Outcome::Todo
            }
            ResultKind::Skipped => Outcome::Skipped,
        }
    }

    /// The `message` attribute, else the `type` attribute.
    fn message_or_type(&self) -> Option<String> {
        self.message
            .clone()
            .and_then(non_blank)
            .or_else(|| self.kind_attr.clone().and_then(non_blank))
    }

    /// The element's text, then its `<stackTrace>`.
    fn details(&self) -> Option<String> {
        let mut details = tidy_block(&self.text);
        if let Some(trace) = &self.stack_trace {
            append(&mut details, trace.clone());
        }
        details
    }

    /// A flaky or rerun element as the run it describes.
    fn into_attempt(self) -> Attempt {
        let mut attempt = Attempt::new(self.outcome());
        attempt.message = self.message_or_type();
        attempt.details = self.details();
        attempt.started = self.timestamp.as_deref().and_then(parse_timestamp);
        attempt.duration = self.time.as_deref().and_then(parse_seconds);
        attempt.stopped = stop(attempt.started, attempt.duration);
        attempt.stdout = self.stdout;
        attempt.stderr = self.stderr;
        attempt
    }
}

struct PropertyElement {
    name: Option<String>,
    value: Option<String>,
    text: String,
}

/// The attributes of one start tag, by local name; the first of duplicates wins.
#[derive(Default)]
struct Attributes(Vec<(String, String)>);

impl Attributes {
    fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locations(xml: &str) -> Vec<Option<Location>> {
        JunitParser::new(xml.as_bytes(), "t.xml".to_owned())
            .map(|r| r.map(|r| r.origin.location).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn file_and_line_attributes_name_the_location() {
        let found = locations(
            r#"<testsuite name="s" file="suite.rb">
                 <testcase name="a" file="t/a_test.py" line="12" column="3"/>
                 <testcase name="b" line="7"/>
                 <testcase name="c" file=" " line="7"/>
                 <testcase name="d" file="t/d.py" line="0"/>
               </testsuite>"#,
        );
        let at = |file: &str, line, column| {
            Some(Location {
                file: file.to_owned(),
                line,
                column,
            })
        };
        assert_eq!(
            found,
            vec![
                at("t/a_test.py", Some(12), Some(3)),
                // The suite's file, the case's line.
                at("suite.rb", Some(7), None),
                None,
                at("t/d.py", None, None),
            ]
        );
    }

    #[test]
    fn a_pytest_traceback_names_the_failing_line() {
        let found = locations(
            r#"<testsuite name="pytest">
                 <testcase classname="test_x" name="test_fails" file="test_x.py" line="16">
                   <failure message="assert 1 == 2">def test_fails():
&gt;       assert 1 == 2
E       assert 1 == 2

test_x.py:19: AssertionError</failure>
                 </testcase>
                 <testcase name="other" file="test_x.py" line="30">
                   <failure>helpers.py:5: ValueError</failure>
                 </testcase>
               </testsuite>"#,
        );
        assert_eq!(found[0].as_ref().and_then(|l| l.line), Some(19));
        assert_eq!(found[1].as_ref().and_then(|l| l.line), Some(30));
        assert_eq!(failure_line("x.py:3:", "x.py"), Some(3));
        assert_eq!(failure_line("x.py:3x: E", "x.py"), None);
    }
}
