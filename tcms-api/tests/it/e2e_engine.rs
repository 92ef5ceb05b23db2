//! The reporting engine against the real Kiwi TCMS: what lands in the database.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use tcms_api::Client;
use tcms_api::report::{
    Attempt, KiwiStatus, Options, Outcome, PluginInfo, ReportError, Reporter, Settings, TestResult,
};
use tcms_test_kit::server::{real_server, unique_name};

fn client() -> Client {
    let server = real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS for end-to-end tests: {e}"));
    Client::new(server.config()).expect("client")
}

fn settings(vars: &[(&str, &str)]) -> Settings {
    Settings::from_vars(
        PluginInfo::new("engine-e2e", "0.0.0", "[e2e]"),
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .expect("settings")
}

fn result(name: &str, outcome: Outcome, message: Option<&str>) -> TestResult {
    let mut a = Attempt::new(outcome);
    a.message = message.map(str::to_owned);
    TestResult::new(name, a)
}

fn timed(name: &str, outcome: Outcome, start_ms: i64, len_ms: i64) -> TestResult {
    let mut a = Attempt::new(outcome);
    let start = Utc
        .timestamp_millis_opt(1_767_225_600_000 + start_ms)
        .unwrap();
    a.started = Some(start);
    a.stopped = Some(start + chrono::Duration::milliseconds(len_ms));
    a.duration = Some(Duration::from_millis(len_ms as u64));
    TestResult::new(name, a)
}

async fn executions(client: &Client, run: i64) -> Vec<Value> {
    client
        .call("TestExecution.filter", json!([{"run": run}]))
        .await
        .expect("TestExecution.filter")
}

async fn comments(client: &Client, execution: i64) -> Vec<String> {
    let rows: Vec<Value> = client
        .call("TestExecution.get_comments", json!([execution]))
        .await
        .expect("get_comments");
    rows.iter()
        .map(|c| c["comment"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn by_summary<'a>(execs: &'a [Value], summary: &str) -> &'a Value {
    execs
        .iter()
        .find(|e| e["case__summary"] == summary)
        .unwrap_or_else(|| panic!("no execution for {summary:?} in {execs:#?}"))
}

#[tokio::test]
async fn fresh_product_gets_everything_with_statuses_comments_and_dates() {
    let client = client();
    let product = unique_name("engine-fresh");
    let s = settings(&[
        ("TCMS_PRODUCT", &product),
        ("TCMS_PRODUCT_VERSION", "v1"),
        ("TCMS_BUILD", "b1"),
    ]);
    let html_name = "pkg.Special.test_param[<a>&b-'q\"]";
    let long_name = format!("long.{}", "x".repeat(300));
    let mut flaky = result("suite.flaky", Outcome::Failed, Some("first try failed"));
    flaky.push_attempt(Attempt::new(Outcome::Passed));
    let results = vec![
        timed("suite.pass", Outcome::Passed, 0, 125),
        result("suite.fail", Outcome::Failed, Some("assert 1 == 2")),
        result("suite.error", Outcome::Error, Some("boom")),
        result("suite.skip", Outcome::Skipped, Some("not today")),
        flaky,
        result("suite.dup", Outcome::Failed, Some("dup failed")),
        result("suite.dup", Outcome::Passed, None),
        result(html_name, Outcome::Passed, None),
        result(&long_name, Outcome::Passed, None),
    ];

    let mut reporter = Reporter::start(client.clone(), s.clone(), Options::default())
        .await
        .expect("start");
    reporter.report(&results).await.expect("report");
    let summary = reporter.finish().await.expect("finish");

    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    assert_eq!(summary.cases, 8);
    assert_eq!(summary.cases_created, 8);
    assert_eq!(summary.accepted.get(&KiwiStatus::Passed), Some(&4));
    assert_eq!(summary.accepted.get(&KiwiStatus::Failed), Some(&2));
    assert_eq!(summary.flaky, 1);
    let run = summary.run_id.expect("run").get();
    assert!(
        summary
            .records
            .iter()
            .any(|r| r.kind() == "Product" && r.is_new())
    );
    assert!(
        summary
            .run_url
            .as_deref()
            .unwrap()
            .ends_with(&format!("/runs/{run}/"))
    );

    let execs = executions(&client, run).await;
    assert_eq!(execs.len(), 8, "{execs:#?}");
    let status = |name: &str| {
        by_summary(&execs, name)["status__name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status("suite.pass"), "PASSED");
    assert_eq!(status("suite.fail"), "FAILED");
    assert_eq!(status("suite.error"), "ERROR");
    assert_eq!(status("suite.skip"), "WAIVED");
    assert_eq!(status("suite.flaky"), "PASSED");
    assert_eq!(
        status("suite.dup"),
        "FAILED",
        "the failure of a duplicate is not hidden"
    );
    assert_eq!(status(html_name), "PASSED");
    // A long name is stored as a prefix and a hash of the whole name.
    let long_summary = tcms_api::report::case_summary(&long_name);
    assert!(long_summary.chars().count() <= 255 && long_summary.contains("… [h:"));
    assert_eq!(status(&long_summary), "PASSED");

    // Dates with fractions, as sent.
    let pass = by_summary(&execs, "suite.pass");
    assert_eq!(pass["start_date"], "2026-01-01T00:00:00");
    assert_eq!(pass["stop_date"], "2026-01-01T00:00:00.125");

    // Comments: none on passes, the text on failures, every attempt of the flaky one.
    let id = |name: &str| by_summary(&execs, name)["id"].as_i64().unwrap();
    assert!(comments(&client, id("suite.pass")).await.is_empty());
    assert!(comments(&client, id(html_name)).await.is_empty());
    assert_eq!(
        comments(&client, id("suite.fail")).await,
        vec!["FAILED: assert 1 == 2"]
    );
    let flaky_comments = comments(&client, id("suite.flaky")).await;
    assert_eq!(flaky_comments.len(), 1);
    assert!(flaky_comments[0].contains("FLAKY") && flaky_comments[0].contains("first try failed"));

    // The run was finished.
    let runs: Vec<Value> = client
        .call("TestRun.filter", json!([{"pk": run}]))
        .await
        .unwrap();
    assert!(runs[0]["stop_date"].is_string(), "{runs:?}");
    assert!(runs[0]["start_date"].is_string(), "{runs:?}");

    // Second report on the same product/version/build: same plan, no new case, a new run.
    let mut again = Reporter::start(client.clone(), s, Options::default())
        .await
        .unwrap();
    again.report(&results).await.unwrap();
    let second = again.finish().await.unwrap();
    assert_eq!(second.cases_created, 0);
    assert_eq!(second.plan_id, summary.plan_id);
    assert_ne!(second.run_id, summary.run_id);
    assert!(
        second
            .records
            .iter()
            .all(|r| r.kind() == "TR" || !r.is_new()),
        "{:?}",
        second.records
    );
    assert_eq!(
        executions(&client, second.run_id.unwrap().get())
            .await
            .len(),
        8
    );
}

#[tokio::test]
async fn rereporting_into_the_same_run_adds_no_duplicate_comments() {
    let client = client();
    let product = unique_name("engine-rerun");
    let first = {
        let s = settings(&[
            ("TCMS_PRODUCT", &product),
            ("TCMS_PRODUCT_VERSION", "v"),
            ("TCMS_BUILD", "1"),
        ]);
        let mut r = Reporter::start(client.clone(), s, Options::default())
            .await
            .unwrap();
        r.report(&[result("t.fail", Outcome::Failed, Some("nope"))])
            .await
            .unwrap();
        r.finish().await.unwrap()
    };
    let run = first.run_id.unwrap().get().to_string();
    let s = settings(&[("TCMS_RUN_ID", &run)]);
    let mut r = Reporter::start(client.clone(), s, Options::default())
        .await
        .unwrap();
    r.report(&[
        result("t.fail", Outcome::Failed, Some("nope")),
        result("t.new", Outcome::Passed, None),
    ])
    .await
    .unwrap();
    let second = r.finish().await.unwrap();
    assert_eq!(second.run_id, first.run_id);
    assert_eq!(second.cases_created, 1);
    let execs = executions(&client, first.run_id.unwrap().get()).await;
    assert_eq!(execs.len(), 2);
    let fail = by_summary(&execs, "t.fail")["id"].as_i64().unwrap();
    assert_eq!(comments(&client, fail).await, vec!["FAILED: nope"]);
}

#[tokio::test]
async fn bad_run_or_plan_ids_create_nothing() {
    let client = client();
    let product = unique_name("engine-bad");
    let err = Reporter::start(
        client.clone(),
        settings(&[("TCMS_RUN_ID", "999999999"), ("TCMS_PRODUCT", &product)]),
        Options::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ReportError::Target(_)), "{err}");
    assert_eq!(err.kind(), tcms_api::report::ErrorKind::Config);
    assert!(err.to_string().contains("TCMS_RUN_ID=999999999"), "{err}");
    let found: Vec<Value> = client
        .call("Product.filter", json!([{"name": product}]))
        .await
        .unwrap();
    assert!(found.is_empty(), "nothing created: {found:?}");

    // A plan of version v1, reported with another version: refused before creating v2.
    let s = settings(&[
        ("TCMS_PRODUCT", &product),
        ("TCMS_PRODUCT_VERSION", "v1"),
        ("TCMS_BUILD", "1"),
    ]);
    let mut r = Reporter::start(client.clone(), s, Options::default())
        .await
        .unwrap();
    r.report(&[result("t", Outcome::Passed, None)])
        .await
        .unwrap();
    let plan = r.finish().await.unwrap().plan_id.unwrap().get().to_string();
    let err = Reporter::start(
        client.clone(),
        settings(&[
            ("TCMS_PLAN_ID", &plan),
            ("TCMS_PRODUCT_VERSION", "v2"),
            ("TCMS_BUILD", "9"),
        ]),
        Options::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("TCMS_PLAN_ID"), "{err}");
    let versions: Vec<Value> = client
        .call(
            "Version.filter",
            json!([{"product__name": product, "value": "v2"}]),
        )
        .await
        .unwrap();
    assert!(versions.is_empty(), "no version v2 created: {versions:?}");
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let client = client();
    let product = unique_name("engine-dry");
    let s = settings(&[
        ("TCMS_PRODUCT", &product),
        ("TCMS_PRODUCT_VERSION", "v"),
        ("TCMS_BUILD", "1"),
    ]);
    let options = Options::new().dry_run(true);
    let mut r = Reporter::start(client.clone(), s, options).await.unwrap();
    r.report(&[
        result("a", Outcome::Passed, None),
        result("b", Outcome::Failed, None),
    ])
    .await
    .unwrap();
    let summary = r.finish().await.unwrap();
    assert!(summary.dry_run);
    assert_eq!(summary.cases_created, 2);
    assert!(
        summary
            .records
            .iter()
            .any(|r| r.kind() == "Product" && r.is_new())
    );
    let found: Vec<Value> = client
        .call("Product.filter", json!([{"name": product}]))
        .await
        .unwrap();
    assert!(found.is_empty(), "dry run created {found:?}");
}
