//! Results come out while the input is still being read; reading problems are errors with a
//! position; any reader chunking gives the same results.

use std::io::{self, BufReader, Read};

use tcms_api::report::Outcome;
use tcms_junit_xml::{JunitParser, ParseErrorKind, STDIN};

use crate::fixtures;
use crate::render::render;
use tcms_test_kit::io::Trickle;

/// An endless junit.xml document: a suite that never ends. Counts the bytes handed out.
struct Endless {
    produced: u64,
    pending: Vec<u8>,
    next_case: u64,
}

impl Endless {
    fn new() -> Self {
        Self {
            produced: 0,
            pending:
                b"<testsuites><testsuite name=\"endless\" timestamp=\"2024-05-01T00:00:00Z\">\n"
                    .to_vec(),
            next_case: 0,
        }
    }
}

impl Read for Endless {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pending.len() < out.len() {
            let i = self.next_case;
            self.next_case += 1;
            let case = if i % 10 == 3 {
                format!(
                    "<testcase classname=\"c\" name=\"t{i}\" time=\"0.5\"><failure message=\"m{i}\">trace</failure></testcase>\n"
                )
            } else {
                format!("<testcase classname=\"c\" name=\"t{i}\" time=\"0.5\"/>\n")
            };
            self.pending.extend_from_slice(case.as_bytes());
        }
        let n = out.len();
        out.copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        self.produced += n as u64;
        Ok(n)
    }
}

#[test]
fn yields_results_before_the_input_ends() {
    let mut source = Endless::new();
    let mut parser = JunitParser::new(BufReader::with_capacity(8 * 1024, &mut source), "endless");
    let mut names = Vec::new();
    for result in parser.by_ref().take(50_000) {
        let result = result.unwrap();
        assert_eq!(result.attempts()[0].outcome, Outcome::Passed);
        names.push(result.name);
    }
    assert_eq!(names[0], "c.t0");
    assert_eq!(names[1], "c.t1");
    assert_eq!(names[2], "c.t2");
    assert_eq!(
        names[3], "c.t4",
        "failed cases wait for the end of their suite"
    );
    drop(parser);
    // 50,000 results need 55,556 generated cases (every tenth failed case is held back until
    // its suite ends, which it never does); the parser read only a buffer's worth beyond that.
    assert!(
        source.next_case < 56_000,
        "generated {} cases ({} bytes) for 50,000 results",
        source.next_case,
        source.produced
    );
}

#[test]
fn cumulative_start_times_in_an_endless_suite() {
    let mut parser = JunitParser::new(BufReader::new(Endless::new()), "endless");
    let third = parser.nth(2).unwrap().unwrap();
    assert_eq!(
        third.attempts()[0].started.unwrap().to_rfc3339(),
        "2024-05-01T00:00:01+00:00"
    );
}

/// A reader that fails after some bytes.
struct FailingAfter<'a> {
    data: &'a [u8],
}

impl Read for FailingAfter<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::other("disk on fire"));
        }
        let n = self.data.len().min(out.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn read_errors_end_the_stream_with_a_position() {
    let xml = b"<testsuite name=\"s\">\n  <testcase classname=\"c\" name=\"a\"/>\n  <testcase classname=\"c\" name=\"b\"/>\n  <testca";
    let items: Vec<_> = JunitParser::new(
        BufReader::with_capacity(16, FailingAfter { data: xml }),
        STDIN,
    )
    .collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().name, "c.a");
    assert_eq!(items[1].as_ref().unwrap().name, "c.b");
    let err = items[2].as_ref().unwrap_err();
    assert!(matches!(err.kind(), ParseErrorKind::Read(_)), "{err}");
    assert_eq!(err.input(), "<stdin>");
    assert_eq!(err.line(), 4);
    let text = err.to_string();
    assert!(
        text.starts_with("<stdin>:4:") && text.contains("cannot read the input: disk on fire"),
        "{text}"
    );
}

#[test]
fn the_iterator_is_fused_after_an_error() {
    let mut parser = JunitParser::new(&b"<testsuite><testcase name='a'/></nope>"[..], "x.xml");
    assert!(parser.next().unwrap().is_ok());
    assert!(parser.next().unwrap().is_err());
    assert!(parser.next().is_none());
    assert!(parser.next().is_none());
}

#[test]
fn one_byte_reads_give_the_same_results_and_positions() {
    for path in fixtures::all() {
        let bytes = std::fs::read(&path).unwrap();
        let name = fixtures::short_name(&path);
        let whole: Vec<_> = JunitParser::new(bytes.as_slice(), name.as_str()).collect();
        let trickled: Vec<_> = JunitParser::new(
            BufReader::with_capacity(1, Trickle::new(&bytes)),
            name.as_str(),
        )
        .collect();
        assert_eq!(render(&trickled), render(&whole), "{name}");
    }
}

#[test]
fn open_names_the_file_in_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/errors");
    let path = dir.join("truncated.xml");
    let parser = JunitParser::open(&path).unwrap();
    assert_eq!(parser.input(), path.display().to_string());
    let last = parser.last().unwrap().unwrap_err();
    assert!(
        last.to_string()
            .starts_with(&format!("{}:9:1: unexpected end of input", path.display())),
        "{last}"
    );
    let missing = JunitParser::open(dir.join("does-not-exist.xml"));
    assert_eq!(missing.err().unwrap().kind(), io::ErrorKind::NotFound);
}
