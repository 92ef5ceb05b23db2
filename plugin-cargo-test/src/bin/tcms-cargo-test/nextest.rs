//! `-- cargo nextest run ...`: nextest writes a JUnit report, plugin-junit-xml reads it.
//!
//! nextest is given a tool configuration (`--tool-config-file tcms-cargo-test:<file>`, below
//! the project's own `.config/nextest.toml` in priority) that sets its store directory to a
//! temporary directory and turns the JUnit report on, so the report is found there whatever
//! the profile; a project that configures its own JUnit path still writes into that
//! directory. Its stdout goes straight to the terminal; its stderr, where it writes a line per
//! test as the test ends, is copied and read as it comes ([`tcms_cargo_test::nextest`]): the
//! planned count and the statuses land live, the JUnit report then adds each result's text.
//! nextest leaves ignored tests out of its report, so they are not reported.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context as _;
use chrono::Utc;
use tcms_api::report::TestResult;
use tcms_cargo_test::live::LiveReporter;
use tcms_cargo_test::naming::{case_name, target_of_nextest_binary_id};
use tcms_cargo_test::nextest::{NextestLine, status_line};
use tcms_cli::progress::ProgressLine;
use tcms_cli::{CommonArgs, exit, output};
use tcms_junit_xml::{JunitParser, SummaryTemplate};

use crate::stream::exit_status_code;

/// Names tcms-cargo-test's tool configuration in nextest's messages.
const TOOL: &str = "tcms-cargo-test";

/// `cargo nextest ...` or `cargo-nextest ...`.
pub(crate) fn is_nextest(command: &[OsString]) -> bool {
    let Some(first) = command.first() else {
        return false;
    };
    let program = Path::new(first)
        .file_stem()
        .map(OsStr::to_string_lossy)
        .unwrap_or_default();
    program == "cargo-nextest"
        || (program == "cargo" && command.get(1).is_some_and(|a| a == "nextest"))
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The command with `--tool-config-file` inserted after `run`.
fn with_tool_config(command: &[OsString], config: &Path) -> anyhow::Result<Vec<OsString>> {
    let start = usize::from(command.get(1).is_some_and(|a| a == "nextest")) + 1;
    let run = command
        .iter()
        .enumerate()
        .skip(start)
        .take_while(|(_, a)| *a != "--")
        .find(|(_, a)| *a == "run" || *a == "r")
        .map(|(i, _)| i)
        .context("only `cargo nextest run` is supported")?;
    let mut out = command[..=run].to_vec();
    out.push("--tool-config-file".into());
    let mut value = OsString::from(format!("{TOOL}:"));
    value.push(config.as_os_str());
    out.push(value);
    out.extend_from_slice(&command[run + 1..]);
    Ok(out)
}

/// Runs nextest, reads its JUnit report, reports it; the command's exit status when it
/// failed, else this program's.
pub(crate) fn run(
    command: &[OsString],
    junit: Option<&Path>,
    common: &CommonArgs,
) -> anyhow::Result<u8> {
    let temp = tempfile::Builder::new()
        .prefix("tcms-cargo-test-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let store = std::path::absolute(temp.path().join("store")).context("temporary directory")?;
    let config = temp.path().join("nextest.toml");
    std::fs::write(
        &config,
        format!(
            "# Written by tcms-cargo-test for one run.\n[store]\ndir = {}\n\n\
             [profile.default.junit]\npath = \"junit.xml\"\n",
            toml_string(&store.to_string_lossy())
        ),
    )
    .with_context(|| format!("cannot write {}", config.display()))?;
    let config = std::path::absolute(&config).context("temporary directory")?;
    let full = with_tool_config(command, &config)?;
    let mut child = Command::new(&full[0])
        .args(&full[1..])
        .env_remove(tcms_api::env::EnvVars::TCMS_REPORT)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {:?}", full[0]))?;
    let progress = ProgressLine::new(crate::PROGRAM, common);
    let mut live = crate::live(common, &progress);
    // nextest's status lines (on its stderr) as they come: copied, and read.
    let read_error = match child.stderr.take() {
        Some(stderr) => follow(stderr, &mut live, &progress).err(),
        None => None,
    };
    let status = child.wait().context("cannot wait for the command")?;
    let code = exit_status_code(status);
    if let Some(e) = read_error {
        progress.suspend(|| eprintln!("tcms-cargo-test: cannot read nextest's output: {e}"));
    }

    let report = match junit {
        Some(path) => Some(path.to_owned()),
        None => find_report(&store),
    };
    let results = match &report {
        None => Err(format!(
            "nextest wrote no JUnit report{}",
            if code == 0 {
                ""
            } else {
                " (did the build fail?)"
            }
        )),
        Some(report) => read_report(report).map_err(|e| format!("{e:#}")),
    };
    let input_error = match results {
        Ok(results) => {
            for result in results {
                live.submit(result);
            }
            if let (Some(report), true) = (&report, common.attach_report) {
                live.attach_to_run(report.clone(), "nextest-junit.xml");
            }
            None
        }
        Err(e) => Some(e),
    };
    let landed = live.finish(None);
    progress.finish();
    if let Some(summary) = &landed.summary {
        output::finished(summary, landed.journal.as_deref(), crate::PROGRAM, common);
    }
    for error in &landed.errors {
        eprintln!("tcms-cargo-test: {error}");
    }
    let ours = if let Some(e) = input_error {
        eprintln!("tcms-cargo-test: {e}");
        exit::INPUT
    } else if !landed.is_complete() {
        exit::FAILURE
    } else {
        if landed.is_empty() && !common.quiet {
            eprintln!("tcms-cargo-test: no test results to report");
        }
        exit::OK
    };
    Ok(if code == 0 { ours } else { code })
}

/// Copies nextest's stderr to ours as it comes (past the progress line) and hands what its
/// status lines say to the live reporter, until the `Summary` line.
fn follow(
    stderr: impl Read,
    live: &mut LiveReporter,
    progress: &ProgressLine,
) -> std::io::Result<()> {
    let mut summary = false;
    crate::stream::lines(
        stderr,
        |chunk| progress.write_stderr(chunk).is_ok(),
        |piece| {
            let crate::stream::Piece::Line(line) = piece else {
                return;
            };
            if summary {
                return;
            }
            match status_line(line, Utc::now()) {
                Some(NextestLine::Starting(n)) => live.planned(n),
                Some(NextestLine::Running(test)) => live.started(*test),
                Some(NextestLine::Finished(result)) => live.submit(*result),
                Some(NextestLine::Summary) => summary = true,
                _ => {}
            }
        },
    )
}

/// `<store>/<profile>/<file>.xml`, the newest if several.
fn find_report(store: &Path) -> Option<PathBuf> {
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for profile in std::fs::read_dir(store).ok()?.flatten() {
        let Ok(files) = std::fs::read_dir(profile.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "xml") {
                let modified = file
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                found.push((modified, path));
            }
        }
    }
    found.into_iter().max().map(|(_, path)| path)
}

/// Parses the whole report (nothing is sent when it is broken), naming cases
/// `<target>::<test>` from nextest's binary id (the `classname`).
fn read_report(path: &Path) -> anyhow::Result<Vec<TestResult>> {
    let template = SummaryTemplate::parse("${name}").context("summary template")?;
    let parser = JunitParser::open(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .with_template(template);
    let mut results = Vec::new();
    for result in parser {
        let mut result = result?;
        if let Some(binary_id) = result.origin.class.clone() {
            let target = target_of_nextest_binary_id(&binary_id);
            result.name = case_name(Some(&target), &result.name);
            result.origin.suite = Some(target);
        }
        // nextest's report has no `file`/`line`: where the test panicked, from its output.
        tcms_cargo_test::libtest::locate_panic(&mut result);
        results.push(result);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn detects_nextest() {
        assert!(is_nextest(&os(&["cargo", "nextest", "run"])));
        assert!(is_nextest(&os(&[
            "/usr/bin/cargo-nextest",
            "nextest",
            "run"
        ])));
        assert!(!is_nextest(&os(&["cargo", "test"])));
        assert!(!is_nextest(&os(&["cargo"])));
        assert!(!is_nextest(&[]));
    }

    #[test]
    fn tool_config_goes_after_run() {
        let args = with_tool_config(
            &os(&[
                "cargo",
                "nextest",
                "run",
                "--no-fail-fast",
                "--",
                "--run",
                "x",
            ]),
            Path::new("/tmp/c.toml"),
        )
        .unwrap();
        assert_eq!(
            args,
            os(&[
                "cargo",
                "nextest",
                "run",
                "--tool-config-file",
                "tcms-cargo-test:/tmp/c.toml",
                "--no-fail-fast",
                "--",
                "--run",
                "x"
            ])
        );
        assert!(with_tool_config(&os(&["cargo", "nextest", "list"]), Path::new("/c")).is_err());
        assert!(
            with_tool_config(
                &os(&["cargo", "nextest", "list", "--", "run"]),
                Path::new("/c")
            )
            .is_err()
        );
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
    }
}
