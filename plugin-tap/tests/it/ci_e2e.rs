//! `tcms-tap --live` in a simulated GitHub Actions step against the real Kiwi TCMS: the job
//! summary, the step outputs, and annotations where the YAML block says where (`at:`).

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use tcms_test_kit::github::{GithubStep, error_annotations};
use tcms_test_kit::server::{output_text, plugin_command, real_server, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_tcms-tap");

const TAP: &str = "TAP version 14
1..3
ok 1 - adds
not ok 2 - subtracts
  ---
  message: 'expected 1, got 2'
  severity: fail
  at:
    file: test/math.js
    line: 17
    column: 5
  ...
not ok 3 - divides
  ---
  message: 'division by zero'
  file: /repo/test/div.js
  line: 4
  ...
";

#[test]
fn live_tap_in_github_actions_gets_the_summary_outputs_and_annotations() {
    let server = real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS: {e}"));
    let product = unique_name("tap-ci-e2e");
    let step = GithubStep::new();
    let mut cmd = plugin_command(BIN, &server, &product);
    step.apply(&mut cmd, Path::new("/repo"));
    let mut child = cmd
        .args(["--live", "--tee"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(TAP.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let log = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    // --tee still copies the input.
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(TAP),
        "{log}"
    );

    let outputs = step.outputs();
    let run = outputs
        .get("run-id")
        .unwrap_or_else(|| panic!("{outputs:?}"));
    assert!(
        outputs
            .get("run-url")
            .is_some_and(|u| u.ends_with(&format!("/runs/{run}/"))),
        "{outputs:?}"
    );
    let summary = step.summary();
    assert!(
        summary.starts_with("### ❌ Kiwi TCMS: 2 of 3 case(s) failed · tcms-tap"),
        "{summary}"
    );
    assert!(summary.contains("`test/math.js:17`"), "{summary}");

    let annotations = error_annotations(&out.stdout);
    assert_eq!(annotations.len(), 2, "{log}");
    assert!(
        annotations[0].starts_with(
            "::error file=test/math.js,line=17,col=5,title=FAILED%3A subtracts::expected 1, got 2"
        ),
        "{annotations:?}"
    );
    assert!(
        annotations[1].starts_with("::error file=test/div.js,line=4,title=FAILED%3A divides::"),
        "{annotations:?}"
    );
}
