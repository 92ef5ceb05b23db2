//! `-- cargo nextest run ...`: nextest writes a JUnit report, plugin-junit-xml reads it.
//!
//! nextest is given a tool configuration (`--tool-config-file tcms-cargo-test:<file>`, below
//! the project's own `.config/nextest.toml` in priority) that sets its store directory to a
//! temporary directory and turns the JUnit report on, so the report is found there whatever
//! the profile; a project that configures its own JUnit path still writes into that
//! directory. Its output goes straight to the terminal. nextest leaves ignored tests out of
//! its report, so they are not reported.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use tcms_api::report::TestResult;
use tcms_cargo_test::naming::{case_name, target_of_nextest_binary_id};
use tcms_cli::{CommonArgs, exit};
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
    let status = Command::new(&full[0])
        .args(&full[1..])
        .env_remove(tcms_api::env::EnvVars::TCMS_REPORT)
        .status()
        .with_context(|| format!("cannot run {:?}", full[0]))?;
    let code = exit_status_code(status);

    let report = match junit {
        Some(path) => Some(path.to_owned()),
        None => find_report(&store),
    };
    let Some(report) = report else {
        eprintln!(
            "tcms-cargo-test: nextest wrote no JUnit report{}",
            if code == 0 {
                ""
            } else {
                " (did the build fail?)"
            }
        );
        return Ok(if code == 0 { exit::INPUT } else { code });
    };
    let results = match read_report(&report) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("tcms-cargo-test: {e:#}");
            return Ok(if code == 0 { exit::INPUT } else { code });
        }
    };
    let ours = if results.is_empty() {
        if !common.quiet {
            eprintln!("tcms-cargo-test: no test results to report");
        }
        exit::OK
    } else {
        report_results(results, common, &report)?
    };
    Ok(if code == 0 { ours } else { code })
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

fn report_results(
    results: Vec<TestResult>,
    common: &CommonArgs,
    report: &Path,
) -> anyhow::Result<u8> {
    let started = results.iter().filter_map(TestResult::started).min();
    let total = results.len();
    let plugin = tcms_cargo_test::plugin_info();
    let attach: Vec<(PathBuf, String)> = if common.attach_report {
        vec![(report.to_owned(), "nextest-junit.xml".to_owned())]
    } else {
        Vec::new()
    };
    Ok(tcms_cli::block_on(tcms_cli::report_results(
        plugin, common, started, results, None, total, &attach,
    ))?)
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
