//! What one line of TAP is, at one nesting level: the grammar, without any state.
//!
//! The rules follow TAP 14 where real producers agree with it and Test::Harness (`prove`) where
//! they do not; see the crate documentation for the list.

use std::time::Duration;

/// One classified line. The indentation that selects the nesting level has already been
/// removed; up to three leading spaces are still allowed here.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Line<'a> {
    /// `TAP version N` (any case).
    Version(u32),
    /// `1..N`, with the reason of `1..0 # SKIP reason`.
    Plan { count: u64, skip: Option<String> },
    /// `ok` / `not ok`.
    TestPoint(TestPoint<'a>),
    /// `Bail out!` and its reason (possibly empty).
    BailOut(&'a str),
    /// `pragma +key` / `pragma -key`.
    Pragma,
    /// `# Subtest` or `# Subtest: name`.
    SubtestHeader(Option<&'a str>),
    /// Any other `#` line: the text after `#` and one space.
    Comment(&'a str),
    /// `---` (the caller decides whether a YAML block may start here).
    YamlStart,
    /// `{` alone: a buffered subtest opened after a YAML block (node-tap).
    OpenBrace,
    /// `}` alone: the end of a buffered subtest.
    CloseBrace,
    /// `t/foo.t ..... `: the header `prove -v` prints before each file's output.
    ProveHeader(&'a str),
    /// Empty or white space only.
    Blank,
    /// Anything else: not TAP. Ignored, never an error.
    Other,
}

/// `# SKIP` or `# TODO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirectiveKind {
    Skip,
    Todo,
}

/// A directive and its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    pub(crate) kind: DirectiveKind,
    /// The reason, `None` when empty.
    pub(crate) reason: Option<String>,
}

/// An `ok` / `not ok` line, taken apart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TestPoint<'a> {
    pub(crate) ok: bool,
    pub(crate) number: Option<u64>,
    /// The description: without the ` - ` separator, `\#` and `\\` unescaped, trimmed; empty
    /// when there is none.
    pub(crate) description: String,
    /// The same description without a trailing ` {`, used when the line turns out to open a
    /// buffered subtest.
    pub(crate) description_without_brace: Option<String>,
    /// What the Python plugin (tap.py 3.x) takes as the description: everything after the
    /// number up to the first `#`, trimmed, `- ` included.
    pub(crate) compat_description: &'a str,
    pub(crate) directive: Option<Directive>,
    /// From a node-tap ` # time=12.5ms` trailer.
    pub(crate) time: Option<Duration>,
    /// The line ends with ` {` (node-tap buffered subtest), if what follows confirms it.
    pub(crate) opens_brace: bool,
}

/// Classifies `line` (no line terminator).
pub(crate) fn classify(line: &str) -> Line<'_> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let text = line.trim_start_matches(' ');
    let trimmed = text.trim_end();
    if trimmed.is_empty() {
        return Line::Blank;
    }
    if let Some(comment) = text.strip_prefix('#') {
        return comment_line(comment);
    }
    if trimmed == "---" {
        return Line::YamlStart;
    }
    if trimmed == "{" {
        return Line::OpenBrace;
    }
    if trimmed == "}" {
        return Line::CloseBrace;
    }
    if let Some(point) = test_point(trimmed) {
        return Line::TestPoint(point);
    }
    if let Some(plan) = plan(trimmed) {
        return plan;
    }
    if let Some(rest) = strip_prefix_ignore_case(trimmed, "bail out!") {
        return Line::BailOut(rest.trim());
    }
    if let Some(version) = version(trimmed) {
        return Line::Version(version);
    }
    if is_pragma(trimmed) {
        return Line::Pragma;
    }
    if indent == 0
        && let Some(name) = prove_header(trimmed, text)
    {
        return Line::ProveHeader(name);
    }
    Line::Other
}

fn comment_line(after_hash: &str) -> Line<'_> {
    let body = after_hash.trim_end();
    let trimmed = body.trim_start();
    if let Some(rest) = trimmed.strip_prefix("Subtest") {
        if rest.trim().is_empty() {
            return Line::SubtestHeader(None);
        }
        if let Some(name) = rest.strip_prefix(':') {
            let name = name.trim();
            return Line::SubtestHeader((!name.is_empty()).then_some(name));
        }
    }
    Line::Comment(body.strip_prefix(' ').unwrap_or(body))
}

/// `ok` or `not ok`, followed by white space or the end of the line.
fn test_point(line: &str) -> Option<TestPoint<'_>> {
    let (ok, rest) = if let Some(rest) = line.strip_prefix("not ok") {
        (false, rest)
    } else if let Some(rest) = line.strip_prefix("ok") {
        (true, rest)
    } else {
        return None;
    };
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, rest) = if digits > 0 {
        (rest[..digits].parse::<u64>().ok(), &rest[digits..])
    } else {
        (None, rest)
    };
    let compat_description = compat_description(rest);
    let rest = rest.trim();

    // A trailing ` {` opens a node-tap buffered subtest: `ok 1 - name {` or
    // `ok 1 - name # TODO {`.
    let (rest, brace_at_end) = match rest.strip_suffix('{') {
        Some(before) if before.is_empty() || before.ends_with([' ', '\t']) => {
            (before.trim_end(), true)
        }
        _ => (rest, false),
    };

    let (description_raw, directive, time) = match first_unescaped_hash(rest) {
        Some(hash) => {
            let before = &rest[..hash];
            let after = &rest[hash + 1..];
            if let Some(directive) = directive(after) {
                (before, Some(directive), None)
            } else if let Some(time) = time_trailer(after) {
                (before, None, Some(time))
            } else {
                (rest, None, None)
            }
        }
        None => (rest, None, None),
    };
    // A time trailer may also follow a directive: `# TODO later # time=3ms`.
    let (directive, time) = match (directive, time) {
        (Some(mut d), None) => {
            let mut time = None;
            if let Some(reason) = d.reason.take() {
                let (kept, found) = split_time_trailer(&reason);
                time = found;
                d.reason = (!kept.is_empty()).then(|| kept.to_owned());
            }
            (Some(d), time)
        }
        other => other,
    };
    let description = clean_description(description_raw);
    let (description, description_without_brace, opens_brace) = if brace_at_end {
        // With the brace at the end of the line, the description itself is already clean.
        (
            format!("{description} {{").trim().to_owned(),
            Some(description),
            true,
        )
    } else if let Some(before) = description.strip_suffix(" {") {
        // `ok 2 - name { # TODO`.
        let before = before.trim_end().to_owned();
        (description.clone(), Some(before), true)
    } else {
        (description, None, false)
    };
    Some(TestPoint {
        ok,
        number,
        description,
        description_without_brace,
        compat_description,
        directive,
        time,
        opens_brace,
    })
}

/// tap.py: `\s*(?P<description>[^#]*)`, stripped.
fn compat_description(after_number: &str) -> &str {
    let end = after_number.find('#').unwrap_or(after_number.len());
    after_number[..end].trim()
}

/// Byte index of the first `#` not preceded by an unescaped backslash.
fn first_unescaped_hash(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '#' => return Some(i),
            _ => {}
        }
    }
    None
}

/// `SKIP\S*` or `TODO` (followed by a non-word character or the end), any case, after optional
/// white space; the rest is the reason.
fn directive(after_hash: &str) -> Option<Directive> {
    let text = after_hash.trim_start();
    let head: String = text
        .chars()
        .take(4)
        .collect::<String>()
        .to_ascii_lowercase();
    let kind = match head.as_str() {
        "skip" => DirectiveKind::Skip,
        "todo" => DirectiveKind::Todo,
        _ => return None,
    };
    let after_word = &text[4..];
    if kind == DirectiveKind::Todo && after_word.starts_with(|c: char| c.is_alphanumeric()) {
        // `# TODOs` is no directive.
        return None;
    }
    // The word's remaining letters and punctuation (`Skipped:`, `TODO:`), then the reason.
    let reason_start = after_word
        .find(char::is_whitespace)
        .unwrap_or(after_word.len());
    let reason = after_word[reason_start..].trim();
    Some(Directive {
        kind,
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
    })
}

/// node-tap's `time=12.5ms` comment after a test point.
fn time_trailer(after_hash: &str) -> Option<Duration> {
    let text = after_hash.trim();
    let value = text.strip_prefix("time=")?;
    let (number, scale) = if let Some(ms) = value.strip_suffix("ms") {
        (ms, 1.0e-3)
    } else if let Some(s) = value.strip_suffix('s') {
        (s, 1.0)
    } else {
        (value, 1.0e-3)
    };
    seconds(number.trim().parse::<f64>().ok()? * scale)
}

/// Splits `reason # time=3ms` into `reason` and the time.
fn split_time_trailer(reason: &str) -> (&str, Option<Duration>) {
    if let Some(hash) = first_unescaped_hash(reason)
        && let Some(time) = time_trailer(&reason[hash + 1..])
    {
        return (reason[..hash].trim_end(), Some(time));
    }
    (reason, None)
}

/// A duration from seconds, if it is finite, not negative and not absurd.
pub(crate) fn seconds(value: f64) -> Option<Duration> {
    if value.is_finite() && (0.0..1.0e12).contains(&value) {
        Duration::try_from_secs_f64(value).ok()
    } else {
        None
    }
}

/// Removes the ` - ` separator and unescapes `\#` and `\\`.
fn clean_description(raw: &str) -> String {
    let text = raw.trim();
    let text = match text.strip_prefix('-') {
        Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => rest.trim(),
        _ => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && (next == '#' || next == '\\')
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// `1..N`, `1..N # reason`; anything else after the count makes the line non-TAP.
fn plan(line: &str) -> Option<Line<'_>> {
    let rest = line.strip_prefix("1..")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let count = rest[..digits].parse::<u64>().ok()?;
    let after = rest[digits..].trim();
    let skip = if after.is_empty() {
        None
    } else {
        let reason = after.strip_prefix('#')?.trim();
        // `1..0 # SKIP reason` / `1..0 # Skipped: reason`: keep the reason only.
        let reason = match strip_prefix_ignore_case(reason, "skip") {
            Some(rest) => {
                let start = rest.find(char::is_whitespace).unwrap_or(rest.len());
                rest[start..].trim()
            }
            None => reason,
        };
        Some(reason.to_owned())
    };
    Some(Line::Plan { count, skip })
}

fn version(line: &str) -> Option<u32> {
    let rest = strip_prefix_ignore_case(line, "tap version")?;
    if !rest.starts_with(' ') {
        return None;
    }
    rest.trim().parse().ok()
}

fn is_pragma(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("pragma ") else {
        return false;
    };
    let Some(key) = rest.trim().strip_prefix(['+', '-']) else {
        return false;
    };
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `prove -v` prints `t/name.t ..... ` (the name, a space, dots, maybe a space) before each
/// file's TAP.
fn prove_header<'a>(trimmed: &'a str, text: &'a str) -> Option<&'a str> {
    let without_dots = trimmed.trim_end_matches('.');
    let dots = trimmed.len() - without_dots.len();
    if dots < 2 || !without_dots.ends_with(' ') {
        return None;
    }
    // Only white space may follow the dots.
    if text.len() - trimmed.len() > 1 {
        return None;
    }
    // A file name: no white space, and a `/` or a `.` in it (`t/basic.t`, `test.pl`), so that
    // log lines such as `Loading ...` are not taken for headers.
    let name = without_dots.trim_end();
    let file_like = name.contains(['/', '.']) && !name.starts_with('.');
    (file_like && !name.contains(char::is_whitespace)).then_some(name)
}

/// ASCII case-insensitive `strip_prefix`.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(line: &str) -> TestPoint<'_> {
        match classify(line) {
            Line::TestPoint(p) => p,
            other => panic!("{line:?} is not a test point: {other:?}"),
        }
    }

    #[test]
    fn test_points() {
        let p = point("ok 1 - foo");
        assert!(p.ok);
        assert_eq!(p.number, Some(1));
        assert_eq!(p.description, "foo");
        assert_eq!(p.compat_description, "- foo");
        assert_eq!(p.directive, None);

        let p = point("not ok 22 bar baz");
        assert!(!p.ok);
        assert_eq!((p.number, p.description.as_str()), (Some(22), "bar baz"));

        let p = point("ok");
        assert_eq!((p.number, p.description.as_str()), (None, ""));
        let p = point("ok 4 -");
        assert_eq!((p.number, p.description.as_str()), (Some(4), ""));
        let p = point("ok - no number");
        assert_eq!((p.number, p.description.as_str()), (None, "no number"));
        let p = point("ok 5 -dash");
        assert_eq!(p.description, "-dash");
        // A number too large for u64 is dropped, not a panic.
        assert_eq!(point("ok 99999999999999999999999 - big").number, None);

        assert_eq!(classify("okay then"), Line::Other);
        assert_eq!(classify("not okay"), Line::Other);
        assert_eq!(classify("ok\tfoo"), Line::TestPoint(point("ok\tfoo")));
    }

    #[test]
    fn directives() {
        let d = |line| point(line).directive;
        let skip = |reason: Option<&str>| {
            Some(Directive {
                kind: DirectiveKind::Skip,
                reason: reason.map(str::to_owned),
            })
        };
        let todo = |reason: Option<&str>| {
            Some(Directive {
                kind: DirectiveKind::Todo,
                reason: reason.map(str::to_owned),
            })
        };
        assert_eq!(d("ok 1 # skip no net"), skip(Some("no net")));
        assert_eq!(d("ok 1 - x # SKIP"), skip(None));
        assert_eq!(d("ok 1 - x # Skipped: later"), skip(Some("later")));
        assert_eq!(d("not ok 1 - x # TODO write it"), todo(Some("write it")));
        assert_eq!(d("not ok 1 - x # todo"), todo(None));
        assert_eq!(d("not ok 1 - x # TODO: colon"), todo(Some("colon")));
        assert_eq!(d("not ok 1 - x #TODO tight"), todo(Some("tight")));
        assert_eq!(d("not ok 1 - x # TODOs are not directives"), None);
        assert_eq!(d("ok 1 - x \\# TODO escaped"), None);
        assert_eq!(
            point("ok 1 - x \\# TODO escaped").description,
            "x # TODO escaped"
        );
        assert_eq!(d("ok 1 - x # 42 is not a directive"), None);
        assert_eq!(
            point("ok 1 - x # 42 is not a directive").description,
            "x # 42 is not a directive"
        );
        assert_eq!(point("ok 1 - a \\\\ b").description, "a \\ b");
        // The directive is looked for at the first unescaped `#` only.
        assert_eq!(d("ok 1 - a # b # SKIP c"), None);
        assert_eq!(d("ok 1 - é # ŝkip multibyte"), None);
    }

    #[test]
    fn time_trailers() {
        let p = point("ok 3 - nested deeper # time=1.514ms");
        assert_eq!(p.description, "nested deeper");
        assert_eq!(p.time, Some(Duration::from_micros(1514)));
        let p = point("ok 3 - x # TODO later # time=2s");
        assert_eq!(p.directive.and_then(|d| d.reason).as_deref(), Some("later"));
        assert_eq!(p.time, Some(Duration::from_secs(2)));
        assert_eq!(point("ok 1 - x # time=-1ms").time, None);
        assert_eq!(point("ok 1 - x # time=NaNms").time, None);
        assert_eq!(point("ok 1 - x # time=1e300s").time, None);
    }

    #[test]
    fn buffered_subtest_openers() {
        let p = point("ok 1 - name {");
        assert!(p.opens_brace);
        assert_eq!(p.description_without_brace.as_deref(), Some("name"));
        assert_eq!(p.description, "name {");
        let p = point("not ok 2 - failing # time=5ms {");
        assert!(p.opens_brace);
        assert_eq!(p.description_without_brace.as_deref(), Some("failing"));
        assert_eq!(p.time, Some(Duration::from_millis(5)));
        let p = point("ok 3 - todo subtest { # TODO");
        assert!(p.opens_brace);
        assert_eq!(p.description_without_brace.as_deref(), Some("todo subtest"));
        assert!(!point("ok 4 - returns {}").opens_brace);
        assert!(!point("ok 4 - a{").opens_brace);
    }

    #[test]
    fn other_lines() {
        assert_eq!(classify("TAP version 13"), Line::Version(13));
        assert_eq!(classify("tap version 14  "), Line::Version(14));
        assert_eq!(classify("TAP version"), Line::Other);
        assert_eq!(classify("TAP versions 13"), Line::Other);
        assert_eq!(
            classify("1..5"),
            Line::Plan {
                count: 5,
                skip: None
            }
        );
        assert_eq!(
            classify("1..0 # SKIP no display"),
            Line::Plan {
                count: 0,
                skip: Some("no display".into())
            }
        );
        assert_eq!(
            classify("1..0 # Skipped: nope"),
            Line::Plan {
                count: 0,
                skip: Some("nope".into())
            }
        );
        assert_eq!(classify("1..13 A plan with text"), Line::Other);
        assert_eq!(classify("1..99999999999999999999999"), Line::Other);
        assert_eq!(classify("Bail out! db down"), Line::BailOut("db down"));
        assert_eq!(classify("Bail out!"), Line::BailOut(""));
        assert_eq!(classify("BAIL OUT!  x"), Line::BailOut("x"));
        assert_eq!(classify("pragma +strict"), Line::Pragma);
        assert_eq!(classify("pragma strict"), Line::Other);
        assert_eq!(
            classify("# Subtest: parser"),
            Line::SubtestHeader(Some("parser"))
        );
        assert_eq!(classify("# Subtest"), Line::SubtestHeader(None));
        assert_eq!(
            classify("# Subtests are fun"),
            Line::Comment("Subtests are fun")
        );
        assert_eq!(classify("#   Failed test"), Line::Comment("  Failed test"));
        assert_eq!(classify("  # indented"), Line::Comment("indented"));
        assert_eq!(classify("#"), Line::Comment(""));
        assert_eq!(classify("  ---"), Line::YamlStart);
        assert_eq!(classify("   "), Line::Blank);
        assert_eq!(classify("t/basic.t ..... "), Line::ProveHeader("t/basic.t"));
        assert_eq!(classify("t/sub.t .. "), Line::ProveHeader("t/sub.t"));
        assert_eq!(classify("t/basic.t ..... ok"), Line::Other);
        assert_eq!(classify("Waiting ..."), Line::Other);
        assert_eq!(classify("test.pl ... "), Line::ProveHeader("test.pl"));
        assert_eq!(classify("so we wait ..."), Line::Other);
        assert_eq!(classify("..."), Line::Other);
        assert_eq!(classify("Dubious, test returned 3"), Line::Other);
    }
}
