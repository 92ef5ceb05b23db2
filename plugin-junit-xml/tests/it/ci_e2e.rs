//! The CI outputs end to end against the real Kiwi TCMS: in a simulated GitHub Actions step
//! (`GITHUB_ACTIONS=true`, `GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`) a report appends its
//! Markdown summary, writes `run-id` / `run-url`, and prints annotations for failures whose
//! `<testcase>` names a file and line; `--summary-md`, `--no-annotations`, `--max-annotations`
//! and `--quiet` do what they say. The ids and links are checked against what landed.

use std::path::Path;

use serde_json::{Value, json};
use tcms_api::Client;
use tcms_test_kit::github::{GithubStep, error_annotations};
use tcms_test_kit::server::{output_text, plugin_command, real_server, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_tcms-junit-xml");

const REPORT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="app" tests="5" failures="2" errors="1" skipped="1">
    <testcase classname="t" name="test_passes" file="tests/test_app.py" line="3"/>
    <testcase classname="t" name="test_fails" file="tests/test_app.py" line="12">
      <failure message="assert 1 == 2, really: 100%">assert 1 == 2
more text</failure>
    </testcase>
    <testcase classname="t" name="test_fails_too" file="/ws/tests/test_other.py" line="40">
      <failure message="second failure"/>
    </testcase>
    <testcase classname="t" name="test_errors">
      <error message="no file, no annotation"/>
    </testcase>
    <testcase classname="t" name="test_skipped" file="tests/test_app.py" line="20">
      <skipped message="later"/>
    </testcase>
  </testsuite>
</testsuites>
"#;

#[tokio::test]
async fn github_actions_get_the_summary_outputs_and_annotations() {
    let server = real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS: {e}"));
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("junit-ci-e2e");
    let step = GithubStep::new();
    let input = step.dir().join("report.xml");
    std::fs::write(&input, REPORT).unwrap();
    let md = step.dir().join("kiwi-summary.md");

    let mut cmd = plugin_command(BIN, &server, &product);
    step.apply(&mut cmd, Path::new("/ws"));
    let out = cmd
        .arg("--summary-md")
        .arg(&md)
        .arg(&input)
        .output()
        .unwrap();
    let log = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");

    // What landed: the run, the cases and their executions.
    let runs: Vec<Value> = client
        .call("TestRun.filter", json!([{"plan__product__name": product}]))
        .await
        .unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = runs[0]["id"].as_i64().unwrap();
    let executions: Vec<Value> = client
        .call("TestExecution.filter", json!([{"run": run}]))
        .await
        .unwrap();
    let execution = |summary: &str| {
        executions
            .iter()
            .find(|e| e["case__summary"] == summary)
            .unwrap_or_else(|| panic!("{summary} not in {executions:#?}"))
    };
    let fails = execution("t.test_fails");
    let (case, te) = (
        fails["case"].as_i64().unwrap(),
        fails["id"].as_i64().unwrap(),
    );

    // GITHUB_OUTPUT: the run, and its page on the server reported to.
    let outputs = step.outputs();
    assert_eq!(outputs.get("run-id"), Some(&run.to_string()), "{outputs:?}");
    let run_url = outputs.get("run-url").cloned().unwrap_or_default();
    let base = run_url
        .strip_suffix(&format!("/runs/{run}/"))
        .unwrap_or_else(|| panic!("run-url {run_url:?}"))
        .to_owned();
    let host = server.url().split('/').nth(2).unwrap().to_owned();
    assert!(base.contains(&host), "{base} is not on {}", server.url());

    // GITHUB_STEP_SUMMARY and --summary-md: the same Markdown.
    let summary = step.summary();
    assert_eq!(std::fs::read_to_string(&md).unwrap(), summary);
    assert!(
        summary.starts_with("### ❌ Kiwi TCMS: 3 of 5 case(s) failed · tcms-junit-xml"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("[TR-{run}]({run_url})")),
        "{summary}"
    );
    assert!(summary.contains("| ❌ FAILED | 2 |"), "{summary}");
    assert!(summary.contains("| 💥 ERROR | 1 |"), "{summary}");
    assert!(summary.contains("| ✅ PASSED | 1 |"), "{summary}");
    assert!(summary.contains("| ⏭️ WAIVED | 1 |"), "{summary}");
    assert!(
        summary.contains(&format!(
            "[t.test\\_fails]({base}/case/{case}/) ([TE-{te}]({run_url}#test-execution-{te})) \
             | assert 1 == 2, really: 100% | `tests/test_app.py:12` |"
        )),
        "{summary}"
    );

    // Annotations: the two failures with a file, workspace-relative; not the error without
    // one, not the skip.
    let annotations = error_annotations(&out.stdout);
    assert_eq!(annotations.len(), 2, "{log}");
    assert_eq!(
        annotations[0],
        format!(
            "::error file=tests/test_app.py,line=12,title=FAILED%3A t.test_fails\
             ::assert 1 == 2, really: 100%25%0A%0AKiwi TCMS: TE-{te} {run_url}#test-execution-{te}"
        )
    );
    assert!(
        annotations[1].starts_with("::error file=tests/test_other.py,line=40,"),
        "{annotations:?}"
    );
    // The summary line comes last.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("reported 5 case(s)"),
        "{log}"
    );

    // Again into the same run, quietly, without annotations: a second section, no lines.
    let mut cmd = plugin_command(BIN, &server, &product);
    step.apply(&mut cmd, Path::new("/ws"));
    let out = cmd
        .env("TCMS_RUN_ID", run.to_string())
        .args(["--quiet", "--no-annotations"])
        .arg(&input)
        .output()
        .unwrap();
    let log = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(out.stdout.is_empty(), "{log}");
    assert!(out.stderr.is_empty(), "{log}");
    let again = step.summary();
    assert_eq!(again.matches("### ❌ Kiwi TCMS").count(), 2, "{again}");
    assert!(again.starts_with(&summary), "appended, not replaced");

    // At most one annotation, and a line that says how many were left out.
    let mut cmd = plugin_command(BIN, &server, &product);
    step.apply(&mut cmd, Path::new("/ws"));
    let out = cmd
        .env("TCMS_RUN_ID", run.to_string())
        .args(["--max-annotations", "1"])
        .arg(&input)
        .output()
        .unwrap();
    let log = output_text(&out);
    assert_eq!(error_annotations(&out.stdout).len(), 1, "{log}");
    assert!(
        log.contains("1 more failure(s) with a source location are not annotated"),
        "{log}"
    );
}

#[test]
fn outside_github_actions_nothing_is_annotated_and_no_file_is_written() {
    let server = real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS: {e}"));
    let product = unique_name("junit-ci-plain");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("report.xml");
    std::fs::write(&input, REPORT).unwrap();
    let out = plugin_command(BIN, &server, &product)
        .arg("--dry-run")
        .arg(&input)
        .output()
        .unwrap();
    let log = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(error_annotations(&out.stdout).is_empty(), "{log}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{log}");
}
