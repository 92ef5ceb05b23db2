//! Reading output as it comes: copied to standard output, split into lines for the parser,
//! results (and, live, planned counts and started tests) handed to the live reporter.

use std::io::{self, Read};
use std::process::ExitStatus;

use chrono::Utc;
use tcms_cargo_test::libtest::{LibtestParser, LiveEvent, Problem};
use tcms_cargo_test::live::LiveReporter;
use tcms_cli::progress::ProgressLine;

/// What [`lines`] hands on.
pub(crate) enum Piece<'a> {
    /// A whole line (without its newline), or the unterminated last one at the end.
    Line(&'a str),
    /// The start of a line whose end has not arrived yet (`test NAME ... ` before its status).
    Partial(&'a str),
}

/// Reads `reader` to its end as it comes: each chunk first goes to `copy` (which returns
/// false to stop copying: a closed output stops the copy, not the reading), then its lines
/// to `on`, then what has arrived of the next line.
pub(crate) fn lines(
    mut reader: impl Read,
    mut copy: impl FnMut(&[u8]) -> bool,
    mut on: impl FnMut(Piece<'_>),
) -> io::Result<()> {
    let mut copying = true;
    let mut buf = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::new();
    let outcome = loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        };
        let chunk = &buf[..n];
        if copying {
            copying = copy(chunk);
        }
        let mut rest = chunk;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&rest[..i]);
            on(Piece::Line(&String::from_utf8_lossy(&line)));
            line.clear();
            rest = &rest[i + 1..];
        }
        line.extend_from_slice(rest);
        if !line.is_empty() {
            on(Piece::Partial(&String::from_utf8_lossy(&line)));
        }
    };
    if !line.is_empty() {
        on(Piece::Line(&String::from_utf8_lossy(&line)));
    }
    outcome
}

/// Reads `reader` to its end; with `echo`, every chunk is written to standard output as soon
/// as it is read, past the `progress` line.
pub(crate) fn pump(
    reader: impl Read,
    echo: bool,
    parser: &mut LibtestParser,
    live: &mut LiveReporter,
    progress: &ProgressLine,
) -> io::Result<()> {
    let mut results = Vec::new();
    lines(
        reader,
        |chunk| echo && progress.write_stdout(chunk).is_ok(),
        |piece| {
            match piece {
                Piece::Line(line) => parser.line(line, Utc::now(), &mut results),
                // `test NAME ... ` waits for its status on the same line: the test runs now.
                Piece::Partial(line) => parser.partial(line, Utc::now()),
            }
            hand_over(parser, &mut results, live);
        },
    )
}

/// What the parser has for the reporter: its events first, then the results.
fn hand_over(
    parser: &mut LibtestParser,
    results: &mut Vec<tcms_api::report::TestResult>,
    live: &mut LiveReporter,
) {
    for event in parser.take_events() {
        match event {
            LiveEvent::Planned(n) => live.planned(n),
            LiveEvent::Started(test) => live.started(*test),
            _ => {}
        }
    }
    for result in results.drain(..) {
        live.submit(result);
    }
}

/// Ends the parse: what the end of the input settles goes to the reporter, and why the test
/// run is incomplete (a crashed test binary) to the run's notes.
pub(crate) fn finish(parser: LibtestParser, live: &mut LiveReporter) -> Vec<Problem> {
    let mut results = Vec::new();
    let problems = parser.finish(Utc::now(), &mut results);
    for result in results {
        live.submit(result);
    }
    for problem in problems.iter().filter(|p| p.is_incomplete()) {
        live.add_run_note(format!("tcms-cargo-test: {problem}"));
    }
    problems
}

/// A command's exit status as a shell shows it: its code, or 128 + the signal that ended it.
pub(crate) fn exit_status_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        // A failure whose low byte is 0 (possible on Windows) must not read as success.
        return match u8::try_from(code & 0xff) {
            Ok(0) if code != 0 => 1,
            Ok(low) => low,
            Err(_) => 1,
        };
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return u8::try_from((128 + signal) & 0xff).unwrap_or(1);
        }
    }
    1
}
