//! `tcms-tap` end to end against the real Kiwi TCMS: files, bail out, and `--live` fed slowly
//! through a pipe. Every test reports into its own product.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tcms_api::Client;
use tcms_test_kit::server::{RealServer, output_text, plugin_command, real_server, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_tcms-tap");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn server() -> RealServer {
    real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS for end-to-end tests: {e}"))
}

fn plugin(server: &RealServer, product: &str) -> Command {
    plugin_command(BIN, server, product)
}

fn text(out: &Output) -> String {
    output_text(out)
}

async fn executions(client: &Client, run: i64) -> Vec<Value> {
    client
        .call("TestExecution.filter", json!([{"run": run}]))
        .await
        .unwrap()
}

/// `tcms-tap --live -v` with piped standard streams, and its run, which `-v` announces before
/// the first result.
fn spawn_live(
    server: &RealServer,
    product: &str,
) -> (Child, ChildStdin, BufReader<ChildStdout>, i64) {
    let mut child = plugin(server, product)
        .args(["--live", "-v"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..10 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.contains("TR-") {
            return (child, stdin, stdout, run_id(&line));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the run is not announced at start");
}

/// Waits (at most 30 s) until the case `summary` is PASSED in `run`.
async fn until_passed(client: &Client, run: i64, summary: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let execs = executions(client, run).await;
        if execs
            .iter()
            .any(|e| e["case__summary"] == summary && e["status__name"] == "PASSED")
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{summary} not PASSED after 30 s: {execs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (at most 30 s) until the notes of `run` contain `needle`.
async fn until_notes_contain(client: &Client, run: i64, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let notes = run_notes(client, run).await;
        if notes.contains(needle) {
            return;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in: {notes}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn run_id(log: &str) -> i64 {
    let at = log.find("TR-").unwrap_or_else(|| panic!("no TR- in {log}"));
    log[at + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn reports_node_test_runner_output() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-e2e");
    let out = plugin(&server, &product)
        .arg("-v")
        .arg(fixture("node-test.tap"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let execs = executions(&client, run_id(&log)).await;
    let by = |name: &str| {
        execs
            .iter()
            .find(|e| e["case__summary"] == name)
            .unwrap_or_else(|| panic!("{name} not in {execs:#?}"))
            .clone()
    };
    assert_eq!(by("adds numbers")["status__name"], "PASSED");
    let failed = by("fails an assertion");
    assert_eq!(failed["status__name"], "FAILED");
    let comments: Vec<Value> = client
        .call("TestExecution.get_comments", json!([failed["id"]]))
        .await
        .unwrap();
    let comment = comments[0]["comment"].as_str().unwrap();
    assert!(
        comment.contains("one plus one should be three"),
        "{comment}"
    );
}

#[tokio::test]
async fn bail_out_reports_what_ran_notes_the_reason_and_exits_3() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-bail");
    let out = plugin(&server, &product)
        .arg("-v")
        .arg(fixture("edge-bail-out.tap"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(3), "{log}");
    assert!(log.contains("Bail out! Database not available"), "{log}");
    let run = run_id(&log);
    let execs = executions(&client, run).await;
    assert_eq!(
        execs.len(),
        2,
        "only what ran before the bail out: {execs:#?}"
    );
    let runs: Vec<Value> = client
        .call("TestRun.filter", json!([{"pk": run}]))
        .await
        .unwrap();
    let notes = runs[0]["notes"].as_str().unwrap();
    assert!(
        notes.contains("Bail out! Database not available"),
        "{notes}"
    );
    assert!(runs[0]["stop_date"].is_string());
}

#[tokio::test]
async fn live_results_appear_while_the_producer_still_runs() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-live");
    // The run exists before the first result: `-v` prints it at start.
    let (mut child, mut stdin, _stdout, run) = spawn_live(&server, &product);
    writeln!(
        stdin,
        "TAP version 13\n1..3\nok 1 - first\nnot ok 2 - second\n# why it failed"
    )
    .unwrap();
    stdin.flush().unwrap();
    // ok 1 is complete (ok 2 waits for its diagnostics): it must land within a few seconds,
    // while the producer is still running.
    until_passed(&client, run, "first").await;
    assert!(child.try_wait().unwrap().is_none(), "still running");
    writeln!(stdin, "ok 3 - third").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let execs = executions(&client, run).await;
    assert_eq!(execs.len(), 3, "{execs:#?}");
    let second = execs
        .iter()
        .find(|e| e["case__summary"] == "second")
        .unwrap();
    assert_eq!(second["status__name"], "FAILED");
    let comments: Vec<Value> = client
        .call("TestExecution.get_comments", json!([second["id"]]))
        .await
        .unwrap();
    assert!(
        comments[0]["comment"]
            .as_str()
            .unwrap()
            .contains("why it failed")
    );
    let runs: Vec<Value> = client
        .call("TestRun.filter", json!([{"pk": run}]))
        .await
        .unwrap();
    assert!(runs[0]["stop_date"].is_string(), "finished at EOF");
}

#[tokio::test]
async fn invalid_utf8_exits_2_and_creates_nothing() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-bad");
    let out = plugin(&server, &product)
        .arg(fixture("edge-invalid-utf8.tap"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(2), "{log}");
    assert!(log.contains("edge-invalid-utf8.tap"), "{log}");
    let products: Vec<Value> = client
        .call("Product.filter", json!([{"name": product}]))
        .await
        .unwrap();
    assert!(products.is_empty());
}

/// An empty file, or one of only a shell's error, is no run of zero tests: exit 2, the file
/// named, nothing created; from `--live` the run that exists already gets the reason in its
/// notes, and the exit code is 2 as well.
#[tokio::test]
async fn no_tap_at_all_exits_2_and_creates_nothing() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.tap");
    std::fs::write(&empty, "").unwrap();
    let failed = dir.path().join("failed.tap");
    std::fs::write(&failed, "sh: 1: prove: not found\n").unwrap();
    let good = fixture("node-test.tap");
    for (bad, says) in [
        (&empty, "empty.tap:1:1: no TAP found: the input is empty"),
        (&failed, "failed.tap: no TAP found in its 1 line(s)"),
    ] {
        let product = unique_name("tap-none");
        // After a good file too: nothing of it is sent either.
        let out = plugin(&server, &product)
            .arg(&good)
            .arg(bad)
            .output()
            .unwrap();
        let log = text(&out);
        assert_eq!(out.status.code(), Some(2), "{log}");
        assert!(log.contains(says), "{log}");
        assert!(log.contains("nothing was sent"), "{log}");
        let products: Vec<Value> = client
            .call("Product.filter", json!([{"name": product}]))
            .await
            .unwrap();
        assert!(products.is_empty(), "{log}");
    }
    // A run of no tests is reported.
    let zero = dir.path().join("zero.tap");
    std::fs::write(&zero, "1..0 # SKIP no display\n").unwrap();
    let out = plugin(&server, &unique_name("tap-zero"))
        .arg(&zero)
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        log.contains("warning: no test results in the input"),
        "{log}"
    );
    assert!(log.contains("TR-"), "{log}");
    let product = unique_name("tap-none-live");
    let (mut child, stdin, _stdout, run) = spawn_live(&server, &product);
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let notes = run_notes(&client, run).await;
    assert!(
        notes.contains("input error: <stdin>:1:1: no TAP found: the input is empty"),
        "{notes}"
    );
}

async fn run_notes(client: &Client, run: i64) -> String {
    let runs: Vec<Value> = client
        .call("TestRun.filter", json!([{"pk": run}]))
        .await
        .unwrap();
    runs[0]["notes"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_plan_in_the_middle_and_a_late_version_line_are_complete_runs() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-plans");
    let out = plugin(&server, &product)
        .arg("-v")
        .arg(fixture("edge-plan-in-the-middle.tap"))
        .arg(fixture("edge-version-after-plan.tap"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(!log.contains("never reported"), "{log}");
    let run = run_id(&log);
    let execs = executions(&client, run).await;
    assert_eq!(execs.len(), 15 + 6, "{execs:#?}");
    for name in ["opens a PNG", "writes a WebP", "invert", "second batch one"] {
        let exec = execs
            .iter()
            .find(|e| e["case__summary"] == name)
            .unwrap_or_else(|| panic!("{name} not in {execs:#?}"));
        assert_eq!(exec["status__name"], "PASSED");
    }
    let notes = run_notes(&client, run).await;
    assert!(!notes.contains("never reported"), "{notes}");
}

#[tokio::test]
async fn subtest_headings_and_stray_indented_lines_invent_no_cases() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-subtests");
    let out = plugin(&server, &product)
        .arg("-v")
        .arg(fixture("edge-subtest-headings.tap"))
        .arg(fixture("edge-indented-headings.tap"))
        .arg(fixture("edge-stray-indented.tap"))
        .arg(fixture("edge-stray-after-plan-at-end.tap"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    // The ignored lines are named at -v.
    for (file, line) in [
        ("edge-stray-indented.tap", 6),
        ("edge-stray-after-plan-at-end.tap", 8),
    ] {
        assert!(
            log.lines().any(|l| l.contains(file)
                && l.contains("ignored")
                && l.ends_with(&format!(" {line}"))),
            "no warning for {file}:{line} in {log}"
        );
    }
    let execs = executions(&client, run_id(&log)).await;
    let mut got: Vec<(String, String)> = execs
        .iter()
        .map(|e| {
            (
                e["case__summary"].as_str().unwrap().to_owned(),
                e["status__name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("config loader", "FAILED"),
        ("cache", "PASSED"),
        ("todo subtest", "PAUSED"),
        ("math", "FAILED"),
        ("network", "WAIVED"),
        ("outer", "PASSED"),
        ("strings", "PASSED"),
        ("parses the header", "PASSED"),
        ("parses the body", "PASSED"),
        ("parses the trailer", "PASSED"),
        ("first", "PASSED"),
        ("second", "PASSED"),
    ]
    .iter()
    .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
    .collect();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_subtest_that_never_finished_is_an_error_and_exits_3() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-unfinished");
    let out = plugin(&server, &product)
        .arg("-v")
        .arg(fixture("edge-unfinished-subtest.tap"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(3), "{log}");
    assert!(log.contains("1 planned test(s) never reported: 3"), "{log}");
    let run = run_id(&log);
    let execs = executions(&client, run).await;
    assert_eq!(execs.len(), 3, "{execs:#?}");
    let unfinished = execs
        .iter()
        .find(|e| e["case__summary"] == "uploads a file")
        .unwrap_or_else(|| panic!("{execs:#?}"));
    assert_eq!(unfinished["status__name"], "ERROR");
    let notes = run_notes(&client, run).await;
    assert!(
        notes.contains("1 planned test(s) never reported: 3"),
        "{notes}"
    );
}

/// The case ids of a run's executions, sorted.
async fn case_ids(client: &Client, run: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = executions(client, run)
        .await
        .iter()
        .map(|e| e["case"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn standard_input_lands_on_the_file_s_cases_with_name() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-stdin");
    let file = fixture("edge-no-description.tap");
    let piped = |args: &[&str]| {
        plugin(&server, &product)
            .arg("-v")
            .args(args)
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap()
    };

    let out = piped(&["--name", "edge-no-description"]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let run = run_id(&log);
    let summaries: Vec<Value> = executions(&client, run)
        .await
        .iter()
        .map(|e| e["case__summary"].clone())
        .collect();
    assert!(
        summaries.contains(&json!("edge-no-description #1"))
            && summaries.contains(&json!("edge-no-description #4")),
        "{summaries:?}"
    );
    let from_stdin = case_ids(&client, run).await;

    let out = plugin(&server, &product)
        .arg("-v")
        .arg(&file)
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_eq!(case_ids(&client, run_id(&log)).await, from_stdin);

    // Without --name: a stem that does not depend on any path.
    let out = piped(&[]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let execs = executions(&client, run_id(&log)).await;
    assert!(
        execs.iter().any(|e| e["case__summary"] == "stdin #3"),
        "{execs:#?}"
    );
}

#[tokio::test]
async fn the_never_reported_note_names_the_file_once() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-missing");
    let file = fixture("edge-plan-missing-tests.tap");
    let out = plugin(&server, &product)
        .arg("-v")
        .arg(&file)
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(3), "{log}");
    let note = format!(
        "{}: 3 planned test(s) never reported: 3, 5-6",
        file.display()
    );
    assert!(
        log.lines().any(|l| l == format!("tcms-tap: {note}")),
        "{log}"
    );
    let notes = run_notes(&client, run_id(&log)).await;
    assert!(notes.contains(&note), "{notes}");
    assert!(!notes.contains(".tap: /"), "{notes}");
}

#[tokio::test]
async fn an_empty_buffered_subtest_lands_under_its_name() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-buffered");
    let out = plugin(&server, &product)
        .arg("-v")
        .arg(fixture("edge-empty-buffered.tap"))
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let mut names: Vec<String> = executions(&client, run_id(&log))
        .await
        .iter()
        .map(|e| e["case__summary"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["child", "other", "with children"]);
}

#[tokio::test]
async fn long_names_that_differ_at_the_end_get_their_own_cases_every_run() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-long");
    let file = fixture("edge-long-names.tap");
    let text_of_file = std::fs::read_to_string(&file).unwrap();
    let (results, _) = tcms_tap::parse_str(
        "edge-long-names.tap",
        &text_of_file,
        tcms_tap::Options::default(),
    );
    let mut wanted: Vec<String> = results
        .iter()
        .map(|r| tcms_api::report::case_summary(&r.name))
        .collect();
    wanted.sort();
    assert!(results.iter().all(|r| r.name.chars().count() > 255));
    assert!(wanted.iter().all(|s| s.chars().count() <= 255));
    wanted.dedup();
    assert_eq!(wanted.len(), 3, "{wanted:#?}");

    let mut first = Vec::new();
    for round in 0..2 {
        let out = plugin(&server, &product)
            .arg("-v")
            .arg(&file)
            .output()
            .unwrap();
        let log = text(&out);
        assert_eq!(out.status.code(), Some(0), "{log}");
        let run = run_id(&log);
        let mut summaries: Vec<String> = executions(&client, run)
            .await
            .iter()
            .map(|e| e["case__summary"].as_str().unwrap().to_owned())
            .collect();
        summaries.sort();
        assert_eq!(summaries, wanted);
        assert!(
            log.contains("longer than 255 characters"),
            "one warning names the count: {log}"
        );
        let ids = case_ids(&client, run).await;
        if round == 0 {
            // The case's text keeps the whole name.
            let cases: Vec<serde_json::Value> = client
                .call("TestCase.filter", serde_json::json!([{"pk__in": ids}]))
                .await
                .unwrap();
            let mut texts: Vec<String> = cases
                .iter()
                .map(|c| c["text"].as_str().unwrap_or_default().to_owned())
                .collect();
            texts.sort();
            let mut full: Vec<String> = results.iter().map(|r| r.name.trim().to_owned()).collect();
            full.sort();
            full.dedup();
            assert_eq!(texts, full);
            first = ids;
        } else {
            assert_eq!(ids, first, "the second run reuses the cases");
        }
    }
}

/// `tcms-tap --live` fed `ok 1` and then nothing: the result lands within seconds while the
/// input stays quiet, the notes say "1 of 3" from the plan, and a `Bail out!` is in the notes
/// while the input is still open.
#[tokio::test]
async fn live_a_result_lands_while_the_input_is_quiet_and_the_notes_follow() {
    let server = server();
    let client = Client::new(server.config()).unwrap();
    let product = unique_name("tap-live-quiet");
    let (mut child, mut stdin, mut stdout, run) = spawn_live(&server, &product);
    // The rest of stdout is read on the side, so the child never blocks on it.
    let rest = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut all);
        all
    });
    writeln!(stdin, "1..3\nok 1 - first").unwrap();
    stdin.flush().unwrap();
    let fed = Instant::now();
    until_passed(&client, run, "first").await;
    let landed_after = fed.elapsed();
    // "About a second" (exact figures: BENCHMARKS.md); loose here, the machine is shared.
    assert!(landed_after < Duration::from_secs(5), "{landed_after:?}");
    until_notes_contain(&client, run, "progress: 1 of 3 planned test(s) reported").await;
    assert!(child.try_wait().unwrap().is_none(), "still reading");
    writeln!(stdin, "Bail out! the database went away").unwrap();
    stdin.flush().unwrap();
    until_notes_contain(&client, run, "Bail out! the database went away").await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the input is still open"
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let log = format!("{}{}", rest.join().unwrap(), text(&out));
    assert_eq!(out.status.code(), Some(3), "bailed out: {log}");
    let notes = run_notes(&client, run).await;
    assert_eq!(notes.matches("Bail out!").count(), 1, "noted once: {notes}");
    assert!(notes.contains("1 of 3 planned test(s) reported"), "{notes}");
}
