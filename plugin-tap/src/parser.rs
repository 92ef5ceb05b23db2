//! The push parser: lines in, completed results out.

use tcms_api::report::TestResult;

use crate::error::ParseError;
use crate::line::{self, Line, TestPoint};
use crate::mapping::{self, Capped, Completed, Context, Options, OwnedPoint, SubtestReport, Tally};
use crate::summary::{self, NumberSet, Summary};

/// Subtests nested deeper than this are kept as text of the deepest one, not parsed: each
/// level costs a little stack for every line.
const MAX_DEPTH: usize = 32;

/// The most bytes of YAML, comments or subtest text kept for one result; the rest is counted and
/// cut (the engine cuts comments at [`tcms_api::report::MAX_COMMENT_BYTES`] anyway). This
/// keeps memory flat however much a test prints.
pub(crate) const MAX_TEXT_BYTES: usize = tcms_api::report::MAX_COMMENT_BYTES;

/// An incremental TAP parser: feed it lines, get each result once it is complete.
///
/// A result is complete when the next test point, a plan, a `Bail out!`, a new document or the
/// end of the input arrives: until then, YAML blocks and `#` lines that follow it still belong
/// to it. [`Parser::has_pending`] says whether a result is being built; [`Parser::finish`]
/// ends the input.
///
/// ```
/// use tcms_tap::Parser;
/// use tcms_api::report::Outcome;
///
/// let mut parser = Parser::new("t/basic.t");
/// assert!(parser.push_line("1..2").is_none());
/// assert!(parser.push_line("not ok 1 - adds").is_none());
/// assert!(parser.push_line("#   got: 3").is_none());
/// let first = parser.push_line("ok 2 - subtracts").unwrap();
/// assert_eq!(first.name, "adds");
/// assert_eq!(first.attempts()[0].outcome, Outcome::Failed);
/// assert_eq!(first.attempts()[0].details.as_deref(), Some("  got: 3"));
/// assert!(parser.has_pending());
/// let second = parser.finish().unwrap();
/// assert_eq!(second.name, "subtracts");
/// assert!(parser.summary().is_complete());
/// ```
#[derive(Debug)]
pub struct Parser {
    source: String,
    options: Options,
    top: Level,
    lines: u64,
    results: u64,
    finished: bool,
}

impl Parser {
    /// A parser for the input called `source` (a file name, or `stdin`): it appears in
    /// [`Origin::file`](tcms_api::report::Origin::file), in fallback names and in errors.
    pub fn new(source: impl Into<String>) -> Self {
        Self::with_options(source, Options::default())
    }

    /// A parser with [`Options`].
    pub fn with_options(source: impl Into<String>, options: Options) -> Self {
        Self {
            source: source.into(),
            options,
            top: Level::new(0),
            lines: 0,
            results: 0,
            finished: false,
        }
    }

    /// The source name.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Reads one line (without its line terminator; a trailing `\r` is removed) and returns the
    /// result it completed, if any. Lines after a `Bail out!` or after [`Parser::finish`] are
    /// counted and ignored.
    pub fn push_line(&mut self, line: &str) -> Option<TestResult> {
        self.lines += 1;
        if self.finished {
            return None;
        }
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if self.lines == 1 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let context = Context {
            source: &self.source,
            options: &self.options,
        };
        let result = self.top.push(line, self.lines, &context);
        self.count(result)
    }

    /// [`Parser::push_line`] for raw bytes: the line must be UTF-8, otherwise the error names
    /// the source, the line and the column (in characters) of the first bad byte, and the line
    /// is not read.
    pub fn push_bytes(&mut self, line: &[u8]) -> Result<Option<TestResult>, ParseError> {
        match std::str::from_utf8(line) {
            Ok(text) => Ok(self.push_line(text)),
            Err(error) => {
                let valid = &line[..error.valid_up_to()];
                // The prefix is valid UTF-8 by definition.
                let column = String::from_utf8_lossy(valid).chars().count() as u64 + 1;
                Err(ParseError::InvalidUtf8 {
                    input: self.source.clone(),
                    line: self.lines + 1,
                    column,
                    byte: line.get(error.valid_up_to()).copied().unwrap_or(0),
                })
            }
        }
    }

    /// True while a result is being built: a test point whose YAML or `#` lines may still
    /// follow, or a subtest waiting for its test point. When false, every result read so far
    /// has been handed out.
    pub fn has_pending(&self) -> bool {
        !self.finished && self.top.has_pending()
    }

    /// Completes the pending test point now, for a live reporter whose input went quiet: the
    /// `#` lines that follow it later are then ignored. Returns `None` (and completes
    /// nothing) when no test point is pending, or while its YAML block or buffered subtest is
    /// still open, or when only a subtest without its test point is pending.
    pub fn flush(&mut self) -> Option<TestResult> {
        if self.finished {
            return None;
        }
        let context = Context {
            source: &self.source,
            options: &self.options,
        };
        let result = self.top.flush(&context);
        self.count(result)
    }

    /// Ends the input: returns the last pending result, if any (a subtest that never got its
    /// closing test point becomes an [`Outcome::Error`](tcms_api::report::Outcome::Error)
    /// result). Calling it again returns `None`.
    pub fn finish(&mut self) -> Option<TestResult> {
        if self.finished {
            return None;
        }
        let context = Context {
            source: &self.source,
            options: &self.options,
        };
        let result = self.top.finish(&context, "the input ended");
        self.finished = true;
        self.count(result)
    }

    /// How many lines were pushed.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// How many tests the plans read so far announce (`1..N` lines, summed over the
    /// documents), or `None` before the first plan. Cheaper than [`Parser::summary`], for a
    /// live reporter that shows the planned count as soon as the plan arrives.
    pub fn planned(&self) -> Option<u64> {
        self.top
            .done_documents
            .iter()
            .chain(std::iter::once(&self.top.document))
            .filter_map(|d| d.plan.as_ref().map(|p| p.count))
            .reduce(u64::saturating_add)
    }

    /// The reason of the `Bail out!` line, once one was read.
    pub fn bailed_out(&self) -> Option<&str> {
        self.top.bailed.as_deref()
    }

    /// The state of the stream so far (complete after [`Parser::finish`]).
    pub fn summary(&self) -> Summary {
        let documents = self
            .top
            .done_documents
            .iter()
            .chain(std::iter::once(&self.top.document))
            .filter(|d| d.has_content())
            .map(DocumentState::to_public)
            .collect();
        Summary {
            source: self.source.clone(),
            documents,
            bailed_out: self.top.bailed.clone(),
            results: self.results,
            lines: self.lines,
            non_tap_lines: self.top.non_tap,
            ignored_subtests: self.top.ignored.count,
            ignored_subtest_lines: self.top.ignored.lines.clone(),
        }
    }

    fn count(&mut self, result: Option<TestResult>) -> Option<TestResult> {
        if result.is_some() {
            self.results += 1;
        }
        if self.top.bailed.is_some() {
            self.finished = true;
        }
        result
    }
}

/// One nesting level: the top-level document, or the inside of a subtest.
#[derive(Debug)]
struct Level {
    depth: usize,
    /// The YAML block being read, for the pending test point.
    yaml: Option<YamlBlock>,
    /// The test point being completed.
    pending: Option<Pending>,
    /// A subtest read before its test point (`# Subtest:` header and/or indented lines).
    subtest: Option<Subtest>,
    /// The previous non-blank line was a test point: a YAML block may start.
    after_point: bool,
    /// The previous non-blank line closed a YAML block: a `{` may open a buffered subtest.
    after_yaml: bool,
    document: DocumentState,
    done_documents: Vec<DocumentState>,
    /// A line that may have started a new document (a `TAP version` line, or a plan after
    /// test points): the next test point decides.
    boundary: Option<Boundary>,
    bailed: Option<String>,
    non_tap: u64,
    /// Indented lines that belong to no test (see [`Level::end_of_item`]).
    ignored: Ignored,
}

/// Blocks of indented lines that were ignored: how many, and where the first few start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ignored {
    pub(crate) count: u64,
    pub(crate) lines: Vec<u64>,
}

impl Ignored {
    /// How many first lines are kept.
    const KEPT: usize = 10;

    fn note(&mut self, line: u64) {
        self.count = self.count.saturating_add(1);
        if self.lines.len() < Self::KEPT {
            self.lines.push(line);
        }
    }
}

#[derive(Debug)]
struct YamlBlock {
    /// The indentation of the `---` line.
    indent: usize,
    text: Capped,
}

/// A test point waiting for its YAML, comments, or buffered subtest.
#[derive(Debug)]
struct Pending {
    point: OwnedPoint,
    /// Its input line.
    line: u64,
    /// The test number, given or implied (the count of test points so far, plus one).
    number: u64,
    document_name: Option<String>,
    subtest: Option<Subtest>,
    buffered: Buffered,
    /// The YAML block's lines, dedented by the `---` indentation.
    yaml: Option<Capped>,
    comments: Capped,
}

impl Pending {
    /// The data the mapping needs (the subtest must be finished).
    fn into_completed(self) -> Completed {
        Completed {
            point: self.point,
            line: self.line,
            number: self.number,
            document_name: self.document_name,
            subtest: self.subtest.map(Subtest::into_report),
            buffered: matches!(self.buffered, Buffered::Open | Buffered::Closed),
            yaml: self.yaml,
            comments: self.comments,
        }
    }
}

/// node-tap's buffered subtests: `ok 1 - name {` ... `}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Buffered {
    /// Not buffered.
    No,
    /// The line ended with ` {`: buffered if indented lines or `}` follow.
    Maybe,
    /// Inside the braces.
    Open,
    /// After the closing `}`.
    Closed,
}

/// The inside of a subtest: a nested level, its raw text and a tally of its results.
#[derive(Debug)]
struct Subtest {
    name: Option<String>,
    /// The first input line of the subtest.
    line: u64,
    child: Box<Level>,
    /// The subtest's lines, one indentation level removed.
    text: Capped,
    tally: Tally,
    /// Lines were read inside (not just a `# Subtest:` header).
    has_content: bool,
    finished: bool,
    /// Opened by a `# Subtest` line at the parent's level, not by indented lines.
    from_heading: bool,
    /// A `# Subtest: name` line that was the first line inside: the subtest's own heading
    /// written at its indentation (Test::Builder before 1.3, node-tap before 12), or the
    /// heading of a subtest nested in it (TAP 14). The next line tells: deeper lines that are
    /// not a heading themselves mean the nested one.
    deferred: Option<DeferredHeading>,
}

#[derive(Debug)]
struct DeferredHeading {
    line: String,
    line_no: u64,
    name: Option<String>,
}

impl Subtest {
    fn new(name: Option<String>, line: u64, depth: usize, from_heading: bool) -> Self {
        Self {
            name,
            line,
            child: Box::new(Level::new(depth)),
            text: Capped::new(MAX_TEXT_BYTES),
            tally: Tally::default(),
            has_content: false,
            finished: false,
            from_heading,
            deferred: None,
        }
    }

    /// A line inside the subtest, one indentation level removed.
    fn push(&mut self, line: &str, line_no: u64, context: &Context<'_>) {
        if let Some(heading) = self.deferred.take() {
            // Deeper lines after the heading are the nested subtest's, unless they start with
            // a heading of their own: every subtest of the old form starts with one.
            let nested =
                indentation(line) >= 4 && !matches!(line::classify(line), Line::SubtestHeader(_));
            if nested {
                self.feed(&heading.line, heading.line_no, context);
            } else {
                self.adopt(heading);
            }
        }
        if !self.has_content
            && indentation(line) == 0
            && let Line::SubtestHeader(name) = line::classify(line)
            && (!self.from_heading || name == self.name.as_deref())
        {
            self.has_content = true;
            self.text.push_line(line);
            self.deferred = Some(DeferredHeading {
                line: line.to_owned(),
                line_no,
                name: name.map(str::to_owned),
            });
            return;
        }
        self.has_content = true;
        self.text.push_line(line);
        self.feed(line, line_no, context);
    }

    /// Hands a line to the nested level.
    fn feed(&mut self, line: &str, line_no: u64, context: &Context<'_>) {
        if let Some(result) = self.child.push(line, line_no, context) {
            self.tally.add(&result);
        }
    }

    /// A heading written inside the subtest names the subtest itself.
    fn adopt(&mut self, heading: DeferredHeading) {
        if self.name.is_none() {
            self.name = heading.name;
        }
    }

    /// A blank line inside the subtest: kept in its text, and read by the child (a YAML block
    /// scalar there keeps it).
    fn push_blank(&mut self, line: &str, line_no: u64, context: &Context<'_>) {
        self.text.push_line("");
        if let Some(result) = self.child.push(line, line_no, context) {
            self.tally.add(&result);
        }
    }

    fn finish(&mut self, context: &Context<'_>) {
        if self.finished {
            return;
        }
        self.finished = true;
        if let Some(heading) = self.deferred.take() {
            self.adopt(heading);
        }
        if let Some(result) = self.child.finish(context, "the subtest ended") {
            self.tally.add(&result);
        }
    }

    /// What the mapping needs: the subtest's own plan and documents, for its summary line.
    fn into_report(self) -> SubtestReport {
        let docs: Vec<summary::Document> = self
            .child
            .done_documents
            .iter()
            .chain(std::iter::once(&self.child.document))
            .filter(|d| d.has_content())
            .map(DocumentState::to_public)
            .collect();
        let planned = docs
            .iter()
            .filter_map(|d| d.plan.as_ref().map(|p| p.count))
            .reduce(u64::saturating_add);
        let missing = docs
            .iter()
            .map(summary::Document::missing_count)
            .fold(0, u64::saturating_add);
        SubtestReport {
            name: self.name,
            line: self.line,
            text: self.text,
            tally: self.tally,
            has_content: self.has_content,
            planned,
            missing,
            bailed: self.child.bailed,
        }
    }
}

/// A document being read.
#[derive(Debug, Clone, Default)]
struct DocumentState {
    name: Option<String>,
    version: Option<u32>,
    first_line: u64,
    plan: Option<PlanState>,
    tests: u64,
    seen: NumberSet,
}

#[derive(Debug, Clone)]
struct PlanState {
    count: u64,
    reason: Option<String>,
    line: u64,
}

/// Where a new document may have begun. It did if the next test point starts the numbering
/// again: its number was already seen in the document, or it has none and the plan is already
/// complete (or there is no plan). Otherwise the stream goes on (a plan in the middle, a
/// `TAP version` line after the plan) and the line started nothing.
#[derive(Debug, Clone, Copy)]
struct Boundary {
    /// The line the new document would start at: the `TAP version` line, or `None` for the
    /// test point itself (after a plan).
    line: Option<u64>,
    version: Option<u32>,
}

impl DocumentState {
    fn has_content(&self) -> bool {
        self.name.is_some() || self.version.is_some() || self.plan.is_some() || self.tests > 0
    }

    /// Every planned test number was seen (false without a plan).
    fn plan_is_complete(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| self.seen.missing(p.count).is_empty())
    }

    /// Whether a test point numbered `number` after a [`Boundary`] starts a new document.
    fn restarts_with(&self, number: Option<u64>) -> bool {
        match number {
            Some(n) => self.seen.contains(n),
            None => self.plan.is_none() || self.plan_is_complete(),
        }
    }

    fn to_public(&self) -> summary::Document {
        let (missing, out_of_plan) = match &self.plan {
            Some(plan) => (self.seen.missing(plan.count), self.seen.outside(plan.count)),
            None => (Vec::new(), 0),
        };
        summary::Document {
            name: self.name.clone(),
            version: self.version,
            first_line: self.first_line,
            plan: self.plan.as_ref().map(|p| summary::Plan {
                count: p.count,
                reason: p.reason.clone(),
                line: p.line,
            }),
            tests: self.tests,
            missing,
            out_of_plan,
        }
    }
}

impl Level {
    fn new(depth: usize) -> Self {
        Self {
            depth,
            yaml: None,
            pending: None,
            subtest: None,
            after_point: false,
            after_yaml: false,
            document: DocumentState::default(),
            done_documents: Vec::new(),
            boundary: None,
            bailed: None,
            non_tap: 0,
            ignored: Ignored::default(),
        }
    }

    fn has_pending(&self) -> bool {
        self.pending.is_some() || self.subtest.is_some() || self.yaml.is_some()
    }

    fn push(&mut self, line: &str, line_no: u64, context: &Context<'_>) -> Option<TestResult> {
        if self.bailed.is_some() {
            return None;
        }
        let had_content = self.document.has_content();
        let out = self.read(line, line_no, context);
        if !had_content && self.document.has_content() && self.document.first_line == 0 {
            self.document.first_line = line_no;
        }
        out
    }

    /// The subtest that lines are going to now: the pending test point's buffered one, or
    /// the one read before its test point.
    fn active_subtest(&mut self) -> Option<&mut Subtest> {
        match &mut self.pending {
            Some(pending) if pending.buffered == Buffered::Open => pending.subtest.as_mut(),
            _ => self.subtest.as_mut().filter(|s| s.has_content),
        }
    }

    fn read(&mut self, line: &str, line_no: u64, context: &Context<'_>) -> Option<TestResult> {
        let indent = indentation(line);
        let trimmed = line.trim();

        // 1. Inside the YAML block of the pending test point.
        if let Some(yaml) = &mut self.yaml {
            if trimmed.is_empty() {
                yaml.text.push_line("");
                return None;
            }
            if trimmed == "..." && indent <= yaml.indent {
                self.close_yaml();
                self.after_yaml = true;
                return None;
            }
            if indent > yaml.indent || (indent == yaml.indent && trimmed != "---") {
                let content = line.get(yaml.indent..).unwrap_or(trimmed);
                yaml.text.push_line(content.trim_end());
                return None;
            }
            // Less indented: the block was never closed; the line is read as usual.
            self.close_yaml();
        }
        if trimmed.is_empty() {
            // Kept inside a subtest being read (its YAML block scalars and text keep their
            // blank lines); otherwise nothing.
            if let Some(subtest) = self.active_subtest() {
                subtest.push_blank(line.get(4..).unwrap_or(""), line_no, context);
            }
            return None;
        }

        // 2. The end of a buffered subtest (an empty one, `ok 1 - name {` then `}`, too).
        if indent < 4
            && trimmed == "}"
            && let Some(pending) = &mut self.pending
            && matches!(pending.buffered, Buffered::Open | Buffered::Maybe)
        {
            if let Some(subtest) = &mut pending.subtest {
                subtest.finish(context);
            }
            pending.buffered = Buffered::Closed;
            self.after_point = false;
            self.after_yaml = false;
            return None;
        }

        // 3. A YAML block right after its test point.
        if self.after_point && trimmed == "---" && indent >= 1 {
            self.yaml = Some(YamlBlock {
                indent,
                text: Capped::new(MAX_TEXT_BYTES),
            });
            self.after_point = false;
            return None;
        }

        // 4. Deeper lines belong to a subtest.
        if indent >= 4 && self.depth < MAX_DEPTH {
            return self.push_subtest_line(&line[4..], line_no, context);
        }

        let class = line::classify(line);
        let keeps_yaml_adjacency = matches!(class, Line::Other);
        if !keeps_yaml_adjacency {
            self.after_point = false;
        }
        let after_yaml = std::mem::take(&mut self.after_yaml);
        match class {
            Line::TestPoint(point) => self.test_point(point, line_no, context),
            Line::Plan { count, skip } => {
                let out = self.complete_pending(context);
                if self.document.plan.is_some() {
                    // A second plan: a new document, from the `TAP version` line before it if
                    // there was one.
                    let boundary = self.boundary.take();
                    self.new_document(boundary.and_then(|b| b.line).unwrap_or(line_no));
                    self.document.version = boundary.and_then(|b| b.version);
                } else if self.document.tests > 0 && self.boundary.is_none() {
                    // After test points (at the end, or in the middle): test points after it
                    // may belong to the next document.
                    self.boundary = Some(Boundary {
                        line: None,
                        version: None,
                    });
                }
                self.document.plan = Some(PlanState {
                    count,
                    reason: skip,
                    line: line_no,
                });
                out
            }
            Line::Comment(text) => {
                if let Some(pending) = &mut self.pending {
                    pending.comments.push_line(text.trim_end());
                } else if let Some(subtest) = &mut self.subtest {
                    subtest.text.push_line(trimmed);
                }
                None
            }
            Line::SubtestHeader(name) => {
                let out = self.end_of_item(context, "a new subtest started");
                self.subtest = Some(Subtest::new(
                    name.map(str::to_owned),
                    line_no,
                    self.depth + 1,
                    true,
                ));
                out
            }
            Line::BailOut(reason) => {
                let out = self.finish(context, "Bail out!");
                self.bailed = Some(reason.to_owned());
                out
            }
            Line::Version(version) => {
                let out = self.end_of_item(context, "a new TAP document started");
                if self.document.plan.is_some() || self.document.tests > 0 {
                    // Perhaps a new document (concatenated streams), perhaps a late version
                    // line: the next test point decides.
                    self.boundary = Some(Boundary {
                        line: Some(line_no),
                        version: Some(version),
                    });
                } else {
                    if self.document.version.is_some() {
                        self.new_document(line_no);
                    }
                    self.document.version = Some(version);
                }
                out
            }
            Line::ProveHeader(name) if self.depth == 0 => {
                let out = self.end_of_item(context, "the next test file started");
                if self.document.has_content() {
                    self.new_document(line_no);
                }
                self.document.name = Some(name.to_owned());
                out
            }
            Line::OpenBrace => {
                match &mut self.pending {
                    Some(pending)
                        if after_yaml
                            && matches!(pending.buffered, Buffered::No | Buffered::Maybe) =>
                    {
                        pending.buffered = Buffered::Open;
                    }
                    _ => self.non_tap += 1,
                }
                None
            }
            Line::Pragma => None,
            Line::Other
                if context.options.live
                    && self.depth == 0
                    && self
                        .pending
                        .as_ref()
                        .is_some_and(|p| p.buffered == Buffered::No) =>
            {
                // Live: the output of whatever runs next; the test point before it is done.
                self.non_tap += 1;
                self.after_point = false;
                self.complete_pending(context)
            }
            Line::ProveHeader(_)
            | Line::YamlStart
            | Line::CloseBrace
            | Line::Blank
            | Line::Other => {
                self.non_tap += 1;
                None
            }
        }
    }

    fn test_point(
        &mut self,
        point: TestPoint<'_>,
        line: u64,
        context: &Context<'_>,
    ) -> Option<TestResult> {
        let out = self.complete_pending(context);
        if let Some(boundary) = self.boundary.take() {
            if self.document.restarts_with(point.number) {
                self.new_document(boundary.line.unwrap_or(line));
                self.document.version = boundary.version;
            } else if self.document.version.is_none() {
                self.document.version = boundary.version;
            }
        }
        let number = point
            .number
            .unwrap_or_else(|| self.document.tests.saturating_add(1));
        self.document.tests = self.document.tests.saturating_add(1);
        self.document.seen.insert(number);
        let mut subtest = self.subtest.take();
        if let Some(subtest) = &mut subtest {
            subtest.finish(context);
        }
        self.pending = Some(Pending {
            buffered: if point.opens_brace {
                Buffered::Maybe
            } else {
                Buffered::No
            },
            point: OwnedPoint {
                ok: point.ok,
                description: point.description,
                description_without_brace: point.description_without_brace,
                compat_description: point.compat_description.to_owned(),
                directive: point.directive,
                time: point.time,
            },
            line,
            number,
            document_name: self.document.name.clone(),
            subtest,
            yaml: None,
            comments: Capped::new(MAX_TEXT_BYTES),
        });
        self.after_point = true;
        out
    }

    fn push_subtest_line(
        &mut self,
        line: &str,
        line_no: u64,
        context: &Context<'_>,
    ) -> Option<TestResult> {
        self.after_point = false;
        self.after_yaml = false;
        let mut out = None;
        let depth = self.depth + 1;
        let buffered = self
            .pending
            .as_mut()
            .filter(|p| matches!(p.buffered, Buffered::Maybe | Buffered::Open));
        let subtest = match buffered {
            Some(pending) => {
                pending.buffered = Buffered::Open;
                pending
                    .subtest
                    .get_or_insert_with(|| Subtest::new(None, line_no, depth, false))
            }
            None => {
                if self.subtest.is_none() {
                    out = self.complete_pending(context);
                }
                self.subtest
                    .get_or_insert_with(|| Subtest::new(None, line_no, depth, false))
            }
        };
        subtest.push(line, line_no, context);
        // A `Bail out!` inside a subtest ends the whole stream.
        if let Some(reason) = subtest.child.bailed.clone() {
            let last = self.finish(context, "Bail out!");
            self.bailed = Some(reason);
            return out.or(last);
        }
        out
    }

    fn close_yaml(&mut self) {
        if let Some(yaml) = self.yaml.take()
            && let Some(pending) = &mut self.pending
            && pending.yaml.is_none()
        {
            pending.yaml = Some(yaml.text);
        }
    }

    fn complete_pending(&mut self, context: &Context<'_>) -> Option<TestResult> {
        self.close_yaml();
        let mut pending = self.pending.take()?;
        if let Some(subtest) = &mut pending.subtest {
            subtest.finish(context);
        }
        Some(mapping::result(pending.into_completed(), context))
    }

    /// Completes what is being read at this level: the pending test point, or else a subtest
    /// that never got its test point (reported as an error, if it had a name or results).
    fn end_of_item(&mut self, context: &Context<'_>, why: &str) -> Option<TestResult> {
        if let Some(result) = self.complete_pending(context) {
            return Some(result);
        }
        let mut subtest = self.subtest.take()?;
        subtest.finish(context);
        // Not an unfinished test: indented lines without a heading and without results, lines
        // after the plan was complete (they belong to no planned test), and, inside a subtest,
        // a heading with nothing after it.
        if (subtest.name.is_none() && subtest.tally.total() == 0)
            || self.document.plan_is_complete()
            || (!subtest.has_content && self.depth > 0)
        {
            if subtest.has_content || subtest.name.is_some() {
                self.ignored.note(subtest.line);
            }
            return None;
        }
        let number = self.document.tests.saturating_add(1);
        Some(mapping::unfinished_subtest(
            subtest.into_report(),
            number,
            self.document.name.as_deref(),
            why,
            context,
        ))
    }

    fn flush(&mut self, context: &Context<'_>) -> Option<TestResult> {
        let pending = self.pending.as_ref()?;
        if self.yaml.is_some() || pending.buffered == Buffered::Open {
            return None;
        }
        self.complete_pending(context)
    }

    fn finish(&mut self, context: &Context<'_>, why: &str) -> Option<TestResult> {
        self.end_of_item(context, why)
    }

    fn new_document(&mut self, line: u64) {
        self.boundary = None;
        let done = std::mem::replace(
            &mut self.document,
            DocumentState {
                first_line: line,
                ..DocumentState::default()
            },
        );
        // `push` sets the first line of a document when it gets its first content; a document
        // started by a boundary line starts there.
        if done.has_content() {
            self.done_documents.push(done);
        }
    }
}

/// The number of leading spaces.
fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}
