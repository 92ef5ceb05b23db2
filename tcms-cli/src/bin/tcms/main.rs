//! `tcms`: Kiwi TCMS read back as a test repository. Glue only: the arguments, the output
//! and the exit codes; the reads, the split and the formats are `tcms_api::history`.

use std::io::{BufRead, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use tcms_api::env::{EnvVars, Group, help_text};
use tcms_api::history::{
    self, ByProfile, DEFAULT_DURATION_RUNS, Durations, History, HistoryError, ListFormat, Scope,
    list_lines, profile_label,
};
use tcms_api::report::Profile;
use tcms_api::{Client, Config, TestPlanId, TestRunId};

mod exit;
mod table;

use table::Table;

/// Read Kiwi TCMS back as a test repository: which tests failed in the latest run of each
/// profile, which ones flip, how one test did, and a split of a suite into shards balanced by
/// how long its tests took.
///
/// What to read is named like the plugins name what they report into: ~/.tcms.conf or
/// TCMS_API_URL for the server, TCMS_PRODUCT (TCMS_PRODUCT_VERSION, TCMS_BUILD, TCMS_PLAN_ID,
/// TCMS_RUN_ID, TCMS_PROFILE) for the runs, or the options below.
#[derive(Debug, Parser)]
#[command(name = "tcms", max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    #[command(flatten)]
    scope: ScopeArgs,

    /// Kiwi TCMS URL (overrides ~/.tcms.conf and TCMS_API_URL).
    #[arg(long, global = true, value_name = "URL")]
    url: Option<String>,

    /// Seconds one HTTP request may take (default 120).
    #[arg(long, global = true, value_name = "SECONDS", env = EnvVars::TCMS_TIMEOUT)]
    timeout: Option<f64>,

    /// Log what is read; twice for every request.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// Which runs to read (each overrides its variable; all that are given must match).
#[derive(Debug, Clone, Default, Args)]
struct ScopeArgs {
    /// Only this run (TCMS_RUN_ID).
    #[arg(long, global = true, value_name = "ID")]
    run: Option<TestRunId>,

    /// The runs of this plan (TCMS_PLAN_ID).
    #[arg(long, global = true, value_name = "ID")]
    plan: Option<TestPlanId>,

    /// The runs of this product (TCMS_PRODUCT, else the CI's repository name).
    #[arg(long, global = true, value_name = "NAME")]
    product: Option<String>,

    /// The runs of this product version (TCMS_PRODUCT_VERSION).
    #[arg(long, global = true, value_name = "VERSION")]
    product_version: Option<String>,

    /// The runs of this build (TCMS_BUILD).
    #[arg(long, global = true, value_name = "NAME")]
    build: Option<String>,

    /// Only this profile: a name or key=value,... (TCMS_PROFILE).
    #[arg(long, global = true, value_name = "PROFILE")]
    profile: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The tests that failed (FAILED or ERROR) in the latest run, one name per line.
    ///
    /// "Latest" is per profile: a test that failed under py27 and passed under py34 is
    /// failing for py27. When the runs hold results of several profiles and none is chosen,
    /// a flat list is refused (exit 2) with the list of profiles; --format json gives every
    /// profile in one document. Exit status: 0 when nothing failed, 1 when something did.
    Failing {
        /// names: one per line; json: every profile in one document; cargo, pytest,
        /// nextest: arguments that make the runner run exactly these tests.
        #[arg(long, value_enum, default_value_t = Format::Names)]
        format: Format,
    },
    /// Tests whose outcome flipped between passing and not passing, most flaky first.
    ///
    /// Read from the last N runs of each profile; a flip is a change from one run to the
    /// next (results without a verdict, such as WAIVED, are skipped). Exit status: 0 when no
    /// test flipped, 1 when some did.
    Flaky {
        /// How many runs of each profile to read.
        #[arg(long, value_name = "N", default_value_t = 20)]
        runs: usize,
        /// table (default), json, or a list: names, cargo, pytest, nextest.
        #[arg(long, value_enum, default_value_t = FlakyFormat::Table)]
        format: FlakyFormat,
    },
    /// Split a list of tests into N shards balanced by their historic durations.
    ///
    /// The list is read from --tests, else from standard input when it is not a terminal
    /// (one name per line), else it is the cases of the plans of the runs. A test's duration
    /// is the median of its stop - start in the last K runs (of the chosen profile, else of
    /// every profile); tests without one are spread evenly. The split is deterministic (the
    /// same history gives the same shards) and the shards together are the list exactly
    /// once. Without --index, a summary of every shard is printed.
    Shard {
        /// How many shards.
        #[arg(long, value_name = "N")]
        total: usize,
        /// Which shard to print, from 1.
        #[arg(long, value_name = "I")]
        index: Option<usize>,
        /// How many runs of each profile durations are read from.
        #[arg(long, value_name = "K", default_value_t = DEFAULT_DURATION_RUNS)]
        runs: usize,
        /// The list of tests, one per line (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        tests: Option<PathBuf>,
        /// names, json, cargo, pytest, nextest.
        #[arg(long, value_enum, default_value_t = Format::Names)]
        format: Format,
    },
    /// The last results of one test: run, build, profile, status, duration, date.
    ///
    /// NAME is the test's name as the plugins reported it (the case summary). Exit status:
    /// 0 when results were printed, 1 when there is none.
    History {
        /// The test.
        name: String,
        /// How many results to show, newest first.
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: usize,
        /// table or json.
        #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
        format: HistoryFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One name per line.
    Names,
    /// One JSON document with every profile.
    Json,
    /// `cargo test` arguments, one line per target.
    Cargo,
    /// pytest node ids.
    Pytest,
    /// A nextest filterset.
    Nextest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FlakyFormat {
    /// A table.
    Table,
    /// One JSON document with every profile.
    Json,
    /// One name per line.
    Names,
    /// `cargo test` arguments.
    Cargo,
    /// pytest node ids.
    Pytest,
    /// A nextest filterset.
    Nextest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HistoryFormat {
    /// A table.
    Table,
    /// One JSON document.
    Json,
}

impl Format {
    fn list(self) -> Option<ListFormat> {
        match self {
            Format::Names => Some(ListFormat::Names),
            Format::Cargo => Some(ListFormat::Cargo),
            Format::Pytest => Some(ListFormat::Pytest),
            Format::Nextest => Some(ListFormat::Nextest),
            Format::Json => None,
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  tcms failing --product my-app --profile py312
  tcms failing --format json | jq -r '.profiles.py312[]'
  tcms failing --format cargo | xargs -r -L1 cargo test      # one cargo test per target
  cargo nextest run -E \"$(tcms failing --format nextest)\"
  cargo test --test it -- --list --format terse | sed -n 's/^\\(.*\\): test$/it::\\1/p' \\
      | tcms shard --total 4 --index 2 --format cargo | xargs -r -L1 cargo test
  tcms flaky --runs 30
  tcms history 'it::parser::rejects_garbage'

JSON documents: {\"version\": 1, \"profiles\": {\"py27\": [...], \"py34\": [...]}, ...}; \"\"
stands for runs without a profile (documented in tcms_api::history).
";

fn after_help() -> String {
    let read = [
        (
            EnvVars::TCMS_PRODUCT,
            "product (else the CI's repository, as the plugins)",
        ),
        (
            EnvVars::TCMS_PRODUCT_VERSION,
            "product version (no CI fallback: it names the current commit)",
        ),
        (
            EnvVars::TCMS_BUILD,
            "build (no CI fallback: it names the current pipeline)",
        ),
        (EnvVars::TCMS_PLAN_ID, "the runs of this plan"),
        (EnvVars::TCMS_RUN_ID, "only this run"),
        (EnvVars::TCMS_PROFILE, "only this profile"),
    ];
    let mut text = format!(
        "{EXAMPLES}\n{}\nWhat to read:\n",
        help_text(&[Group::Server])
    );
    for (name, what) in read {
        text.push_str(&format!("  {name:<24}{what}\n"));
    }
    format!("{text}\n{}", exit::HELP)
}

/// The command line: the derive's, with the variables, exit codes and the version (with the
/// commit) that `--help` and `--version` show.
fn definition() -> clap::Command {
    let mut command = Cli::command()
        .after_long_help(after_help())
        .version(tcms_cli::version::long(env!("CARGO_PKG_VERSION")));
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |c| c.after_long_help(exit::HELP));
    }
    command
}

fn main() -> ExitCode {
    if let Some(code) =
        tcms_cli::generate_from_args(std::env::args_os(), definition, &mut std::io::stdout())
    {
        return code;
    }
    let cli = match Cli::from_arg_matches(&definition().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    tcms_cli::init_logging(cli.verbose, false, tcms_cli::ColorWhen::Auto);
    match main_impl(cli) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("tcms: error: {message}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn main_impl(cli: Cli) -> Result<u8, String> {
    let scope = scope(&cli.scope)?;
    let client = client(&cli)?;
    let history = History::new(client, scope);
    tcms_cli::block_on(async move {
        match cli.command {
            Command::Failing { format } => failing(&history, format).await,
            Command::Flaky { runs, format } => flaky(&history, runs, format).await,
            Command::Shard {
                total,
                index,
                runs,
                tests,
                format,
            } => shard(&history, total, index, runs, tests, format).await,
            Command::History {
                name,
                limit,
                format,
            } => test_history(&history, &name, limit, format).await,
        }
    })
    .map_err(|e| e.to_string())?
}

/// The environment's scope, with the options on top.
fn scope(args: &ScopeArgs) -> Result<Scope, String> {
    let mut scope = Scope::from_env().map_err(|e| e.to_string())?;
    if let Some(run) = args.run {
        scope.run = Some(run);
    }
    if let Some(plan) = args.plan {
        scope.plan = Some(plan);
    }
    let text = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    if let Some(product) = text(&args.product) {
        scope.product = Some(product);
    }
    if let Some(version) = text(&args.product_version) {
        scope.version = Some(version);
    }
    if let Some(build) = text(&args.build) {
        scope.build = Some(build);
    }
    if let Some(profile) = &args.profile {
        scope.profile = Some(Profile::parse(profile).map_err(|e| format!("--profile: {e}"))?);
    }
    Ok(scope)
}

fn client(cli: &Cli) -> Result<Client, String> {
    let mut config = Config::builder();
    if let Some(url) = &cli.url {
        config = config.url(url.clone());
    }
    let config = config.load().map_err(|e| e.to_string())?;
    let mut builder = Client::builder()
        .config(config)
        .user_agent(format!("tcms/{}", env!("CARGO_PKG_VERSION")));
    if let Some(secs) = cli.timeout.filter(|s| s.is_finite() && *s > 0.0) {
        builder = builder.timeout(Duration::from_secs_f64(secs));
    }
    builder.build().map_err(|e| e.to_string())
}

fn print_lines(lines: &[String]) {
    for line in lines {
        println!("{line}");
    }
}

/// A JSON document, indented (`serde_json::Value` prints so with `{:#}`).
fn print_json(value: &impl std::fmt::Display) -> Result<(), String> {
    println!("{value:#}");
    Ok(())
}

async fn failing(history: &History, format: Format) -> Result<u8, String> {
    let failing = history.failing().await.map_err(|e| e.to_string())?;
    let any = failing.iter().any(|(_, f)| !f.tests.is_empty());
    let code = if any { exit::FOUND } else { exit::OK };
    let Some(list) = format.list() else {
        print_json(&history::failing_json(&failing))?;
        return Ok(code);
    };
    let Some((profile, f)) = failing.single().map_err(|e| e.to_string())? else {
        return Ok(exit::OK);
    };
    eprintln!(
        "tcms: {} failed in {} ({}, build {})",
        count(f.tests.len(), "test"),
        f.run.id,
        profile_label(profile),
        f.run.build.as_deref().unwrap_or("?")
    );
    print_lines(&list_lines(&f.names(), list));
    Ok(code)
}

async fn flaky(history: &History, runs: usize, format: FlakyFormat) -> Result<u8, String> {
    let flaky = history.flaky(runs).await.map_err(|e| e.to_string())?;
    let any = flaky.iter().any(|(_, f)| !f.is_empty());
    let code = if any { exit::FOUND } else { exit::OK };
    let list = match format {
        FlakyFormat::Json => {
            print_json(&history::flaky_json(&flaky, runs))?;
            return Ok(code);
        }
        FlakyFormat::Table => {
            print_lines(&flaky_table(&flaky));
            return Ok(code);
        }
        FlakyFormat::Names => ListFormat::Names,
        FlakyFormat::Cargo => ListFormat::Cargo,
        FlakyFormat::Pytest => ListFormat::Pytest,
        FlakyFormat::Nextest => ListFormat::Nextest,
    };
    if let Some((_, tests)) = flaky.single().map_err(|e| e.to_string())? {
        let names: Vec<String> = tests.iter().map(|f| f.name.clone()).collect();
        print_lines(&list_lines(&names, list));
    }
    Ok(code)
}

fn flaky_table(flaky: &ByProfile<Vec<history::Flaky>>) -> Vec<String> {
    let several = flaky.len() > 1;
    let mut columns = vec![];
    if several {
        columns.push(("profile", false));
    }
    columns.extend([
        ("test", false),
        ("flips", true),
        ("results", true),
        ("failures", true),
        ("rate", true),
        ("last", false),
    ]);
    let mut table = Table::new(&columns);
    for (profile, tests) in flaky.iter() {
        for f in tests {
            let mut row = Vec::new();
            if several {
                row.push(profile_label(profile));
            }
            row.extend([
                f.name.clone(),
                f.flips.to_string(),
                f.results.to_string(),
                f.failures.to_string(),
                format!("{:.0}%", f.rate * 100.0),
                f.last.clone(),
            ]);
            table.row(row);
        }
    }
    if flaky.iter().all(|(_, t)| t.is_empty()) {
        return vec!["no test flipped".to_owned()];
    }
    table.lines()
}

/// The list to split: `--tests`, else standard input when it is not a terminal, else the
/// cases of the runs' plans.
async fn tests_to_split(history: &History, file: Option<PathBuf>) -> Result<Vec<String>, String> {
    let read = |reader: &mut dyn BufRead, from: &str| -> Result<Vec<String>, String> {
        let mut names = Vec::new();
        for line in reader.lines() {
            let line = line.map_err(|e| format!("cannot read {from}: {e}"))?;
            let name = line.trim();
            if !name.is_empty() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    };
    let names = match file {
        Some(path) if path.as_os_str() == "-" => {
            read(&mut std::io::stdin().lock(), "standard input")?
        }
        Some(path) => {
            let file = std::fs::File::open(&path)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            read(
                &mut std::io::BufReader::new(file),
                &path.display().to_string(),
            )?
        }
        None if !std::io::stdin().is_terminal() => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            read(&mut text.as_bytes(), "standard input")?
        }
        None => Vec::new(),
    };
    if !names.is_empty() {
        return Ok(names);
    }
    history.cases().await.map_err(|e| e.to_string())
}

async fn shard(
    history: &History,
    total: usize,
    index: Option<usize>,
    runs: usize,
    tests: Option<PathBuf>,
    format: Format,
) -> Result<u8, String> {
    if let Some(index) = index {
        history::parse_shard(&format!("{index}/{total}"))?;
    } else if total == 0 {
        return Err("--total must be at least 1".to_owned());
    }
    let tests = tests_to_split(history, tests).await?;
    let durations = match history.durations(runs).await {
        Ok(d) => d,
        Err(e @ (HistoryError::NoRuns { .. } | HistoryError::NoRunsOfProfile { .. })) => {
            eprintln!("tcms: {e}: split by count");
            Durations::new()
        }
        Err(e) => return Err(e.to_string()),
    };
    let shards = history::split(&tests, &durations, total).map_err(|e| e.to_string())?;
    let chosen: Vec<_> = match index {
        Some(i) => shards.iter().filter(|s| s.index == i).cloned().collect(),
        None => shards.clone(),
    };
    if format == Format::Json {
        print_json(&history::shard_json(&chosen, total, durations.runs()))?;
        return Ok(exit::OK);
    }
    let (Some(list), Some(i)) = (format.list(), index) else {
        let mut table = Table::new(&[
            ("shard", true),
            ("tests", true),
            ("seconds", true),
            ("without history", true),
        ]);
        for s in &shards {
            table.row(vec![
                format!("{}/{total}", s.index),
                s.tests.len().to_string(),
                format!("{:.1}", s.estimated.as_secs_f64()),
                s.without_history().to_string(),
            ]);
        }
        print_lines(&table.lines());
        return Ok(exit::OK);
    };
    let mine = &chosen[0];
    eprintln!(
        "tcms: shard {i}/{total}: {} of {}, {:.1} s by history ({} without history; durations \
         of {} from {})",
        count(mine.tests.len(), "test"),
        tests.len(),
        mine.estimated.as_secs_f64(),
        mine.without_history(),
        count(durations.len(), "test"),
        count(durations.runs(), "run"),
    );
    print_lines(&list_lines(&mine.tests, list));
    Ok(exit::OK)
}

async fn test_history(
    history: &History,
    name: &str,
    limit: usize,
    format: HistoryFormat,
) -> Result<u8, String> {
    let entries = history.test(name, limit).await.map_err(|e| e.to_string())?;
    if format == HistoryFormat::Json {
        print_json(&history::history_json(name, &entries))?;
    } else if entries.is_empty() {
        eprintln!("tcms: no result of {name:?} for {}", history.scope());
    } else {
        let mut table = Table::new(&[
            ("run", false),
            ("build", false),
            ("profile", false),
            ("status", false),
            ("duration", true),
            ("date", false),
        ]);
        for e in &entries {
            table.row(vec![
                e.run.to_string(),
                e.build.clone().unwrap_or_default(),
                profile_label(e.profile.as_ref()),
                e.status.clone(),
                e.duration()
                    .map(|d| format!("{:.3} s", d.as_secs_f64()))
                    .unwrap_or_default(),
                e.started
                    .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default(),
            ]);
        }
        print_lines(&table.lines());
    }
    Ok(if entries.is_empty() {
        exit::FOUND
    } else {
        exit::OK
    })
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
