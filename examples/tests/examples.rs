//! Runs each SDK script against the real Kiwi TCMS; checks `action.yml` and the CI recipes
//! (`examples/ci_recipes.rs`); installs the wheel's commands and reports with them
//! (`examples/wheel_e2e.rs`, when `TCMS_E2E_WHEEL_VENV` names the virtualenv `.ci/run` made).

// Test helpers may unwrap: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

#[path = "examples/ci_recipes.rs"]
mod ci_recipes;
#[path = "examples/wheel_e2e.rs"]
mod wheel_e2e;

use std::process::Command;

use tcms_api::Client;
use tcms_api::report::{Attempt, Options, Outcome, PluginInfo, Reporter, Settings, TestResult};
use tcms_test_kit::server::{real_server, unique_name};

fn script(name: &str, server: &tcms_test_kit::server::RealServer) -> Command {
    let mut cmd = Command::new(match name {
        "plan-runs" => env!("CARGO_BIN_EXE_plan-runs"),
        _ => env!("CARGO_BIN_EXE_set-status"),
    });
    cmd.env_clear()
        .env("HOME", "/nonexistent-home-for-examples")
        .env("TCMS_API_URL", server.url())
        .env("TCMS_USERNAME", server.username())
        .env("TCMS_PASSWORD", server.password().expose_secret());
    cmd
}

// `e2e` in the name: scripts/test runs the tests named so against every Kiwi TCMS it starts.
#[tokio::test(flavor = "multi_thread")]
async fn e2e_plan_runs_and_set_status_work_on_a_real_server() {
    let server = real_server().expect("real Kiwi");
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("examples");
    let settings = Settings::from_vars(
        PluginInfo::new("examples-test", "0", "[ex]"),
        [
            ("TCMS_PRODUCT".to_owned(), product),
            ("TCMS_PRODUCT_VERSION".to_owned(), "v".to_owned()),
            ("TCMS_BUILD".to_owned(), "1".to_owned()),
        ],
    )
    .unwrap();
    let mut reporter = Reporter::start(client.clone(), settings, Options::default())
        .await
        .unwrap();
    reporter
        .report(&[
            TestResult::new("a", Attempt::new(Outcome::Passed)),
            TestResult::new("b", Attempt::new(Outcome::Failed)),
            TestResult::new("c", Attempt::new(Outcome::Skipped)),
        ])
        .await
        .unwrap();
    let summary = reporter.finish().await.unwrap();
    let plan = summary.plan_id.unwrap();
    let run = summary.run_id.unwrap();

    let out = script("plan-runs", &server)
        .arg(plan.get().to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 run(s)"), "{text}");
    assert!(text.contains(&format!("{run}")), "{text}");
    assert!(text.contains("1 passed, 1 failed, 1 other"), "{text}");

    let execs = client
        .test_executions()
        .filter(tcms_api::Query::new().eq("run", run))
        .await
        .unwrap();
    let b = execs
        .iter()
        .find(|e| e.case_summary.as_deref() == Some("b"))
        .unwrap();
    let out = script("set-status", &server)
        .args([
            b.id.get().to_string(),
            "passed".into(),
            "re-tested by hand".into(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = client
        .test_executions()
        .filter(tcms_api::Query::new().eq("pk", b.id))
        .await
        .unwrap();
    assert_eq!(after[0].status_name.as_deref(), Some("PASSED"));
    let comments = client.test_executions().get_comments(b.id).await.unwrap();
    assert_eq!(comments.len(), 1);

    // A wrong status name is a clear error and a non-zero exit.
    let out = script("set-status", &server)
        .args([b.id.get().to_string(), "NO_SUCH".into()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no execution status named NO_SUCH"));
}
