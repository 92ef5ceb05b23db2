//! `tcms` against the in-memory Kiwi TCMS: results reported through the engine (with
//! profiles), read back by the binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use tcms_api::report::{Attempt, Options, Outcome, PluginInfo, Reporter, Settings, TestResult};
use tcms_test_kit::fake::FakeKiwi;
use tcms_test_kit::kiwi::Kiwi;
use tcms_test_kit::server::output_text;
use tokio::runtime::Runtime;

use Outcome::{Failed, Passed};

type Checked = anyhow::Result<()>;

/// A fake Kiwi TCMS on its own runtime, with its data.
struct Server {
    fake: FakeKiwi,
    _kiwi: Kiwi,
    runtime: Runtime,
}

impl Server {
    fn new(version: &str) -> anyhow::Result<Self> {
        let runtime = Runtime::new()?;
        let fake = runtime.block_on(FakeKiwi::builder().version(version).start());
        let kiwi = Kiwi::install(&fake);
        Ok(Self {
            fake,
            _kiwi: kiwi,
            runtime,
        })
    }

    /// Reports `(name, outcome, seconds)` into a new run of product `app` (version v1,
    /// build `build`), with `profile`.
    fn report(
        &self,
        profile: Option<&str>,
        build: &str,
        results: &[(&str, Outcome, f64)],
    ) -> anyhow::Result<()> {
        let mut vars = vec![
            ("TCMS_PRODUCT".to_owned(), "app".to_owned()),
            ("TCMS_PRODUCT_VERSION".to_owned(), "v1".to_owned()),
            ("TCMS_BUILD".to_owned(), build.to_owned()),
        ];
        if let Some(p) = profile {
            vars.push(("TCMS_PROFILE".to_owned(), p.to_owned()));
        }
        let settings =
            Settings::from_vars(PluginInfo::new("tcms-junit-xml", "0", "[junit.xml]"), vars)?;
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        let results: Vec<TestResult> = results
            .iter()
            .map(|(name, outcome, secs)| {
                let mut attempt = Attempt::new(*outcome);
                attempt.started = Some(start);
                attempt.stopped =
                    Some(start + chrono::Duration::milliseconds((secs * 1000.0) as i64));
                TestResult::new(*name, attempt)
            })
            .collect();
        let client = self.fake.client()?;
        self.runtime.block_on(async {
            let mut reporter = Reporter::start(client, settings, Options::new()).await?;
            reporter.report(&results).await?;
            reporter.finish().await?;
            anyhow::Ok(())
        })
    }

    /// `tcms ARGS` with a clean environment pointing at the fake and product `app`.
    fn tcms(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tcms"));
        cmd.env_clear()
            .env("HOME", "/nonexistent-home")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TCMS_API_URL", self.fake.uri())
            .env("TCMS_USERNAME", self.fake.username())
            .env("TCMS_PASSWORD", self.fake.password())
            .env("TCMS_PRODUCT", "app")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.tcms(args).output().expect("tcms runs")
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Two profiles: `t.a` fails under py27 (latest run) and passes under py34.
fn two_profiles() -> anyhow::Result<Server> {
    let s = Server::new("12.4")?;
    s.report(
        Some("py27"),
        "b1",
        &[("it::a", Passed, 1.0), ("it::b", Passed, 1.0)],
    )?;
    s.report(
        Some("py27"),
        "b2",
        &[
            ("it::a", Failed, 1.0),
            ("it::b", Passed, 1.0),
            ("other::c d", Failed, 1.0),
        ],
    )?;
    s.report(
        Some("py34"),
        "b2",
        &[("it::a", Passed, 1.0), ("it::b", Passed, 1.0)],
    )?;
    Ok(s)
}

#[test]
fn failing_per_profile_the_refusal_and_the_json() -> Checked {
    let s = two_profiles()?;
    let out = s.run(&["failing", "--profile", "py27"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_eq!(stdout(&out), "it::a\nother::c d\n");
    assert!(
        stderr(&out).contains("2 tests failed in TR-2 (py27, build b2)"),
        "{}",
        output_text(&out)
    );

    let out = s.run(&["failing", "--profile", "py34"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert_eq!(stdout(&out), "");

    let out = s.run(&["failing"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out)
            .contains("the results are of 2 profiles: py27, py34; choose one with --profile"),
        "{}",
        output_text(&out)
    );

    let out = s.run(&["failing", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).context("JSON")?;
    assert_eq!(doc["version"], 1);
    assert_eq!(
        doc["profiles"],
        json!({"py27": ["it::a", "other::c d"], "py34": []})
    );
    assert_eq!(doc["runs"]["py27"]["id"], 2);
    assert_eq!(doc["runs"]["py34"]["build"], "b2");

    // The scope narrows with the options: build b1 has only the passing py27 run.
    let out = s.run(&["failing", "--build", "b1"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    Ok(())
}

#[test]
fn failing_as_runner_arguments() -> Checked {
    let s = two_profiles()?;
    let out = s.run(&["failing", "--profile", "py27", "--format", "cargo"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_eq!(
        stdout(&out),
        "--test it -- --exact a\n--test other -- --exact 'c d'\n"
    );
    let out = s.run(&["failing", "--profile", "py27", "--format", "nextest"]);
    assert_eq!(stdout(&out), "test(=a) | test(=c d)\n");
    let out = s.run(&["failing", "--profile", "py34", "--format", "cargo"]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "--no-run\n")
    );
    let s = Server::new("12.4")?;
    s.report(
        None,
        "b1",
        &[("tests.test_m.TestX.test_y[1.5]", Failed, 1.0)],
    )?;
    let out = s.run(&["failing", "--format", "pytest"]);
    assert_eq!(
        stdout(&out),
        "'tests/test_m.py::TestX::test_y[1.5]'\n",
        "{}",
        output_text(&out)
    );
    Ok(())
}

#[test]
fn flaky_table_json_and_lists() -> Checked {
    let s = Server::new("12.4")?;
    for (i, a) in [Passed, Failed, Passed, Failed].into_iter().enumerate() {
        s.report(
            Some("p"),
            &format!("b{i}"),
            &[("it::a", a, 1.0), ("it::b", Passed, 1.0)],
        )?;
    }
    let out = s.run(&["flaky"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_eq!(
        stdout(&out),
        "test   flips  results  failures  rate  last\nit::a      3        4         2  100%  FAILED\n"
    );
    let out = s.run(&["flaky", "--runs", "2", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).context("JSON")?;
    assert_eq!(doc["runs"], 2);
    assert_eq!(doc["profiles"]["p"][0]["flips"], 1);
    assert_eq!(doc["profiles"]["p"][0]["rate"], 1.0);
    let out = s.run(&["flaky", "--format", "cargo"]);
    assert_eq!(stdout(&out), "--test it -- --exact a\n");
    let out = s.run(&["flaky", "--runs", "1"]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "no test flipped\n")
    );
    Ok(())
}

#[test]
fn shard_from_stdin_by_history_and_by_count() -> Checked {
    let s = Server::new("12.4")?;
    for b in ["b1", "b2", "b3"] {
        s.report(
            None,
            b,
            &[
                ("it::slow", Passed, 30.0),
                ("it::mid", Passed, 20.0),
                ("it::fast", Passed, 10.0),
            ],
        )?;
    }
    let shard = |args: &[&str], input: &str| -> anyhow::Result<Output> {
        let mut child = s
            .tcms(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(input.as_bytes())?;
        Ok(child.wait_with_output()?)
    };
    let list = "it::fast\nit::new\nit::slow\nit::mid\n\n";
    let one = shard(&["shard", "--total", "2", "--index", "1"], list)?;
    assert_eq!(one.status.code(), Some(0), "{}", output_text(&one));
    assert_eq!(stdout(&one), "it::new\nit::slow\n");
    assert!(
        stderr(&one).contains("shard 1/2: 2 tests of 4, 30.0 s by history (1 without history"),
        "{}",
        output_text(&one)
    );
    let two = shard(
        &["shard", "--total", "2", "--index", "2", "--format", "cargo"],
        list,
    )?;
    assert_eq!(stdout(&two), "--test it -- --exact fast mid\n");
    let doc = shard(&["shard", "--total", "2", "--format", "json"], list)?;
    let doc: Value = serde_json::from_slice(&doc.stdout).context("JSON")?;
    assert_eq!(doc["shards"][0]["tests"], json!(["it::new", "it::slow"]));
    assert_eq!(doc["shards"][1]["tests"], json!(["it::fast", "it::mid"]));
    assert_eq!(doc["shards"][1]["seconds"], 30.0);
    assert_eq!(doc["runs"], 3);
    let table = shard(&["shard", "--total", "2"], list)?;
    assert_eq!(
        stdout(&table),
        "shard  tests  seconds  without history\n  1/2      2     30.0                1\n  2/2      2     30.0                0\n"
    );
    // No stdin: the plan's cases.
    let out = s.run(&["shard", "--total", "3", "--index", "3"]);
    assert_eq!(stdout(&out), "it::fast\n", "{}", output_text(&out));
    // No history for that product: by count.
    let out = shard(
        &[
            "shard",
            "--product",
            "other",
            "--total",
            "2",
            "--index",
            "1",
        ],
        list,
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert_eq!(stdout(&out), "it::fast\nit::new\n");
    assert!(
        stderr(&out).contains("split by count"),
        "{}",
        output_text(&out)
    );
    for bad in [
        &["shard", "--total", "2", "--index", "3"][..],
        &["shard", "--total", "0"],
    ] {
        let out = shard(bad, list)?;
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", output_text(&out));
    }
    Ok(())
}

#[test]
fn history_of_one_test() -> Checked {
    let s = two_profiles()?;
    let out = s.run(&["history", "it::a"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "run   build  profile  status  duration  date");
    assert_eq!(
        lines[1],
        "TR-3  b2     py34     PASSED   1.000 s  2026-01-01 10:00:00"
    );
    assert_eq!(
        lines[2],
        "TR-2  b2     py27     FAILED   1.000 s  2026-01-01 10:00:00"
    );
    assert_eq!(lines.len(), 4);
    let out = s.run(&["history", "it::a", "--profile", "py27", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).context("JSON")?;
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["results"][0]["status"], "FAILED");
    assert_eq!(doc["results"][0]["seconds"], 1.0);
    let out = s.run(&["history", "it::nothing"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    Ok(())
}

#[test]
fn errors_exit_2_and_name_what_failed_without_the_password() -> Checked {
    let s = two_profiles()?;
    let out = s.run(&["failing", "--product", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no test run found for product \"nope\""),
        "{}",
        output_text(&out)
    );
    let out = s.run(&["failing", "--profile", "a,b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--profile: profile \"a,b\""),
        "{}",
        output_text(&out)
    );
    let out = s.tcms(&["failing"]).env_remove("TCMS_PRODUCT").output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing names the runs to read"),
        "{}",
        output_text(&out)
    );
    let out = s
        .tcms(&["failing", "--url", "http://127.0.0.1:9"])
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(!output_text(&out).contains(&s.fake.password()));
    let out = s.run(&["failing", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = s.run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("Exit codes:\n  0  failing: nothing failed"),
        "{}",
        output_text(&out)
    );
    Ok(())
}
