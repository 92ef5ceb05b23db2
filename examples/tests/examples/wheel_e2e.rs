//! The wheel, installed: its commands report into the real Kiwi TCMS with no Rust on PATH,
//! and `action.yml`'s own steps install it and report with it.
//!
//! `.ci/run` builds the wheel (`scripts/dist`), installs it into a fresh virtualenv with no
//! cargo on PATH, and sets `TCMS_E2E_WHEEL_VENV` (that virtualenv) and `TCMS_E2E_WHEEL` (the
//! wheel file) before `scripts/test`. Without them these tests say so and pass: run
//! `.ci/run`, or by hand:
//!
//! ```sh
//! wheel=$(scripts/dist --dev | tail -n1)
//! python3 -m venv target/dist/venv && target/dist/venv/bin/pip install --no-index "$wheel"
//! TCMS_E2E_WHEEL_VENV=$PWD/target/dist/venv TCMS_E2E_WHEEL=$PWD/$wheel \
//!     scripts/test -p examples --test examples wheel_e2e
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use tcms_api::Client;
use tcms_test_kit::github::GithubStep;
use tcms_test_kit::server::{RealServer, output_text, plugin_command, real_server, unique_name};

use super::ci_recipes::{action_scripts, root};

/// The commands the wheel installs (scripts/dist's COMMANDS).
const COMMANDS: [&str; 3] = ["tcms-junit-xml", "tcms-tap", "tcms-cargo-test"];

fn from_env(name: &str) -> Option<PathBuf> {
    let value = std::env::var_os(name).filter(|v| !v.is_empty());
    if value.is_none() {
        eprintln!("skipped: {name} is not set (.ci/run sets it after building the wheel)");
    }
    value.map(PathBuf::from)
}

/// PATH without any directory that holds cargo, rustc or rustup: a machine without Rust.
fn path_without_rust() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| {
            !["cargo", "rustc", "rustup"]
                .iter()
                .any(|tool| dir.join(tool).exists())
        })
        .collect();
    std::env::join_paths(kept).unwrap()
}

fn no_cargo_on(path: &OsString) {
    for dir in std::env::split_paths(path) {
        assert!(!dir.join("cargo").exists(), "cargo in {}", dir.display());
    }
}

fn server() -> RealServer {
    real_server().unwrap_or_else(|e| panic!("no Kiwi TCMS for end-to-end tests: {e}"))
}

async fn executions(server: &RealServer, run: &str) -> Vec<Value> {
    let client = Client::new(server.config()).unwrap();
    client
        .call(
            "TestExecution.filter",
            json!([{"run": run.parse::<i64>().unwrap()}]),
        )
        .await
        .unwrap()
}

/// One installed command, reporting into `product` from a simulated GitHub Actions step,
/// with the virtualenv's bin as the whole PATH.
fn installed(
    bin: &Path,
    command: &str,
    server: &RealServer,
    product: &str,
    step: &GithubStep,
) -> Command {
    let exe = bin.join(command);
    let mut cmd = plugin_command(exe.to_str().unwrap(), server, product);
    cmd.env("PATH", bin);
    step.apply(&mut cmd, &root());
    cmd
}

fn check_report(out: &Output, step: &GithubStep, what: &str) -> String {
    let log = output_text(out);
    assert_eq!(out.status.code(), Some(0), "{what}: {log}");
    let outputs = step.outputs();
    let run = outputs
        .get("run-id")
        .cloned()
        .unwrap_or_else(|| panic!("{what}: no run-id in {outputs:?}\n{log}"));
    assert!(
        step.summary().contains(&format!("[TR-{run}](")),
        "{what}: {}",
        step.summary()
    );
    run
}

#[tokio::test]
async fn installed_commands_report_without_rust() {
    let Some(venv) = from_env("TCMS_E2E_WHEEL_VENV") else {
        return;
    };
    let bin = venv.join("bin");
    for command in COMMANDS {
        assert!(
            bin.join(command).is_file(),
            "{command} in {}",
            bin.display()
        );
    }
    no_cargo_on(&bin.clone().into_os_string());
    // Man pages and completions under the environment's share/.
    for file in [
        "share/man/man1/tcms-junit-xml.1",
        "share/man/man1/tcms-tap.1",
        "share/man/man1/tcms-cargo-test.1",
        "share/bash-completion/completions/tcms-tap",
        "share/zsh/site-functions/_tcms-cargo-test",
        "share/fish/vendor_completions.d/tcms-junit-xml.fish",
    ] {
        assert!(venv.join(file).is_file(), "{file} in {}", venv.display());
    }
    let version = Command::new(bin.join("tcms-junit-xml"))
        .arg("--version")
        .env_clear()
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(
        version.starts_with(&format!("tcms-junit-xml {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );

    let server = server();
    let results = root().join("examples/results");

    // junit.xml
    let product = unique_name("wheel-junit");
    let step = GithubStep::new();
    let out = installed(&bin, "tcms-junit-xml", &server, &product, &step)
        .arg(results.join("pytest.xml"))
        .output()
        .unwrap();
    let run = check_report(&out, &step, "tcms-junit-xml");
    assert!(!executions(&server, &run).await.is_empty());

    // TAP from standard input.
    let product = unique_name("wheel-tap");
    let step = GithubStep::new();
    let tap = step.dir().join("t.tap");
    std::fs::write(&tap, "1..2\nok 1 - one\nnot ok 2 - two\n").unwrap();
    let out = installed(&bin, "tcms-tap", &server, &product, &step)
        .arg(&tap)
        .output()
        .unwrap();
    let run = check_report(&out, &step, "tcms-tap");
    assert_eq!(executions(&server, &run).await.len(), 2);

    // Saved `cargo test` output.
    let product = unique_name("wheel-cargo");
    let step = GithubStep::new();
    let out = installed(&bin, "tcms-cargo-test", &server, &product, &step)
        .arg(root().join("plugin-cargo-test/tests/fixtures/plain.txt"))
        .output()
        .unwrap();
    let run = check_report(&out, &step, "tcms-cargo-test");
    assert!(!executions(&server, &run).await.is_empty());
    // Where a test panicked is an annotation.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("::error file=src/lib.rs,line=45,col=9,"),
        "{}",
        output_text(&out)
    );
}

#[tokio::test]
async fn the_action_installs_the_wheel_and_reports_with_it() {
    let Some(wheel) = from_env("TCMS_E2E_WHEEL") else {
        return;
    };
    let scripts = action_scripts();
    let (install, report) = (&scripts[0].1, &scripts[1].1);
    let server = server();
    let step = GithubStep::new();
    let runner_temp = step.dir().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let github_path = step.dir().join("github-path");
    let path = path_without_rust();
    no_cargo_on(&path);

    // The install step: a virtualenv in RUNNER_TEMP, its bin appended to GITHUB_PATH.
    let out = Command::new("bash")
        .args(["-c", install])
        .env_clear()
        .env("PATH", &path)
        .env("HOME", step.dir())
        .env("PIP_NO_INDEX", "1")
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_PATH", &github_path)
        .env("WHEEL_URL", &wheel)
        .env("PIP_SPEC", "kiwitcms-rs")
        .env("PYTHON", "python3")
        .output()
        .unwrap();
    let log = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "install step: {log}");
    assert!(log.contains("tcms-junit-xml "), "{log}");
    let added = std::fs::read_to_string(&github_path).unwrap();
    let bin = added.lines().last().unwrap().to_owned();

    // The report step, as GitHub runs it: PATH with the venv, the step's files, inputs in env.
    let reports = step.dir().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    for name in ["pytest.xml", "jest.xml"] {
        std::fs::copy(
            root().join("examples/results").join(name),
            reports.join(name),
        )
        .unwrap();
    }
    let product = unique_name("wheel-action");
    let md = step.dir().join("summary.md");
    let mut path_with_bin = OsString::from(&bin);
    path_with_bin.push(":");
    path_with_bin.push(&path);
    let run_report = |format: &str, files: &str| {
        let mut cmd = Command::new("bash");
        cmd.args(["-c", report])
            .env_clear()
            .env("PATH", &path_with_bin)
            .env("HOME", step.dir().join("no-home"))
            .env("FORMAT", format)
            .env("FILES", files)
            .env("COMMAND", "")
            .env("IN_URL", server.url())
            .env("IN_USERNAME", server.username())
            .env("IN_PASSWORD", server.password().expose_secret())
            .env("IN_PRODUCT", &product)
            .env("IN_VERSION", "v1")
            .env("IN_BUILD", "b1")
            .env("IN_RUN_KEY", "")
            .env("IN_RUN_ID", "")
            .env("IN_PROFILE", "os=linux")
            .env("SUMMARY_MD", &md)
            .env("MAX_ANNOTATIONS", "10")
            .env("ARGS", "-v");
        step.apply(&mut cmd, &root());
        cmd.output().unwrap()
    };
    let out = run_report("junit-xml", &format!("{}/*.xml", reports.display()));
    let log = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "report step: {log}");
    assert!(log.contains("added: TR-"), "-v from args: {log}");
    assert!(!log.contains(server.password().expose_secret()), "{log}");
    let run = step.outputs().get("run-id").cloned().unwrap_or_default();
    assert!(!run.is_empty(), "{:?}", step.outputs());
    let landed = executions(&server, &run).await;
    assert!(landed.len() > 5, "both files landed: {landed:#?}");
    assert_eq!(std::fs::read_to_string(&md).unwrap(), step.summary());

    // A wrong format, or a glob that matches nothing: an error annotation, exit 2.
    let out = run_report("xunit", "");
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("::error title=kiwitcms-rs::format"));
    let out = run_report("tap", "nothing/*.tap");
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
}
