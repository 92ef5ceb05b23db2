//! What one line of `cargo test` output is: a `Running` header, a test line, a result line,
//! a JSON event (`--format json`), with ANSI colours stripped.

use std::time::Duration;

use serde::Deserialize;

use super::Status;
use crate::naming::{normalize_target, target_of_binary};

/// Cargo's `Running ... (path/to/binary-hash)` or `Doc-tests name`: the target.
pub(super) fn header_target(line: &str) -> Option<String> {
    let trimmed = line.trim();
    if let Some(rest) = trimmed.strip_prefix("Doc-tests ") {
        let name = rest.trim();
        let word = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        return word.then(|| normalize_target(name));
    }
    let rest = trimmed.strip_prefix("Running ")?;
    // `Running unittests src/lib.rs (target/debug/deps/foo-hash)`; Cargo before 1.57 wrote
    // `Running target/debug/deps/foo-hash`.
    let path = match rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) {
        Some((_, path)) => path,
        None => rest.strip_prefix("unittests ").unwrap_or(rest),
    };
    if path.contains(char::is_whitespace) && !path.contains(['/', '\\']) {
        return None;
    }
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let file = file.strip_suffix(".exe").unwrap_or(file);
    let hashed = file.rsplit_once('-').is_some_and(|(stem, hash)| {
        !stem.is_empty() && hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
    });
    hashed.then(|| target_of_binary(path))
}

/// `running 3 tests` / `running 1 test`.
pub(super) fn running_count(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("running ")?;
    let (n, word) = rest.trim_end().split_once(' ')?;
    matches!(word, "tests" | "test")
        .then(|| n.parse().ok())
        .flatten()
}

/// `test result: ok. 1 passed; 0 failed; 2 ignored; 0 measured; ...`: passed + failed +
/// ignored + measured.
pub(super) fn result_counts(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("test result: ")?;
    let (_, counts) = rest.split_once(". ")?;
    let mut total = 0;
    let mut complete = false;
    for part in counts.split(';') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        if matches!(what, "passed" | "failed" | "ignored" | "measured") {
            total += n.parse::<usize>().ok()?;
            // A line cut short (`test result: ok. 1 p`) is not a summary.
            complete |= what == "failed";
        }
    }
    complete.then_some(total)
}

/// `---- NAME stdout ----` (libtest) or `---- NAME ----` (libtest-mimic): NAME.
pub(super) fn output_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("---- ")?.strip_suffix(" ----")?;
    Some(
        rest.strip_suffix(" stdout")
            .or_else(|| rest.strip_suffix(" stderr"))
            .unwrap_or(rest),
    )
}

/// `test NAME has been running for over 60 seconds`.
pub(super) fn is_long_running_note(line: &str) -> bool {
    line.starts_with("test ") && line.ends_with(" has been running for over 60 seconds")
}

/// `    Starting 13 tests across 4 binaries` (cargo nextest).
pub(super) fn is_nextest_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("Starting ") && t.contains(" tests across ") && t.contains(" binar")
}

/// `test NAME ... REST`: the name (without ` - should panic` and the like) and REST.
pub(super) fn split_test_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("test ")?;
    let (name, after) = match rest.split_once(" ... ") {
        Some(split) => split,
        None => (rest.trim_end().strip_suffix(" ...")?, ""),
    };
    // libtest-mimic pads names with spaces to align the statuses (and, when a trial has a
    // kind, the names of the trials without one).
    let name = strip_mode(name.trim());
    (!name.is_empty()).then_some((name, after))
}

/// The name without libtest's ` - should panic`, ` - compile fail` or ` - compile`, and
/// without a libtest-mimic `[kind] ` prefix.
pub(super) fn strip_mode(name: &str) -> &str {
    let name = [" - should panic", " - compile fail", " - compile"]
        .iter()
        .find_map(|m| name.strip_suffix(m))
        .unwrap_or(name);
    match name.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((_, rest)) if !rest.is_empty() => rest,
        _ => name,
    }
}

/// A status after ` ... `: `ok`, `FAILED`, `ignored`, `ignored, reason`, `bench: ...`,
/// optionally followed by a `--report-time` duration (`ok <0.012s>`).
pub(super) fn parse_status(text: &str) -> Option<(Status, Option<Duration>)> {
    let text = text.trim_end();
    let (text, duration) = split_duration(text);
    let status = match text {
        "ok" => Status::Ok,
        "ignored" => Status::Ignored(None),
        "FAILED" => Status::Failed(None),
        _ => {
            if let Some(reason) = text.strip_prefix("ignored, ") {
                Status::Ignored(Some(reason.to_owned()))
            } else if let Some(reason) = text
                .strip_prefix("ignored (")
                .and_then(|r| r.strip_suffix(')'))
            {
                // libtest-mimic: `ignored (reason)`.
                Status::Ignored(Some(reason.to_owned()))
            } else if let Some(bench) = text.strip_prefix("bench:") {
                Status::Bench(bench.trim().to_owned())
            } else if let Some(why) = text.strip_prefix("FAILED (") {
                Status::Failed(Some(why.trim_end_matches(')').to_owned()))
            } else {
                return None;
            }
        }
    };
    Some((status, duration))
}

/// Splits ` <1.234s>` off the end.
pub(super) fn split_duration(text: &str) -> (&str, Option<Duration>) {
    if let Some(inner) = text.strip_suffix("s>")
        && let Some((before, secs)) = inner.rsplit_once(" <")
        && let Ok(value) = secs.parse::<f64>()
    {
        return (before, seconds(value));
    }
    (text, None)
}

pub(super) fn seconds(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

/// A line of a pending test that ends with its status (`...outputok`, `FAILED`): the text
/// before the status, the status, the duration.
pub(super) fn trailing_status(line: &str) -> Option<(&str, Status, Option<Duration>)> {
    let trimmed = line.trim_end();
    let (text, duration) = split_duration(trimmed);
    for (word, status) in [("ok", Status::Ok), ("FAILED", Status::Failed(None))] {
        if let Some(prefix) = text.strip_suffix(word) {
            return Some((prefix, status, duration));
        }
    }
    if let Some(at) = text.rfind("FAILED (")
        && text.ends_with(')')
    {
        let why = text[at + "FAILED (".len()..text.len() - 1].to_owned();
        return Some((&text[..at], Status::Failed(Some(why)), duration));
    }
    None
}

/// `output without newlinetest NAME ... STATUS`: a complete result after test output.
pub(super) fn embedded_result(line: &str) -> Option<(&str, Status, Option<Duration>)> {
    let mut first = None;
    for (at, _) in line.match_indices("test ").filter(|(at, _)| *at > 0) {
        let Some((name, rest)) = split_test_line(&line[at..]) else {
            continue;
        };
        let Some((status, duration)) = parse_status(rest) else {
            continue;
        };
        if !name.contains(char::is_whitespace) {
            return Some((name, status, duration));
        }
        first.get_or_insert((name, status, duration));
    }
    first
}

/// Where a JSON event starts in the line (after any test output), if it has one.
pub(super) fn json_start(line: &str) -> Option<usize> {
    ["{ \"type\":", "{\"type\":"]
        .iter()
        .filter_map(|p| line.find(p))
        .min()
}

/// One libtest JSON event (fields of every type; absent ones are `None`).
#[derive(Debug, Deserialize)]
pub(super) struct Event {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) event: Option<String>,
    pub(super) name: Option<String>,
    pub(super) test_count: Option<u64>,
    pub(super) passed: Option<u64>,
    pub(super) failed: Option<u64>,
    pub(super) ignored: Option<u64>,
    pub(super) measured: Option<u64>,
    pub(super) exec_time: Option<f64>,
    pub(super) stdout: Option<String>,
    pub(super) message: Option<String>,
    pub(super) median: Option<f64>,
    pub(super) deviation: Option<f64>,
}

pub(super) fn join_trimmed(lines: &[String]) -> String {
    lines.join("\n").trim_matches('\n').trim_end().to_owned()
}

/// Removes ANSI escape sequences (`CARGO_TERM_COLOR=always`).
pub(super) fn strip_ansi(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
    }
    std::borrow::Cow::Owned(out)
}
