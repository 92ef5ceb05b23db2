//! Measures the parser on large inputs.
//!
//! ```text
//! cargo run --release -p plugin-junit-xml --example parse_bench -- gen 100000 /tmp/big.xml
//! /usr/bin/time -v target/release/examples/parse_bench parse /tmp/big.xml
//! ```
//!
//! `gen CASES PATH` writes a synthetic junit.xml of realistic weight (about 500 bytes per case:
//! stack traces, captured output, properties, nested suites; 100,000 cases is about 50 MB).
//! `parse PATH...` (`-` for standard input) parses each input and prints the counts, the time
//! and the throughput; run it under `/usr/bin/time -v` for the maximum resident set size.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use tcms_api::report::Verdict;
use tcms_junit_xml::{JunitParser, STDIN};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("gen") if args.len() == 3 => match args[1].parse() {
            Ok(cases) => generate(cases, &args[2]),
            Err(e) => Err(io::Error::other(format!("bad case count: {e}"))),
        },
        Some("parse") if args.len() > 1 => parse(&args[1..]),
        _ => {
            eprintln!("usage: parse_bench gen CASES PATH | parse PATH...");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parse_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(paths: &[String]) -> io::Result<()> {
    for path in paths {
        let bytes = if path == "-" {
            0
        } else {
            std::fs::metadata(path)?.len()
        };
        let started = Instant::now();
        let results: Box<dyn Iterator<Item = _>> = if path == "-" {
            Box::new(JunitParser::new(io::stdin().lock(), STDIN))
        } else {
            Box::new(JunitParser::open(path)?)
        };
        let (mut total, mut attempts, mut failed, mut flaky) = (0u64, 0u64, 0u64, 0u64);
        let mut text_bytes = 0u64;
        for result in results {
            let result = result.map_err(io::Error::other)?;
            total += 1;
            attempts += result.attempts().len() as u64;
            match result.verdict() {
                Verdict::Plain(o) if o.is_failure() => failed += 1,
                Verdict::Flaky => flaky += 1,
                Verdict::Plain(_) => {}
            }
            for a in result.attempts() {
                for text in [&a.message, &a.details, &a.stdout, &a.stderr]
                    .into_iter()
                    .flatten()
                {
                    text_bytes += text.len() as u64;
                }
            }
        }
        let elapsed = started.elapsed();
        let secs = elapsed.as_secs_f64();
        println!(
            "{path}: {total} results ({attempts} attempts, {failed} failed/error, {flaky} flaky, \
             {text_bytes} bytes of text) in {secs:.3} s: {:.0} results/s, {:.1} MB/s",
            total as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
    Ok(())
}

fn generate(cases: u64, path: &str) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="bench" tests="{cases}" timestamp="2024-05-01T12:00:00Z">"#
    )?;
    let per_suite = 200;
    let mut case = 0;
    while case < cases {
        let suite = case / per_suite;
        writeln!(
            out,
            r#"  <testsuite name="com.example.module{suite}.ServiceTest" tests="{per_suite}" timestamp="2024-05-01T12:{:02}:00.123456" hostname="ci-runner-7">"#,
            suite % 60
        )?;
        writeln!(
            out,
            r#"    <properties><property name="java.version" value="17.0.9"/><property name="module" value="module{suite}"/></properties>"#
        )?;
        writeln!(out, r#"    <testsuite name="nested{suite}">"#)?;
        let end = (case + per_suite).min(cases);
        while case < end {
            write_case(&mut out, case, suite)?;
            case += 1;
        }
        writeln!(out, "    </testsuite>")?;
        writeln!(
            out,
            "    <system-out><![CDATA[suite {suite} started\nsuite {suite} finished]]></system-out>"
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")?;
    out.flush()
}

fn write_case(out: &mut impl Write, i: u64, suite: u64) -> io::Result<()> {
    let attrs = format!(
        r#"classname="com.example.module{suite}.ServiceTest" name="shouldHandleRequest_{i:07}[variant é {}]" time="0.{:03}" file="src/test/java/com/example/module{suite}/ServiceTest.java""#,
        i % 7,
        i % 997
    );
    let trace: String = (0..15)
        .map(|f| {
            format!(
                "\tat com.example.module{suite}.Service.step{f}(Service.java:{})\n",
                100 + f
            )
        })
        .collect();
    match i % 20 {
        // 15% failures with a stack trace and output.
        1 | 8 | 12 => writeln!(
            out,
            r#"      <testcase {attrs}><failure message="expected: &lt;{i}&gt; but was: &lt;{}&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected: <{i}> but was: <{}>
{trace}]]></failure><system-out><![CDATA[request {i} sent
response {i} received & checked]]></system-out></testcase>"#,
            i + 1,
            i + 1
        ),
        // 5% errors.
        5 => writeln!(
            out,
            r#"      <testcase {attrs}><error message="Connection refused" type="java.net.ConnectException">java.net.ConnectException: Connection refused
{trace}</error><system-err>WARN retrying {i}</system-err></testcase>"#
        ),
        // 5% flaky: failed once, then passed.
        9 => writeln!(
            out,
            r#"      <testcase {attrs}><flakyFailure message="timeout" type="java.util.concurrent.TimeoutException"><stackTrace>java.util.concurrent.TimeoutException: timeout
{trace}</stackTrace><system-out>first run of {i}</system-out></flakyFailure></testcase>"#
        ),
        // 10% skipped.
        3 | 14 => writeln!(
            out,
            r#"      <testcase {attrs}><skipped message="requires the network"/></testcase>"#
        ),
        // 65% passed, a third of them with output.
        n if n % 3 == 0 => writeln!(
            out,
            r#"      <testcase {attrs}><system-out>log line for {i}: all good</system-out></testcase>"#
        ),
        _ => writeln!(out, r#"      <testcase {attrs}/>"#),
    }
}
