//! Reading from a [`BufRead`]: the iterator and the whole-text helper.

use std::io::{self, BufRead};

use tcms_api::report::TestResult;

use crate::error::ParseError;
use crate::mapping::Options;
use crate::parser::Parser;
use crate::summary::Summary;

/// An iterator over the results of a TAP stream, read line by line from a [`BufRead`] (a pipe
/// is reported as it goes; memory does not grow with the input). It yields each result as soon
/// as it is complete and calls [`Parser::finish`] at the end of the input. If the input cannot
/// be read (not UTF-8, an I/O error), it yields the `Err` once, then the result that was
/// pending before the bad line (if any), then ends.
///
/// ```
/// use tcms_tap::{Options, Results};
///
/// let input = "TAP version 13\n1..2\nok 1 - a\nnot ok 2 - b\n";
/// let mut results = Results::new(input.as_bytes(), "example.tap", Options::default());
/// let names: Vec<String> = results.by_ref().map(|r| r.unwrap().name).collect();
/// assert_eq!(names, ["a", "b"]);
/// assert!(results.summary().is_complete());
/// ```
#[derive(Debug)]
pub struct Results<R> {
    reader: R,
    parser: Parser,
    buffer: Vec<u8>,
    done: bool,
    failed: bool,
}

impl<R: BufRead> Results<R> {
    /// Reads `reader`, naming it `source`.
    pub fn new(reader: R, source: impl Into<String>, options: Options) -> Self {
        Self::with_parser(reader, Parser::with_options(source, options))
    }

    /// Reads `reader` into an existing parser.
    pub fn with_parser(reader: R, parser: Parser) -> Self {
        Self {
            reader,
            parser,
            buffer: Vec::new(),
            done: false,
            failed: false,
        }
    }

    /// The parser (for [`Parser::has_pending`], [`Parser::bailed_out`]).
    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// The state of the stream so far; complete once the iterator returned `None`.
    pub fn summary(&self) -> Summary {
        self.parser.summary()
    }

    /// The parser, to read its summary after the iteration.
    pub fn into_parser(self) -> Parser {
        self.parser
    }
}

impl<R: BufRead> Iterator for Results<R> {
    type Item = Result<TestResult, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            self.failed = false;
            return self.parser.finish().map(Ok);
        }
        while !self.done {
            self.buffer.clear();
            match self.reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => {
                    self.done = true;
                    return self.parser.finish().map(Ok);
                }
                Ok(_) => {
                    let mut line = self.buffer.as_slice();
                    if let Some(rest) = line.strip_suffix(b"\n") {
                        line = rest;
                    }
                    match self.parser.push_bytes(line) {
                        Ok(Some(result)) => return Some(Ok(result)),
                        Ok(None) => {}
                        Err(error) => {
                            self.done = true;
                            self.failed = true;
                            return Some(Err(error));
                        }
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    self.done = true;
                    self.failed = true;
                    return Some(Err(ParseError::Io {
                        input: self.parser.source().to_owned(),
                        line: self.parser.lines() + 1,
                        error,
                    }));
                }
            }
        }
        None
    }
}

impl<R: BufRead> std::iter::FusedIterator for Results<R> {}

/// Parses a whole text: every result, then the summary.
pub fn parse_str(source: &str, text: &str, options: Options) -> (Vec<TestResult>, Summary) {
    let mut parser = Parser::with_options(source, options);
    // Lines cut as `Results` cuts them (at `\n` only; `push_line` removes the `\n` and one `\r`),
    // so that both read `\r\r\n` the same: `str::lines` would remove `\r\n` and then
    // `push_line` another `\r`.
    let mut results: Vec<TestResult> = text
        .split_inclusive('\n')
        .filter_map(|l| parser.push_line(l))
        .collect();
    results.extend(parser.finish());
    let summary = parser.summary();
    (results, summary)
}
