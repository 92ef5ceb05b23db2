//! The `tcms-cargo-test` program without a Kiwi TCMS: what it copies through, its exit codes,
//! its configuration errors. (Reporting into the real server is in `e2e`.)

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The program with no Kiwi TCMS configuration: no `TCMS_*` variable and a `HOME` without
/// `.tcms.conf`.
fn program(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tcms-cargo-test"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TCMS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home).env("RUST_LOG", "warn");
    cmd
}

fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("tcms-cargo-test runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture")
}

#[test]
fn standard_input_is_copied_and_missing_configuration_names_the_variable() {
    let home = tempfile::tempdir().unwrap();
    let input = fixture("plain.txt");
    let out = run(program(home.path()), &input);
    assert_eq!(out.stdout, input, "the input is copied to stdout unchanged");
    let err = text(&out.stderr);
    assert!(
        err.contains("TCMS_API_URL not configured: set the environment variable TCMS_API_URL"),
        "{err}"
    );
    assert!(err.contains("cannot start reporting"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
}

#[test]
fn input_without_tests_is_an_input_error_and_creates_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        program(home.path()),
        b"   Compiling x v0.1.0\nerror[E0425]: cannot find value `y` in this scope\n",
    );
    let err = text(&out.stderr);
    // Nothing to report: the configuration is not even needed.
    assert!(err.contains("no test results in the input"), "{err}");
    assert!(!err.contains("not configured"), "{err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
}

#[test]
fn the_wrapped_command_gives_its_exit_status_and_merged_output() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = program(home.path());
    cmd.env("TCMS_REPORT", "1").args([
        "--",
        "sh",
        "-c",
        "echo one; echo two >&2; echo \"report=${TCMS_REPORT:-unset}\"; exit 7",
    ]);
    let out = run(cmd, b"");
    // Standard output and error of the command come out together, in order, on stdout.
    assert_eq!(text(&out.stdout), "one\ntwo\nreport=unset\n");
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
}

#[test]
fn a_wrapped_command_that_passes_gets_this_programs_status() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = program(home.path());
    cmd.args(["--", "sh", "-c", "echo 'no tests here'"]);
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let mut missing = program(home.path());
    missing.args(["--", "/nonexistent/cargo", "test"]);
    let out = run(missing, b"");
    assert!(
        text(&out.stderr).contains("cannot run"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn help_and_bad_options() {
    let home = tempfile::tempdir().unwrap();
    let mut help = program(home.path());
    help.arg("--help");
    let out = run(help, b"");
    let usage = text(&out.stdout);
    for part in [
        "cargo test --no-fail-fast 2>&1 | tcms-cargo-test",
        "cargo nextest run",
        "--dry-run",
        "TCMS_PRODUCT",
        "<target>::<test name>",
        "Exit codes",
    ] {
        assert!(usage.contains(part), "{part:?} not in --help:\n{usage}");
    }
    assert_eq!(out.status.code(), Some(0));

    let mut bad = program(home.path());
    bad.arg("--no-such-option");
    assert_eq!(run(bad, b"").status.code(), Some(2));
}
