//! Kiwi TCMS reporting for Rust tests.
//!
//! Two ways in:
//!
//! - **The harness** (this library), for test targets with `harness = false`: build your
//!   tests as [`Trial`]s (the same builder as [`libtest_mimic::Trial`]) and call [`run`]
//!   instead of `libtest_mimic::run`. The command line, the output and the exit status are
//!   libtest's. With `TCMS_REPORT=1` in the environment every result is also reported to
//!   Kiwi TCMS, live, as the tests finish.
//! - **The `tcms-cargo-test` program**, for any `cargo test` output:
//!   `cargo test 2>&1 | tcms-cargo-test`, `tcms-cargo-test -- cargo test`, or
//!   `tcms-cargo-test -- cargo nextest run` (see its `--help`). Its parser of libtest's output
//!   is [`libtest`].
//!
//! # The harness
//!
//! ```toml
//! [[test]]
//! name = "checks"
//! harness = false
//!
//! [dev-dependencies]
//! tcms-cargo-test = "0.1"
//! ```
//!
//! ```no_run
//! // tests/checks.rs
//! use tcms_cargo_test::{Arguments, Failed, Trial};
//!
//! fn main() -> std::process::ExitCode {
//!     let args = Arguments::from_args();
//!     let trials = vec![
//!         Trial::test("parses_empty_input", || Ok(())),
//!         Trial::test("rejects_garbage", || Err(Failed::from("accepted garbage"))),
//!         Trial::test("talks_to_the_database", || Ok(())).with_ignore_reason("needs a database"),
//!     ];
//!     tcms_cargo_test::run(&args, trials).exit_code()
//! }
//! ```
//!
//! Without `TCMS_REPORT` this is plain libtest-mimic: `cargo test` runs and prints exactly as
//! before and nothing is sent anywhere.
//!
//! ## Reporting
//!
//! `TCMS_REPORT=1` switches reporting on (`TCMS_REPORT=dry-run` resolves everything against
//! the server read-only and changes nothing). The server, credentials and what to report
//! into come from the usual places (`~/.tcms.conf`, `TCMS_API_URL`, `TCMS_USERNAME`,
//! `TCMS_PASSWORD`, `TCMS_PRODUCT`, `TCMS_PRODUCT_VERSION`, `TCMS_BUILD`, `TCMS_RUN_ID`,
//! ..., see [`tcms_api::env`]); they are checked before the first test runs, and
//! when something is missing the error names the variable, no test runs and the exit status
//! is 1.
//!
//! Reporting is live: the test run is created when the tests start, each result is queued as
//! its test finishes and a background thread (with its own tokio runtime) sends the queue in
//! batches (every second, or every 50 results); the run is finished after the last test. A
//! slow or unreachable Kiwi TCMS never makes a test slower or fail: results wait in memory,
//! and what could not be reported is printed at the end. That does not change the exit
//! status unless `TCMS_REPORT_STRICT=1` is set (then it is 1 when no test failed). After the
//! last test the harness waits at most `TCMS_REPORT_TIMEOUT` seconds (default 300) for the
//! queue to drain. See [`tcms_api::env`] for every variable.
//!
//! Under `cargo nextest run` (one process per test) the harness does not report: run
//! `tcms-cargo-test -- cargo nextest run` instead.
//!
//! ## What is reported
//!
//! - **Case names**: `<target>::<trial name>`, where the target is the test binary's name
//!   without Cargo's hash suffix (for `tests/checks.rs`, `checks`; see [`naming`]): the same
//!   names `tcms-cargo-test` gives the same tests. [`Trial::with_case_name`] reports under a
//!   summary of your choice instead; [`Harness::target`] sets the target.
//! - **Statuses**: passed is PASSED, an `Err` or a panic is FAILED, an ignored trial
//!   (`with_ignored_flag`, `with_ignore_reason`, or [`Completion::Ignored`] at run time) is
//!   WAIVED. Trials filtered out by the command line are not reported.
//! - **Comments**: the failure message (`Failed`'s message, or `test panicked: <payload>` and
//!   where it panicked), the ignore reason, then notes: [`Trial::with_note`], and [`note`]
//!   called while the test runs. The engine comments on executions that did not pass only.
//! - **Dates**: each execution's start and stop are the test's own.
//!
//! [`Trial::unreported`] runs any libtest-mimic trial (a benchmark) without reporting it.
//!
//! ## Several filters and shards
//!
//! [`Arguments`] is libtest-mimic's command line plus every filter given: like libtest,
//! `cargo test --test checks -- --exact a b` runs exactly `a` and `b` (what `tcms failing
//! --format cargo` prints to re-run failures).
//!
//! `TCMS_SHARD=I/N` (from 1) runs only shard I of N of the selected trials, named as their
//! cases are (`<target>::<name>`), split as `tcms shard` splits: balanced by the tests'
//! historic durations in Kiwi TCMS when the harness reports (`TCMS_REPORT` set and the
//! configuration complete; the median of the last 10 runs of the product, of `TCMS_PROFILE`
//! when set), else by count. The split is deterministic; one line on stderr says what was left
//! out and how it was split. Shards must split alike: a shard that cannot read the history
//! (server down) falls back to the split by count and warns, since tests may then run twice
//! or not at all. The trials left out count as filtered out. Under nextest `TCMS_SHARD` is
//! ignored (use `cargo nextest run --partition`).
//! ## In CI
//!
//! After the last test the harness writes what the commands write (through [`tcms_ci`]):
//! under GitHub Actions the Markdown summary is appended to the job summary
//! (`GITHUB_STEP_SUMMARY`), `run-id` / `run-url` go to `GITHUB_OUTPUT`, and failures that
//! panicked in a file of the crate are printed as workflow annotations (at most
//! `TCMS_REPORT_ANNOTATIONS`, default 10; `0` prints none). `TCMS_REPORT_SUMMARY_MD=FILE`
//! writes the same summary to a file anywhere (GitLab, Jenkins).
//!
//! ## Features
//!
//! - `cli` (default): the `tcms-cargo-test` program, with clap, `tcms-cli` and the junit.xml
//!   parser. A crate that only uses the harness does not need them:
//!   `tcms-cargo-test = { version = "0.1", default-features = false }`.

pub mod harness;
mod interrupt;
pub mod libtest;
/// Live reporting (moved to the SDK, shared with `tcms-tap --live`).
pub use tcms_api::live;
pub mod naming;
pub mod nextest;
mod select;

pub use harness::{Conclusion, Harness, Reporting, Trial, note, plugin_info, run};
pub use libtest_mimic::{Completion, Failed, Measurement};
pub use select::Arguments;
