//! The plugin's side: its identity, its environment, its results, and reporting them.

use chrono::{DateTime, Utc};
use tcms_api::datetime::parse_kiwi;
use tcms_api::report::{Attempt, Origin, Outcome, PluginInfo, TestResult};

use super::{Args, StepFn, cell, records, resolve_ref};
use crate::world::{Feeding, World};

/// The plugin step table.
pub(super) const STEPS: &[(&str, StepFn)] = &[
    (
        r#"the plugin is {Q} version {Q} with the prefix {Q}"#,
        plugin_identity,
    ),
    (r"the environment variable (\w+) is {Q}", env_var),
    (
        r"the environment variable (\w+) is {Q} followed by (\d+) times {Q}",
        env_var_repeated,
    ),
    (r"the environment variables:", env_vars),
    (
        r"the environment variable (\w+) is the id of (.+)",
        env_var_id,
    ),
    (r"the test results:", results),
    (r"the file {Q} contains {Q}", data_file),
    (
        r"an? (passed|failed|error|skipped|todo) test result named {Q}",
        one_result,
    ),
    (
        r"a passed test result named {Q} followed by (\d+) times {Q}",
        long_result,
    ),
    (r"the results started at {Q}", started_at),
    (r"the plugin runs with --dry-run", dry_run),
    (r"the plugin's password is wrong", wrong_password),
    (r"the plugin reports the results(?: again)?", report),
    (
        r"the plugin reports the results one at a time",
        report_one_at_a_time,
    ),
    (r"the plugin has reported the results", has_reported),
    (r"the plugin reports the results live", report_live),
    (
        r"the plugin plans the results and starts the first (\d+)",
        report_in_progress,
    ),
];

fn plugin_identity(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    world.plugin = PluginInfo::new(args.get(1), args.get(2), args.get(3));
    Ok(())
}

fn env_var(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    world.set_var(args.get(1), args.get(2));
    Ok(())
}

fn repeated(text: &str, times: &str) -> Result<String, String> {
    let n: usize = times
        .parse()
        .map_err(|_| format!("not a number: {times}"))?;
    Ok(text.repeat(n))
}

fn env_var_repeated(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let value = format!("{}{}", args.get(2), repeated(args.get(4), args.get(3))?);
    world.set_var(args.get(1), &value);
    Ok(())
}

fn env_vars(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    for row in args.table()? {
        match row.as_slice() {
            [name, value] => world.set_var(name, value),
            other => return Err(format!("expected `| NAME | value |`, got {other:?}")),
        }
    }
    Ok(())
}

fn env_var_id(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let id = resolve_ref(world, args.get(2))?;
    world.set_var(args.get(1), &id.to_string());
    Ok(())
}

fn outcome(word: &str) -> Result<Outcome, String> {
    Ok(match word.trim() {
        "passed" => Outcome::Passed,
        "failed" => Outcome::Failed,
        "error" => Outcome::Error,
        "skipped" => Outcome::Skipped,
        "todo" => Outcome::Todo,
        other => {
            return Err(format!(
                "unknown outcome `{other}` (passed, failed, error, skipped, todo)"
            ));
        }
    })
}

/// A date of a results table: RFC 3339 with an offset, or naive (UTC).
fn date(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_kiwi(text))
        .ok_or_else(|| format!("cannot read the date `{text}`"))
}

fn text(record: &[(&str, &str)], column: &str) -> Option<String> {
    cell(record, column)
        .filter(|v| !v.is_empty())
        .map(super::unescape)
}

/// Columns: `name`, `outcome` (`failed, passed` for attempts), and optionally `message`,
/// `details`, `stdout`, `stderr`, `started`, `stopped`, `line`, `properties` (`k=v; k2=v2`),
/// `attachments` (`a.log; b.png`: files made by `the file {Q} contains {Q}`). The text columns
/// go to the attempts that did not pass.
fn results(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    const COLUMNS: &[&str] = &[
        "name",
        "outcome",
        "message",
        "details",
        "stdout",
        "stderr",
        "started",
        "stopped",
        "line",
        "properties",
        "attachments",
    ];
    let mut parsed = Vec::new();
    for record in records(args.table()?)? {
        if let Some((column, _)) = record.iter().find(|(c, _)| !COLUMNS.contains(c)) {
            return Err(format!("unknown column `{column}`; known: {COLUMNS:?}"));
        }
        let name = text(&record, "name").ok_or("every result needs a name")?;
        let outcomes = cell(&record, "outcome").ok_or("every result needs an outcome")?;
        let started = text(&record, "started").map(|d| date(&d)).transpose()?;
        let stopped = text(&record, "stopped").map(|d| date(&d)).transpose()?;
        let mut attempts = Vec::new();
        for word in outcomes.split(',') {
            let mut attempt = Attempt::new(outcome(word)?);
            attempt.started = started;
            attempt.stopped = stopped;
            if let (Some(start), Some(stop)) = (started, stopped) {
                attempt.duration = (stop - start).to_std().ok();
            }
            if attempt.outcome != Outcome::Passed {
                attempt.message = text(&record, "message");
                attempt.details = text(&record, "details");
            }
            attempt.stdout = text(&record, "stdout");
            attempt.stderr = text(&record, "stderr");
            attempts.push(attempt);
        }
        let line = text(&record, "line")
            .map(|l| {
                l.parse::<u64>()
                    .map_err(|_| format!("not a line number: {l}"))
            })
            .transpose()?;
        let mut result = TestResult::with_attempts(name, attempts)
            .ok_or_else(|| "a result needs at least one attempt".to_owned())?;
        if let Some(properties) = text(&record, "properties") {
            for pair in properties
                .split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("a property is `name=value`, found `{pair}`"))?;
                result
                    .properties
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        if let Some(files) = text(&record, "attachments") {
            for file in files.split(';').map(str::trim).filter(|f| !f.is_empty()) {
                result.attachments.push(world.data_file(file)?);
            }
        }
        parsed.push(result.with_origin(Origin {
            line,
            ..Origin::default()
        }));
    }
    world.results = parsed;
    Ok(())
}

/// Writes a file of the scenario's file system (an attachment).
fn data_file(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let path = world.data_file(args.get(1))?;
    std::fs::write(&path, super::unescape(args.get(2)))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Adds one result (the results table replaces them all).
fn one_result(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let outcome = outcome(args.get(1))?;
    world
        .results
        .push(TestResult::new(args.get(2), Attempt::new(outcome)));
    Ok(())
}

/// Adds a passed result with a long name, remembered for expectations.
fn long_result(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let name = format!("{}{}", args.get(1), repeated(args.get(3), args.get(2))?);
    world.long_name = Some(name.clone());
    world
        .results
        .push(TestResult::new(name, Attempt::new(Outcome::Passed)));
    Ok(())
}

fn started_at(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    world.options = world.options.clone().started(Some(date(args.get(1))?));
    Ok(())
}

fn dry_run(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    world.options = world.options.clone().dry_run(true);
    Ok(())
}

fn wrong_password(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    world.wrong_password = true;
    Ok(())
}

fn report(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    world.run_report(Feeding::AllAtOnce)
}

fn report_one_at_a_time(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    world.run_report(Feeding::OneAtATime)
}

fn report_live(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    world.run_report(Feeding::Live)
}

fn report_in_progress(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let n = args.get(1).parse().map_err(|_| "not a number")?;
    world.run_report(Feeding::InProgress(n))
}

fn has_reported(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    world.run_report(Feeding::AllAtOnce)?;
    world.summary().map(|_| ())
}
