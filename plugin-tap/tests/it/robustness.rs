//! Inputs nobody wrote on purpose: random lines, random bytes, truncations, huge streams.
//! None may panic, and the bookkeeping must stay consistent.

use std::fs;
use std::io::{self, BufRead, Read};

use tcms_api::report::MAX_COMMENT_BYTES;
use tcms_tap::{Options, Parser, Results};

use crate::util::{file_name, fixtures};

const PIECES: &[&str] = &[
    "ok",
    "not ok",
    "ok 1",
    "not ok 2",
    " ",
    "  ",
    "    ",
    "\t",
    " - ",
    "-",
    " 3",
    "99999999999999999999",
    "name",
    "é",
    "🦀",
    "#",
    " # ",
    "# SKIP",
    "# skip",
    "# TODO",
    "# todo",
    "\\#",
    "\\",
    "\\\\",
    "# time=",
    "1ms",
    "{",
    "}",
    " {",
    "1..",
    "1..3",
    "1..0",
    "Bail out!",
    "bail out!",
    "TAP version 14",
    "TAP version 13",
    "TAP version",
    "pragma +strict",
    "pragma -",
    "---",
    "...",
    "# Subtest",
    "# Subtest: ",
    "message: ",
    "'",
    "\"",
    "|-",
    ">",
    "key:",
    "at:",
    "duration_ms: ",
    "1e309",
    "-5",
    "NaN",
    "t/x.t ..",
    " ..... ",
    "\r",
    "\u{feff}",
    "\0",
    ":",
];

fn random_line(rng: &mut fastrand::Rng) -> String {
    let mut line = String::new();
    for _ in 0..rng.usize(0..7) {
        line.push_str(PIECES[rng.usize(0..PIECES.len())]);
    }
    line
}

fn check_consistency(parser: &mut Parser, lines: &[String]) {
    let mut results = Vec::new();
    for line in lines {
        results.extend(parser.push_line(line));
    }
    let _ = parser.flush();
    results.extend(parser.finish());
    assert!(parser.finish().is_none(), "finish twice");
    assert!(!parser.has_pending());
    let summary = parser.summary();
    assert!(summary.results >= results.len() as u64);
    for result in &results {
        assert_eq!(result.attempts().len(), 1);
        assert!(!result.name.trim().is_empty(), "{lines:?}");
        let line = result.origin.line.unwrap_or(0);
        assert!(line >= 1 && line <= lines.len() as u64, "{lines:?}");
    }
    for doc in &summary.documents {
        let _ = doc.missing_count();
    }
}

#[test]
fn random_tap_like_lines_never_panic() {
    let mut rng = fastrand::Rng::with_seed(0x7a9_2026);
    for round in 0..3000 {
        let count = rng.usize(0..60);
        let mut lines: Vec<String> = (0..count).map(|_| random_line(&mut rng)).collect();
        // Indent some lines, to reach subtests and YAML at several depths.
        for line in &mut lines {
            if rng.u8(0..4) == 0 {
                *line = format!("{}{line}", " ".repeat(rng.usize(0..14)));
            }
        }
        let mut options = Options::default();
        options.compat_summaries = round % 2 == 1;
        let mut parser = Parser::with_options("fuzz.tap", options);
        check_consistency(&mut parser, &lines);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..500 {
        let len = rng.usize(0..400);
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.u8(0..8) {
                0 => b'\n',
                1 => b' ',
                2 => b'#',
                _ => rng.u8(..),
            })
            .collect();
        for item in Results::new(bytes.as_slice(), "bytes.tap", Options::default()) {
            if let Err(error) = item {
                assert!(error.to_string().starts_with("bytes.tap:"), "{error}");
            }
        }
    }
}

#[test]
fn every_prefix_of_every_fixture_is_read() {
    for path in fixtures() {
        let name = file_name(&path);
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for end in 0..=lines.len() {
            let mut parser = Parser::new(name.as_str());
            check_consistency(&mut parser, &lines[..end]);
        }
    }
}

#[test]
fn deep_nesting_is_bounded() {
    // 400 levels of subtests: parsed down to the depth limit, kept as text below it.
    let mut lines = Vec::new();
    for depth in 0..400 {
        lines.push(format!("{}# Subtest: level {depth}", "    ".repeat(depth)));
    }
    for depth in (0..400).rev() {
        lines.push(format!("{}ok 1 - level {depth}", "    ".repeat(depth)));
    }
    let mut parser = Parser::new("deep.tap");
    let mut results = Vec::new();
    for line in &lines {
        results.extend(parser.push_line(line));
    }
    results.extend(parser.finish());
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].name, "level 0");
}

/// A reader that makes up `count` passing tests, each followed by a comment, without holding
/// them in memory.
struct Generated {
    next: u64,
    count: u64,
    line: Vec<u8>,
    pos: usize,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Generated {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.line.len() && self.next <= self.count {
            self.line = format!("ok {0} - test {0}\n# comment for {0}\n", self.next).into_bytes();
            self.pos = 0;
            self.next += 1;
        }
        Ok(&self.line[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.line.len());
    }
}

#[test]
fn a_long_stream_is_read_in_constant_memory() {
    let count = 200_000;
    let reader = Generated {
        next: 1,
        count,
        line: Vec::new(),
        pos: 0,
    };
    let mut results = Results::new(reader, "long.tap", Options::default());
    let mut seen = 0u64;
    for item in results.by_ref() {
        let result = item.expect("result");
        seen += 1;
        assert_eq!(result.name, format!("test {seen}"));
    }
    assert_eq!(seen, count);
    let summary = results.summary();
    assert_eq!(summary.documents.len(), 1);
    assert_eq!(summary.documents[0].tests, count);
}

#[test]
fn huge_plans_and_huge_diagnostics_are_bounded() {
    let mut parser = Parser::new("big.tap");
    parser.push_line("1..18446744073709551615");
    parser.push_line("not ok 1 - chatty");
    let line = "#".to_owned() + &"x".repeat(999);
    for _ in 0..200 {
        assert!(parser.push_line(&line).is_none());
    }
    let result = parser.finish().expect("result");
    let details = result.attempts()[0].details.as_deref().expect("details");
    assert!(
        details.len() <= MAX_COMMENT_BYTES + 100,
        "{}",
        details.len()
    );
    assert!(
        details.ends_with("more bytes cut]"),
        "{}",
        &details[details.len() - 60..]
    );
    let summary = parser.summary();
    assert_eq!(summary.documents[0].missing, vec![2..=u64::MAX]);
    assert_eq!(summary.missing_count(), u64::MAX - 1);
}
