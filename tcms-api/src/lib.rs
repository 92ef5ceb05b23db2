//! A Rust SDK for [Kiwi TCMS](https://kiwitcms.org), and the reporting engine behind the
//! `tcms-junit-xml`, `tcms-tap` and `tcms-cargo-test` plugins.
//!
//! It talks JSON-RPC to any Kiwi TCMS from 12.4 to 16.x, reads the same `~/.tcms.conf` as the
//! official Python `tcms-api`, and reports test results in bulk: JSON-RPC batches and a few
//! requests in flight instead of one request per call.
//!
//! # Configuration
//!
//! [`Config::load`] reads `~/.tcms.conf` (or `/etc/tcms.conf`), then the environment
//! (`TCMS_API_URL`, `TCMS_USERNAME`, `TCMS_PASSWORD`); [`Config::builder`] sets values in code,
//! which win over both. The [`config`] module says how the file is read; [`env`](mod@env) lists every
//! environment variable the SDK, the plugins and the harness read.
//!
//! ```ini
//! [tcms]
//! url = https://tcms.example.com/xml-rpc/
//! username = ci-bot
//! password = secret
//! ```
//!
//! # Calling Kiwi
//!
//! A [`Client`] logs in on its first call (`Auth.login`, then `Cookie: sessionid=...` on
//! every request; it logs in again once if the session expires), reads the server version,
//! and undoes Kiwi's HTML escaping of strings in results. Every record family has typed
//! records, inputs and a handler ([`models`]); [`Client::call`] reaches any other method:
//!
//! ```no_run
//! use tcms_api::{Client, Config, Query, TestPlanId};
//!
//! # async fn demo() -> Result<(), tcms_api::Error> {
//! let client = Client::new(Config::load()?)?;
//! println!("Kiwi TCMS {}", client.server_version().await?.as_str());
//!
//! // Typed: the runs of plan TP-5.
//! let runs = client
//!     .test_runs()
//!     .filter(Query::new().eq("plan", TestPlanId::new(5)))
//!     .await?;
//! for run in &runs {
//!     println!("{} {}", run.id, run.summary);
//! }
//!
//! // Untyped: any method, any parameters.
//! let methods: Vec<String> = client.call("system.listMethods", serde_json::json!([])).await?;
//! println!("{} methods", methods.len());
//! # Ok(())
//! # }
//! ```
//!
//! # Many calls at once
//!
//! Every typed method has a `*_call` sibling that builds a [`Call<T>`](Call) without sending
//! it; `T` is the type its answer decodes to. [`Client::send_all`] sends calls of one type as
//! JSON-RPC batches (cut by count and by bytes, a few requests in flight) and returns one
//! decoded result per call, in order; a [`Batch`] does the same for calls of different types.
//!
//! ```no_run
//! # use tcms_api::{Client, TestExecutionId, models::{ExecutionUpdate, TestExecutions}};
//! # async fn demo(client: Client, ids: Vec<TestExecutionId>, passed: tcms_api::TestExecutionStatusId) {
//! let update = ExecutionUpdate { status: Some(passed), ..Default::default() };
//! let calls = ids.iter().map(|id| TestExecutions::update_call(*id, &update)).collect();
//! for result in client.send_all(calls).await {
//!     if let Err(e) = result {
//!         eprintln!("{e}");
//!     }
//! }
//! # }
//! ```
//!
//! Network faults, 502/503/504 and 429 are retried with backoff and jitter, but only for calls
//! that cannot duplicate data when sent twice (reads, `*.update`, `add_case`:
//! [`Call::is_retry_safe`]). A `*.create` that got no answer is not re-sent: the reporting
//! engine looks the record up instead.
//!
//! # Reporting results
//!
//! [`report`] holds the one engine every plugin uses. Parsers turn their input into
//! [`report::TestResult`]s; a [`report::Reporter`] resolves or creates Product, Version,
//! Build, TestPlan and TestRun from the same environment variables as the official plugins
//! (`TCMS_RUN_ID`, `TCMS_PRODUCT`, ...; see [`env`](mod@env)), checks all of it before the first write,
//! then adds cases and sets execution statuses, dates and comments in bulk. [`live`] does the
//! same from a background thread, for results that arrive while tests run.
//!
//! ```no_run
//! use tcms_api::report::{Attempt, Options, Outcome, PluginInfo, Reporter, TestResult};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let plugin = PluginInfo::new("my-runner", "1.0", "[mine]");
//! let mut reporter = Reporter::connect(plugin, Options::new()).await?;
//! let mut failed = Attempt::new(Outcome::Failed);
//! failed.message = Some("expected 2, got 3".into());
//! reporter
//!     .report(&[
//!         TestResult::new("math::adds", Attempt::new(Outcome::Passed)),
//!         TestResult::new("math::subtracts", failed),
//!     ])
//!     .await?;
//! let summary = reporter.finish().await?;
//! println!("{}", summary.line());
//! # Ok(())
//! # }
//! ```
//!
//! # Reading the history back
//!
//! [`history`] reads Kiwi TCMS as a test repository: the tests that failed in the latest run
//! of each profile, the flaky ones, one test's last results, and historic durations to split
//! a suite into shards balanced by time ([`history::split`]); the `tcms` command prints them.
//!
//! # Errors
//!
//! Calls return [`Error`]: configuration, transport, timeout, HTTP status, redirect (Kiwi 16
//! sends plain http to https: use the https URL), JSON-RPC errors ([`RpcError`], with helpers
//! that read Kiwi's `-32603` texts), authentication and decoding (naming the method and the
//! JSON path). The engine returns [`report::ReportError`], whose
//! [`kind`](report::ReportError::kind) says whose fault it is. No error or log line ever
//! contains the password.
#![warn(missing_docs)]

mod client;
pub mod config;
pub mod datetime;
pub mod env;
mod error;
pub mod history;
mod ids;
pub mod live;
pub mod models;
mod query;
pub mod report;
mod rpc;

pub use client::{Client, ClientBuilder, ServerVersion, USER_AGENT};
pub use config::{Config, ConfigBuilder, Secret};
pub use error::{ConfigError, Error, RpcError, codes};
pub use ids::{
    BuildId, CategoryId, ClassificationId, CommentId, LinkId, ParseIdError, PlanTypeId, PriorityId,
    ProductId, TagId, TestCaseId, TestCaseStatusId, TestExecutionId, TestExecutionStatusId,
    TestPlanId, TestRunId, UserId, VersionId,
};
pub use query::Query;
pub use rpc::{Answers, Batch, Call, Slot};
