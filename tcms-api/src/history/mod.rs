//! Kiwi TCMS read back as a test repository: what failed in the latest run of each profile,
//! which tests flip, how one test did, and how long tests took, to split a suite into shards
//! balanced by time (testrepository's `failing`, `--load-list` and scheduler, pytest-split,
//! knapsack). The `tcms` command is a thin shell around this module; the harness of
//! `tcms-cargo-test` uses [`split`] for `TCMS_SHARD`.
//!
//! # Scope and profiles
//!
//! A [`Scope`] names the runs to read: a product, version, build or plan, or one run (the
//! variables the plugins report with: [`Scope::from_env`]), and optionally one profile.
//! A run's profiles are the `tcms-profile:<name>` tags the reporting engine puts on it
//! ([`crate::report::Profile::tag`]); a run without one holds results of "no profile" (the
//! JSON documents write it `""`). On Kiwi TCMS ≥ 15.3 an execution's property
//! `profile=<name>` says which profile it belongs to when several profiles share a run; an
//! execution without it counts for each profile of its run.
//!
//! "Latest" is per profile: the run of the highest id among the profile's runs. A test that
//! failed under `py27` and passed under `py34` is failing for `py27`.
//!
//! # Statuses
//!
//! Statuses count by their weight, so renamed ones count as the stock ones do
//! ([`Class`]): FAILED and ERROR (-20 or less) fail; PASSED (20 or more) passes; BLOCKED is
//! not passing without being a failure; IDLE, RUNNING, PAUSED and WAIVED give no verdict.
//!
//! # Requests
//!
//! Every query is a few batched filters; nothing is read per test:
//!
//! | query | requests (after the login) |
//! |---|---|
//! | [`History::failing`] | 2: the catalog (runs, their profile tags, the statuses), the latest runs' executions |
//! | [`History::flaky`] | 1 + one per [`RUNS_PER_REQUEST`] runs read |
//! | [`History::durations`] | the same, for the last `K` runs of each profile |
//! | [`History::test`] | 2: the test's executions and the statuses, then its runs' tags |
//!
//! One more reads the cases' texts when some names were too long for a case summary
//! ([`crate::report::case_summary`]): the text holds the whole name.
//!
//! ```no_run
//! use tcms_api::history::{History, ListFormat, Scope, list_lines};
//! use tcms_api::{Client, Config};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Config::load()?)?;
//! let history = History::new(client, Scope::from_env()?);
//! let failing = history.failing().await?;
//! // One profile only (an error listing them when there are several):
//! if let Some((_, f)) = failing.single()? {
//!     for line in list_lines(&f.names(), ListFormat::Cargo) {
//!         println!("{line}"); // --test it -- --exact parser::rejects_garbage
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod durations;
mod error;
mod failing;
mod flaky;
mod format;
mod profiles;
mod read;
mod scope;
mod shard;

pub use durations::{DEFAULT_DURATION_RUNS, Durations, durations_of, median};
pub use error::HistoryError;
pub use failing::Failing;
pub use flaky::{Flaky, flaky_tests};
pub use format::{
    JSON_VERSION, ListFormat, cargo_args, failing_json, flaky_json, history_json, list_lines,
    nextest_filter, pytest_id, pytest_ids, shard_json, shell_quote,
};
pub use profiles::{ByProfile, NO_PROFILE, profile_key, profile_label};
pub use read::{Class, Entry, History, RUNS_PER_REQUEST, RunInfo};
pub use scope::Scope;
pub use shard::{Shard, parse_shard, shard, split};
