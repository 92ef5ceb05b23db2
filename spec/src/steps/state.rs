//! Assertions on what the report returned and on what landed in the server.

use std::collections::BTreeMap;

use serde_json::Value;
use tcms_api::Error;
use tcms_api::report::{KiwiStatus, ReportError};
use tcms_cli::{CliError, exit};

use super::{
    Args, Expect, StepFn, cell, check, pairs, parse_expect, quoted_list, records, resolve_ref,
};
use crate::world::World;

/// The state step table.
pub(super) const STEPS: &[(&str, StepFn)] = &[
    (r"the report succeeds", succeeds),
    (
        r"the report fails with an? (settings|server) error",
        fails_with,
    ),
    (
        r"the report fails because what the environment names does not fit",
        fails_invalid,
    ),
    (r"the error message contains {Q}", error_contains),
    (r"the plugin exits with status (\d+)", exit_status),
    (
        r"the plugin (reused|added) the (product|version|build|test plan|test run) {Q}",
        record_line,
    ),
    (
        r"the server has (\d+) (products?|classifications?|versions?|builds?|test plans?|test runs?|test cases?|executions?|comments?)",
        count,
    ),
    (r"the product {Q} has the versions (.+)", versions),
    (r"the test plan {Q} has the test cases (.+)", plan_cases),
    (
        r"(?:the test run {Q}|the reported test run) has the executions:",
        executions,
    ),
    (
        r"the (product|version|build|test plan|test run|test case) {Q} has:",
        record_has,
    ),
    (r"the execution of {Q} has:", execution_has),
    (r"the execution of {Q} has no comment", no_comment),
    (r"the execution of {Q} has (\d+) comments?", comment_count),
    (r"the execution of {Q} has the comment {Q}", has_comment),
    (r"the comment on {Q} contains {Q}", comment_contains),
    (
        r"the execution of {Q} has the properties (.+)",
        execution_properties,
    ),
    (
        r"the execution of {Q} has no property",
        no_execution_property,
    ),
    (r"the execution of {Q} has (\d+) links? to {Q}", link_count),
    (
        r"the execution of {Q} has the attachment {Q}",
        has_attachment,
    ),
    (r"the execution of {Q} has no attachment", no_attachment),
    (
        r"the reported test run has the properties (.+)",
        run_properties,
    ),
    (r"the reported test run has no property", no_run_property),
    (
        r"the notes of the reported test run contain {Q}",
        run_notes_contain,
    ),
    (r"the summary counts:", summary_counts),
    (r"the summary counts (\d+) flaky", summary_flaky),
    (
        r"the summary reports (\d+) cases?, (\d+) created",
        summary_cases,
    ),
    (r"the summary says it would report", summary_dry),
    (
        r"the summary says {Q} was not reported because {Q}",
        summary_failure,
    ),
];

fn succeeds(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    let summary = world.summary()?;
    if summary.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("results were not reported: {:?}", summary.failures))
    }
}

fn fails_with(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let error = world.report_error()?;
    let ok = match args.get(1) {
        "settings" => matches!(error, ReportError::Settings(_)),
        _ => matches!(error, ReportError::Api(_)),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected a {} error, got: {error:?}", args.get(1)))
    }
}

fn fails_invalid(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    match world.report_error()? {
        ReportError::Target(_) => Ok(()),
        other => Err(format!("expected a Target error, got: {other:?}")),
    }
}

/// The message of the last error: of the report, else of loading the configuration.
fn error_text(world: &World) -> Result<String, String> {
    if let Some(Err(e)) = &world.config {
        return Ok(e.to_string());
    }
    world.report_error().map(|e| e.to_string())
}

fn error_contains(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let text = error_text(world)?;
    if text.contains(args.get(1)) {
        Ok(())
    } else {
        Err(format!("the error message is: {text}"))
    }
}

/// The exit code the plugins' shared command-line layer (`tcms_cli`) gives the last
/// error (of loading the configuration, else of the report), or a finished report (1 when
/// some results were not reported).
fn exit_status(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let code = match world.config.take() {
        Some(Err(e)) => {
            let error = CliError::from(Error::from(e));
            let code = error.exit_code();
            if let CliError::Report(ReportError::Api(Error::Config(e))) = error {
                world.config = Some(Err(e));
            }
            code
        }
        other => {
            world.config = other;
            match world.report.take() {
                Some(Err(e)) => {
                    let error = CliError::from(e);
                    let code = error.exit_code();
                    if let CliError::Report(e) = error {
                        world.report = Some(Err(e));
                    }
                    code
                }
                Some(Ok(summary)) => {
                    let code = exit::for_summary(&summary);
                    world.report = Some(Ok(summary));
                    code
                }
                None => return Err("neither the configuration nor a report failed".into()),
            }
        }
    };
    if code.to_string() == args.get(1) {
        Ok(())
    } else {
        Err(format!("the exit status is {code}"))
    }
}

fn record_line(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let created = args.get(1) == "added";
    let kind = match args.get(2) {
        "product" => "Product",
        "version" => "Version",
        "build" => "Build",
        "test plan" => "TP",
        _ => "TR",
    };
    let id = resolve_ref(
        world,
        &format!("{} \"{}\"", args.get(2), args.get(3).replace('"', "\\\"")),
    )?;
    let summary = world.summary()?;
    let record = summary
        .records
        .iter()
        .find(|r| r.kind() == kind && r.id() == Some(id))
        .ok_or_else(|| {
            format!(
                "the report used no {kind} {id}; its records: {:?}",
                summary.records
            )
        })?;
    if record.is_new() != created {
        return Err(format!(
            "expected {} {kind} {id}, the record is {record:?}",
            args.get(1)
        ));
    }
    let verb = if created { "added" } else { "reuse" };
    let line = record.verbose_line();
    let expected = match kind {
        "TP" | "TR" => format!("{verb}: {kind}-{id}"),
        _ => format!("{verb}: {kind} {id} ("),
    };
    if line.starts_with(&expected) {
        Ok(())
    } else {
        Err(format!(
            "the verbose line is {line:?}, expected {expected:?}"
        ))
    }
}

fn count(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let expected: usize = args
        .get(1)
        .parse()
        .map_err(|_| format!("not a number: {}", args.get(1)))?;
    let word = args.get(2);
    let kind = word.strip_suffix('s').unwrap_or(word);
    let actual = world.kiwi()?.db().count(kind)?;
    if actual == expected {
        Ok(())
    } else {
        Err(format!("the server has {actual} {word}"))
    }
}

fn versions(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let expected = quoted_list(args.get(2))?;
    let db = world.kiwi()?.db();
    let product = db.find("product", args.get(1), None)?;
    let actual = db.version_values(product);
    if actual == expected {
        Ok(())
    } else {
        Err(format!("the versions are {actual:?}"))
    }
}

fn plan_cases(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let mut expected = quoted_list(args.get(2))?;
    let db = world.kiwi()?.db();
    let plan = db.find("test plan", args.get(1), None)?;
    let mut actual: Vec<String> = db
        .plan_case_summaries(plan)
        .into_iter()
        .map(str::to_owned)
        .collect();
    actual.sort();
    expected.sort();
    if actual == expected {
        Ok(())
    } else {
        Err(format!("the plan's cases are {actual:?}"))
    }
}

/// Columns: `case`, `status`, optionally `tested_by` (a user name). Every execution of the
/// run must be listed, one per case.
fn executions(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let run = match args.opt(1) {
        Some(name) => resolve_ref(
            world,
            &format!("test run \"{}\"", name.replace('"', "\\\"")),
        )?,
        None => resolve_ref(world, "the test run of the last report")?,
    };
    let rows = records(args.table()?)?;
    let db = world.kiwi()?.db();
    let actual: Vec<(String, String, String)> = db
        .executions_of(run)
        .iter()
        .map(|e| {
            (
                db.case_summary(e.case).unwrap_or("?").to_owned(),
                db.status_name(e.status).unwrap_or("?").to_owned(),
                e.tested_by
                    .and_then(|t| db.user_name(t))
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    if actual.len() != rows.len() {
        problems.push(format!(
            "{} executions, expected {}",
            actual.len(),
            rows.len()
        ));
    }
    for row in &rows {
        let case = super::unescape(cell(row, "case").ok_or("the table needs a `case` column")?);
        let status = cell(row, "status").ok_or("the table needs a `status` column")?;
        let found: Vec<&(String, String, String)> =
            actual.iter().filter(|(c, _, _)| *c == case).collect();
        match found.as_slice() {
            [(_, s, tester)] => {
                if s != status {
                    problems.push(format!("{case:?} is {s}, expected {status}"));
                }
                if let Some(expected) = cell(row, "tested_by")
                    && tester != expected
                {
                    problems.push(format!(
                        "{case:?} was tested by {tester:?}, expected {expected:?}"
                    ));
                }
            }
            [] => problems.push(format!("no execution of {case:?}")),
            more => problems.push(format!("{} executions of {case:?}", more.len())),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}; the run's executions (case, status, tested by): {actual:?}",
            problems.join("; ")
        ))
    }
}

/// Checks a record (as its `filter` returns it) against a `field | expectation` table.
fn check_record(world: &World, record: &Value, table: &[Vec<String>]) -> Result<(), String> {
    let mut problems = Vec::new();
    for (field, cell) in pairs(table)? {
        let expect: Expect = parse_expect(world, cell)?;
        if let Err(e) = check(&expect, record.get(field)) {
            problems.push(format!("{field}: {e}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; the record: {record}", problems.join("; ")))
    }
}

fn record_has(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let kind = args.get(1);
    let id = resolve_ref(
        world,
        &format!("{kind} \"{}\"", args.get(2).replace('"', "\\\"")),
    )?;
    let record = world.kiwi()?.db().record_json(kind, id)?;
    check_record(world, &record, args.table()?)
}

/// The one execution of the case named `case`: in the last report's run if there is one.
fn execution_of(world: &World, case: &str) -> Result<i64, String> {
    let run = world.summary().ok().and_then(|s| s.run_id).map(|r| r.get());
    let db = world.kiwi()?.db();
    let found: Vec<i64> = db
        .executions_named(case)
        .iter()
        .filter(|e| run.is_none_or(|r| e.run == r))
        .map(|e| e.id)
        .collect();
    match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(format!("no execution of {case:?}")),
        more => Err(format!("{} executions of {case:?}", more.len())),
    }
}

fn execution_has(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let id = execution_of(world, args.get(1))?;
    let record = world.kiwi()?.db().record_json("execution", id)?;
    check_record(world, &record, args.table()?)
}

fn comments(world: &World, case: &str) -> Result<Vec<String>, String> {
    let id = execution_of(world, case)?;
    Ok(world
        .kiwi()?
        .db()
        .comments_of(id)
        .into_iter()
        .map(str::to_owned)
        .collect())
}

fn no_comment(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = comments(world, args.get(1))?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("the execution has the comments {found:?}"))
    }
}

fn comment_count(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = comments(world, args.get(1))?;
    if found.len().to_string() == args.get(2) {
        Ok(())
    } else {
        Err(format!("the execution has the comments {found:?}"))
    }
}

fn has_comment(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = comments(world, args.get(1))?;
    if found.iter().any(|c| c == args.get(2)) {
        Ok(())
    } else {
        Err(format!("the execution has the comments {found:?}"))
    }
}

fn comment_contains(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = comments(world, args.get(1))?;
    if found.iter().any(|c| c.contains(args.get(2))) {
        Ok(())
    } else {
        Err(format!(
            "no comment contains the text; the comments: {found:?}"
        ))
    }
}

/// `name=value, name=value` as a sorted list.
fn pairs_list(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = text
        .split(", ")
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect();
    out.sort();
    out
}

fn execution_property_list(world: &World, case: &str) -> Result<Vec<(String, String)>, String> {
    let id = execution_of(world, case)?;
    let mut found: Vec<(String, String)> = world
        .kiwi()?
        .db()
        .execution_properties
        .iter()
        .filter(|p| p.owner == id)
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    found.sort();
    Ok(found)
}

fn execution_properties(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = execution_property_list(world, args.get(1))?;
    let wanted = pairs_list(args.get(2));
    if found == wanted {
        Ok(())
    } else {
        Err(format!("the execution has the properties {found:?}"))
    }
}

fn no_execution_property(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = execution_property_list(world, args.get(1))?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("the execution has the properties {found:?}"))
    }
}

fn link_count(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let id = execution_of(world, args.get(1))?;
    let wanted: usize = args.get(2).parse().map_err(|_| "not a number")?;
    let links: Vec<String> = world
        .kiwi()?
        .db()
        .links
        .iter()
        .filter(|l| l.execution == id)
        .map(|l| l.url.clone())
        .collect();
    let n = links.iter().filter(|u| *u == args.get(3)).count();
    if n == wanted {
        Ok(())
    } else {
        Err(format!("the execution has the links {links:?}"))
    }
}

fn attachments_of(world: &World, case: &str) -> Result<Vec<String>, String> {
    let id = execution_of(world, case)?;
    Ok(world
        .kiwi()?
        .db()
        .attachments
        .iter()
        .filter(|a| a.model == "TestExecution" && a.owner == id)
        .map(|a| a.filename.clone())
        .collect())
}

fn has_attachment(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = attachments_of(world, args.get(1))?;
    if found.iter().any(|f| f == args.get(2)) {
        Ok(())
    } else {
        Err(format!("the execution has the attachments {found:?}"))
    }
}

fn no_attachment(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = attachments_of(world, args.get(1))?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("the execution has the attachments {found:?}"))
    }
}

fn reported_run(world: &World) -> Result<i64, String> {
    world
        .summary()?
        .run_id
        .map(|r| r.get())
        .ok_or_else(|| "the report has no run".to_owned())
}

fn run_property_list(world: &World) -> Result<Vec<(String, String)>, String> {
    let run = reported_run(world)?;
    let mut found: Vec<(String, String)> = world
        .kiwi()?
        .db()
        .run_properties
        .iter()
        .filter(|p| p.owner == run)
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    found.sort();
    Ok(found)
}

fn run_properties(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let found = run_property_list(world)?;
    if found == pairs_list(args.get(1)) {
        Ok(())
    } else {
        Err(format!("the run has the properties {found:?}"))
    }
}

fn no_run_property(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    let found = run_property_list(world)?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("the run has the properties {found:?}"))
    }
}

fn run_notes_contain(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let run = reported_run(world)?;
    let notes = world
        .kiwi()?
        .db()
        .runs
        .iter()
        .find(|r| r.id == run)
        .map(|r| r.notes.clone())
        .unwrap_or_default();
    if notes.contains(args.get(1)) {
        Ok(())
    } else {
        Err(format!("the run's notes are {notes:?}"))
    }
}

fn summary_counts(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let summary = world.summary()?;
    let mut expected = BTreeMap::new();
    for row in records(args.table()?)? {
        let name = cell(&row, "status").ok_or("the table needs a `status` column")?;
        let status = KiwiStatus::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| format!("no stock status {name}"))?;
        let n: usize = cell(&row, "count")
            .and_then(|c| c.parse().ok())
            .ok_or("the table needs a numeric `count` column")?;
        expected.insert(status, n);
    }
    let actual: BTreeMap<KiwiStatus, usize> = summary
        .accepted
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| (*s, *n))
        .collect();
    if actual == expected {
        Ok(())
    } else {
        Err(format!("the summary counts {actual:?}"))
    }
}

fn summary_flaky(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let flaky = world.summary()?.flaky;
    if flaky.to_string() == args.get(1) {
        Ok(())
    } else {
        Err(format!("the summary counts {flaky} flaky"))
    }
}

fn summary_cases(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let summary = world.summary()?;
    let actual = (summary.cases.to_string(), summary.cases_created.to_string());
    if actual.0 == args.get(1) && actual.1 == args.get(2) {
        Ok(())
    } else {
        Err(format!(
            "the summary reports {} cases, {} created: {}",
            actual.0,
            actual.1,
            summary.line()
        ))
    }
}

fn summary_dry(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    let summary = world.summary()?;
    if summary.dry_run && summary.line().starts_with("would report ") {
        Ok(())
    } else {
        Err(format!("the summary line is {:?}", summary.line()))
    }
}

fn summary_failure(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let summary = world.summary()?;
    let name = args.get(1);
    let quoted = format!("{name:?}");
    let found = summary
        .failures
        .iter()
        .find(|f| f.name == name || f.name == quoted)
        .ok_or_else(|| format!("{name:?} is not among the failures {:?}", summary.failures))?;
    if found.error.contains(args.get(2)) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} was not reported because: {}",
            found.error
        ))
    }
}
