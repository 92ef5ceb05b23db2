//! A compact, stable text rendering of parse results, for the `.expected` files.

use std::fmt::Write;

use tcms_api::report::{Attempt, TestResult, Verdict};
use tcms_junit_xml::ParseError;

/// Renders every item the parser yielded.
pub(crate) fn render(items: &[Result<TestResult, ParseError>]) -> String {
    let results = items.iter().filter(|i| i.is_ok()).count();
    let errors = items.len() - results;
    let mut out = format!("# {results} results, {errors} errors\n");
    for item in items {
        match item {
            Ok(result) => render_result(&mut out, result),
            Err(error) => writeln!(out, "\nERROR {error}").unwrap(),
        }
    }
    out
}

fn render_result(out: &mut String, r: &TestResult) {
    let verdict = match r.verdict() {
        Verdict::Plain(o) => format!("{o:?}"),
        Verdict::Flaky => "Flaky".to_owned(),
    };
    writeln!(out, "\n{:?} => {verdict}", r.name).unwrap();
    let o = &r.origin;
    writeln!(
        out,
        "  origin: suite={} class={} file={} line={}",
        opt(&o.suite),
        opt(&o.class),
        opt(&o.file),
        o.line.map_or("-".to_owned(), |l| l.to_string())
    )
    .unwrap();
    if let Some(l) = &o.location {
        let number = |n: Option<u64>| n.map_or("-".to_owned(), |n| n.to_string());
        writeln!(
            out,
            "  location: {:?} line={} column={}",
            l.file,
            number(l.line),
            number(l.column)
        )
        .unwrap();
    }
    for (k, v) in &r.properties {
        writeln!(out, "  property {k:?} = {v:?}").unwrap();
    }
    for (i, a) in r.attempts().iter().enumerate() {
        render_attempt(out, i + 1, a);
    }
}

fn render_attempt(out: &mut String, n: usize, a: &Attempt) {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_owned(), |t| {
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
    };
    writeln!(
        out,
        "  attempt {n}: {:?} started={} stopped={} duration={}",
        a.outcome,
        time(a.started),
        time(a.stopped),
        a.duration.map_or("-".to_owned(), |d| format!("{d:?}"))
    )
    .unwrap();
    for (label, value) in [
        ("message", &a.message),
        ("details", &a.details),
        ("stdout", &a.stdout),
        ("stderr", &a.stderr),
    ] {
        if let Some(text) = value {
            writeln!(out, "    {label}: {text:?}").unwrap();
        }
    }
}

fn opt(value: &Option<String>) -> String {
    value.as_ref().map_or("-".to_owned(), |v| format!("{v:?}"))
}
