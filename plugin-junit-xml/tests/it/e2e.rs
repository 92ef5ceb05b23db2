//! `tcms-junit-xml` end to end against the real Kiwi TCMS: exit codes, and what lands in the
//! database. Every test reports into its own product.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tcms_api::Client;
use tcms_test_kit::server::{RealServer, output_text, plugin_command, real_server, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_tcms-junit-xml");

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn server() -> RealServer {
    real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS for end-to-end tests: {e}"))
}

/// The plugin with a clean environment: the server's credentials, the product's names, no
/// config file.
fn plugin(server: &RealServer, product: &str) -> Command {
    plugin_command(BIN, server, product)
}

fn text(out: &Output) -> String {
    output_text(out)
}

async fn rows(client: &Client, method: &str, query: Value) -> Vec<Value> {
    client.call(method, json!([query])).await.expect(method)
}

#[tokio::test]
async fn reports_pytest_results_with_statuses_comments_and_dates() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("junit-e2e");
    let receipt = std::env::temp_dir().join(format!("{product}.json"));
    let out = plugin(&server, &product)
        .arg("-v")
        .arg("--receipt")
        .arg(&receipt)
        .arg(fixture("real/pytest-xunit2.xml"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("added: TP-"), "{log}");
    assert!(log.contains("added: TR-"), "{log}");
    assert!(log.contains("/runs/"), "{log}");
    assert!(!log.contains(server.password().expose_secret()), "{log}");

    let receipt: Value = serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
    let run = receipt["run_id"].as_i64().unwrap();
    let execs = rows(&client, "TestExecution.filter", json!({"run": run})).await;
    assert_eq!(
        execs.len() as u64,
        receipt["cases"].as_u64().unwrap(),
        "{receipt}"
    );
    let by = |summary: &str| {
        execs
            .iter()
            .find(|e| e["case__summary"] == summary)
            .unwrap_or_else(|| panic!("{summary} not in {execs:#?}"))
            .clone()
    };
    let failed = by("test_sample.test_fails");
    assert_eq!(failed["status__name"], "FAILED");
    assert_eq!(by("test_sample.test_passes")["status__name"], "PASSED");
    // Dates from the suite timestamp, with fractions.
    assert!(
        failed["start_date"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-23T03:52:05"),
        "{failed}"
    );
    let comments: Vec<Value> = client
        .call("TestExecution.get_comments", json!([failed["id"]]))
        .await
        .unwrap();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let comment = comments[0]["comment"].as_str().unwrap();
    assert!(
        comment.contains("AssertionError: lists differ"),
        "{comment}"
    );
    assert!(comment.contains("output before the failure"), "{comment}");
    assert!(!comment.contains("None"), "{comment}");
    let passed: Vec<Value> = client
        .call(
            "TestExecution.get_comments",
            json!([by("test_sample.test_passes")["id"]]),
        )
        .await
        .unwrap();
    assert!(passed.is_empty(), "no comment on a pass: {passed:?}");
}

#[tokio::test]
async fn malformed_input_exits_2_and_creates_nothing() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("junit-bad");
    // A good file first, then a broken one: nothing at all may be sent.
    let out = plugin(&server, &product)
        .arg(fixture("real/pytest-xunit2.xml"))
        .arg(fixture("errors/truncated.xml"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(2), "{log}");
    assert!(
        log.contains("truncated.xml:"),
        "names the file and line: {log}"
    );
    assert!(log.contains("nothing was sent"), "{log}");
    assert!(
        rows(&client, "Product.filter", json!({"name": product}))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn missing_configuration_exits_1_naming_the_variable() {
    let server = server();
    let out = plugin(&server, "unused")
        .env_remove("TCMS_PASSWORD")
        .arg(fixture("real/pytest-xunit2.xml"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("TCMS_PASSWORD not configured"), "{log}");
}

#[tokio::test]
async fn reads_standard_input_and_dry_run_changes_nothing() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("junit-stdin");
    let xml = std::fs::read(fixture("real/jest-junit.xml")).unwrap();
    let run = |extra: &[&str]| {
        let mut child = plugin(&server, &product)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(&xml).unwrap();
        child.wait_with_output().unwrap()
    };
    let dry = run(&["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(text(&dry).contains("would report"), "{}", text(&dry));
    assert!(
        rows(&client, "Product.filter", json!({"name": product}))
            .await
            .is_empty()
    );

    let real = run(&["-"]);
    assert_eq!(real.status.code(), Some(0), "{}", text(&real));
    assert_eq!(
        rows(&client, "Product.filter", json!({"name": product}))
            .await
            .len(),
        1
    );
}

/// The compatibility promise: a team that reported with the official Python plugin and
/// switches to ours gets no new TestPlan and no new TestCase for the same tests.
#[tokio::test]
async fn after_the_python_plugin_no_new_plan_and_no_new_case() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("junit-compat");
    let bin = python_plugins();
    let home = tempfile_home(&server);
    // The Python plugin aborts on timestamps with an offset (pytest writes them): Jest's have none.
    let input = fixture("real/jest-junit.xml");

    let py = Command::new(bin.join("tcms-junit.xml-plugin"))
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TCMS_PRODUCT", &product)
        .env("TCMS_PRODUCT_VERSION", "v1")
        .env("TCMS_BUILD", "b1")
        .arg(&input)
        .output()
        .unwrap();
    assert!(py.status.success(), "python plugin: {}", text(&py));
    let plans = rows(
        &client,
        "TestPlan.filter",
        json!({"product__name": product}),
    )
    .await;
    let cases = rows(
        &client,
        "TestCase.filter",
        json!({"category__product__name": product}),
    )
    .await;
    assert_eq!(plans.len(), 1);
    assert!(!cases.is_empty());

    let ours = plugin(&server, &product)
        .arg("-v")
        .arg(&input)
        .output()
        .unwrap();
    let log = text(&ours);
    assert_eq!(ours.status.code(), Some(0), "{log}");
    assert!(
        log.contains(&format!("reuse: TP-{}", plans[0]["id"])),
        "{log}"
    );
    let plans_after = rows(
        &client,
        "TestPlan.filter",
        json!({"product__name": product}),
    )
    .await;
    let cases_after = rows(
        &client,
        "TestCase.filter",
        json!({"category__product__name": product}),
    )
    .await;
    assert_eq!(plans_after.len(), 1, "no new plan");
    assert_eq!(cases_after.len(), cases.len(), "no new case");
    let runs = rows(&client, "TestRun.filter", json!({"plan": plans[0]["id"]})).await;
    assert_eq!(runs.len(), 2, "one run each");
}

fn python_plugins() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/python-plugins");
    let out = Command::new("bash").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "scripts/python-plugins: {}",
        text(&out)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// A HOME whose ~/.tcms.conf points the Python plugin at the test server.
fn tempfile_home(server: &RealServer) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let conf = format!(
        "[tcms]\nurl = {}/xml-rpc/\nusername = {}\npassword = {}\n",
        server.url().trim_end_matches('/'),
        server.username(),
        server.password().expose_secret().replace('%', "%%"),
    );
    std::fs::write(dir.path().join(".tcms.conf"), conf).unwrap();
    dir
}

/// Writes a junit.xml with `count` passing cases named `shard{shard}.test_{i}`.
fn shard_file(dir: &Path, shard: usize, count: usize) -> PathBuf {
    let mut xml = String::from("<testsuite name=\"shard\">\n");
    for i in 0..count {
        xml.push_str(&format!(
            "<testcase classname=\"shard{shard}\" name=\"test_{i}\" time=\"0.01\"/>\n"
        ));
    }
    xml.push_str("</testsuite>\n");
    let path = dir.join(format!("shard{shard}.xml"));
    std::fs::write(&path, xml).unwrap();
    path
}

/// Eight shards of one pipeline at once, same product, version and build: exactly one of each
/// record and one plan; with a run key, one run holding every shard's results.
#[tokio::test]
async fn eight_concurrent_shards_create_one_of_everything_and_share_one_run() {
    const SHARDS: usize = 8;
    const PER_SHARD: usize = 20;
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (product, key) in [
        (unique_name("shards-key"), Some("pipeline-1")),
        (unique_name("shards-nokey"), None),
    ] {
        let children: Vec<_> = (0..SHARDS)
            .map(|shard| {
                let mut cmd = plugin(&server, &product);
                if let Some(key) = key {
                    cmd.env("TCMS_RUN_KEY", key);
                }
                cmd.arg(shard_file(dir.path(), shard, PER_SHARD))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        }
        let count = |method: &'static str, query: Value| {
            let client = client.clone();
            async move { rows(&client, method, query).await.len() }
        };
        assert_eq!(count("Product.filter", json!({"name": product})).await, 1);
        assert_eq!(
            count(
                "Version.filter",
                json!({"product__name": product, "value": "v1"})
            )
            .await,
            1
        );
        assert_eq!(
            count(
                "Build.filter",
                json!({"version__product__name": product, "name": "b1"})
            )
            .await,
            1
        );
        assert_eq!(
            count("TestPlan.filter", json!({"product__name": product})).await,
            1
        );
        let cases = count(
            "TestCase.filter",
            json!({"category__product__name": product}),
        )
        .await;
        assert_eq!(cases, SHARDS * PER_SHARD);
        let runs = rows(
            &client,
            "TestRun.filter",
            json!({"plan__product__name": product}),
        )
        .await;
        match key {
            Some(_) => {
                let tagged: Vec<&Value> = runs
                    .iter()
                    .filter(|r| !r["notes"].as_str().unwrap_or("").contains("superseded"))
                    .collect();
                assert_eq!(tagged.len(), 1, "one shared run: {runs:#?}");
                let execs = rows(
                    &client,
                    "TestExecution.filter",
                    json!({"run": tagged[0]["id"]}),
                )
                .await;
                assert_eq!(execs.len(), SHARDS * PER_SHARD);
                assert!(execs.iter().all(|e| e["status__name"] == "PASSED"));
                assert_eq!(
                    runs.len(),
                    1,
                    "no superseded runs when the build was new: {runs:#?}"
                );
            }
            None => assert_eq!(runs.len(), SHARDS, "one run per invocation"),
        }
    }
}

/// The file of issue 12: testcase and suite properties, an `[[ATTACHMENT|…]]` line, an xfail,
/// failures; reported inside a (GitHub Actions) CI environment. On Kiwi ≥ 15.3: execution
/// properties, the attachment, run properties; on 12.4: the same data in comments and notes.
/// Everywhere: WAIVED for the xfail and a link to the CI job on every failed execution.
#[tokio::test]
async fn e2e_extras_land_where_the_server_can_hold_them() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let version = client.server_version().await.unwrap();
    let modern = version.at_least(15, 3);
    let product = unique_name("junit-extras");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("screen.txt"), "what the screen showed").unwrap();
    let report = dir.path().join("report.xml");
    std::fs::write(
        &report,
        r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="pytest" tests="3" failures="1" skipped="1" timestamp="2026-11-01T10:00:00">
    <properties><property name="python" value="3.12"/></properties>
    <testcase classname="t.ui" name="test_login" time="1.5">
      <properties><property name="browser" value="firefox"/></properties>
      <failure message="button missing">AssertionError: button missing</failure>
      <system-out>[[ATTACHMENT|screen.txt]]</system-out>
    </testcase>
    <testcase classname="t.ui" name="test_later" time="0.1">
      <skipped type="pytest.xfail" message="known bug 12"/>
    </testcase>
    <testcase classname="t.ui" name="test_ok" time="0.2"/>
  </testsuite>
</testsuites>
"#,
    )
    .unwrap();
    let job = "https://github.example.com/org/repo/actions/runs/4242";
    let receipt = dir.path().join("receipt.json");
    let out = plugin(&server, &product)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SHA", "feedbeef")
        .env("GITHUB_REF_NAME", "main")
        .env("GITHUB_REF_TYPE", "branch")
        .env("GITHUB_SERVER_URL", "https://github.example.com")
        .env("GITHUB_REPOSITORY", "org/repo")
        .env("GITHUB_RUN_ID", "4242")
        .env("RUNNER_OS", "Linux")
        .arg("--receipt")
        .arg(&receipt)
        .arg("--attach-report")
        .arg(&report)
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let receipt: Value = serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
    let run = receipt["run_id"].as_i64().unwrap();
    let execs = rows(&client, "TestExecution.filter", json!({"run": run})).await;
    let by = |summary: &str| {
        execs
            .iter()
            .find(|e| e["case__summary"] == summary)
            .unwrap_or_else(|| panic!("{summary} not in {execs:#?}"))
            .clone()
    };
    let failed = by("t.ui.test_login");
    let xfail = by("t.ui.test_later");
    let passed = by("t.ui.test_ok");
    assert_eq!(failed["status__name"], "FAILED");
    assert_eq!(xfail["status__name"], "WAIVED", "xfail is a skip: WAIVED");
    assert_eq!(passed["status__name"], "PASSED");
    for e in [&failed, &xfail, &passed] {
        assert!(
            e["start_date"].is_string() && e["stop_date"].is_string(),
            "{e}"
        );
    }
    // The run spans the file's dates, not the time of reporting.
    let runs = rows(&client, "TestRun.filter", json!({"pk": run})).await;
    let stop = runs[0]["stop_date"].as_str().unwrap();
    assert!(stop.starts_with("2026-11-01T10:00"), "run stop {stop}");

    // A link to the job on the failed execution only.
    let links = |e: &Value| {
        let id = e["id"].clone();
        let client = client.clone();
        async move {
            let links: Vec<Value> = client
                .call("TestExecution.get_links", json!([{"execution": id}]))
                .await
                .unwrap();
            links
        }
    };
    let failed_links = links(&failed).await;
    assert_eq!(failed_links.len(), 1, "{failed_links:?}");
    assert_eq!(failed_links[0]["url"], job);
    assert!(links(&passed).await.is_empty());
    // The xfail did not pass either (WAIVED): it is linked too.
    assert_eq!(links(&xfail).await.len(), 1);

    // The report file on the run (every version).
    let comments = |e: &Value| {
        let id = e["id"].clone();
        let client = client.clone();
        async move {
            let c: Vec<Value> = client
                .call("TestExecution.get_comments", json!([id]))
                .await
                .unwrap();
            c.iter()
                .map(|c| c["comment"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    if modern {
        let props: Vec<Value> = client
            .call(
                "TestExecution.properties",
                json!([{"execution": failed["id"]}]),
            )
            .await
            .unwrap();
        let mut pairs: Vec<(String, String)> = props
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("browser".to_owned(), "firefox".to_owned()),
                ("python".to_owned(), "3.12".to_owned())
            ]
        );
        let attachments: Vec<Value> = client
            .call("TestExecution.list_attachments", json!([failed["id"]]))
            .await
            .unwrap();
        assert_eq!(attachments.len(), 1, "{attachments:?}");
        assert!(
            attachments[0]["url"]
                .as_str()
                .unwrap()
                .ends_with("screen.txt")
        );
        let run_attachments: Vec<Value> = client
            .call("TestRun.list_attachments", json!([run]))
            .await
            .unwrap();
        assert!(
            run_attachments
                .iter()
                .any(|a| a["url"].as_str().unwrap().ends_with("report.xml")),
            "{run_attachments:?}"
        );
        let run_props: Vec<Value> = client
            .call("TestRun.properties", json!([{"run": run}]))
            .await
            .unwrap();
        let has = |name: &str, value: &str| {
            run_props
                .iter()
                .any(|p| p["name"] == name && p["value"] == value)
        };
        assert!(has("commit", "feedbeef"), "{run_props:?}");
        assert!(has("job_url", job), "{run_props:?}");
        assert!(has("os", "Linux"), "{run_props:?}");
        let notes = runs[0]["notes"].as_str().unwrap();
        assert!(!notes.contains("commit:"), "{notes}");
    } else {
        let text = comments(&failed).await.join("\n");
        assert!(text.contains("browser = firefox"), "{text}");
        assert!(text.contains("python = 3.12"), "{text}");
        assert!(text.contains("screen.txt"), "{text}");
        let notes = runs[0]["notes"].as_str().unwrap();
        assert!(notes.contains("commit: feedbeef"), "{notes}");
        assert!(notes.contains(&format!("job_url: {job}")), "{notes}");
    }
    let xfail_comment = comments(&xfail).await.join("\n");
    assert!(xfail_comment.contains("known bug 12"), "{xfail_comment}");
}
