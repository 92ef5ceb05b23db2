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
//! which win over both. The [`config` module docs](ConfigBuilder) list every key.
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
//! and undoes Kiwi's HTML escaping of strings in results. Typed handlers exist for every
//! record family ([`models`]), and [`Client::call`] reaches any other method:
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
//! [`Client::call_many`] sends a list of [`Call`]s as JSON-RPC batches, cut by count and by
//! bytes, with at most a few requests in flight; each call gets its own result, in order.
//! Every typed method has a `*_call` sibling that builds the [`Call`] without sending it.
//!
//! ```no_run
//! # use tcms_api::{Client, TestExecutionId, models::{ExecutionUpdate, TestExecution, TestExecutions}};
//! # async fn demo(client: Client, ids: Vec<TestExecutionId>, passed: tcms_api::TestExecutionStatusId) {
//! let calls = ids
//!     .iter()
//!     .map(|id| TestExecutions::update_call(*id, &ExecutionUpdate { status: Some(passed), ..Default::default() }))
//!     .collect();
//! for result in client.call_many::<TestExecution>(calls).await {
//!     if let Err(e) = result {
//!         eprintln!("{e}");
//!     }
//! }
//! # }
//! ```
//!
//! Network faults, 502/503/504 and 429 are retried with backoff and jitter, but only for calls
//! that cannot duplicate data when sent twice (reads, `*.update`, `add_case`:
//! [`is_idempotent`]). A `*.create` that got no answer is not re-sent: the reporting engine
//! looks the record up instead.
//!
//! # Reporting results
//!
//! [`report`] holds the one engine every plugin uses. Parsers turn their input into
//! [`report::TestResult`]s; a [`report::Reporter`] resolves or creates Product, Version,
//! Build, TestPlan and TestRun from the same environment variables as the official plugins
//! (`TCMS_RUN_ID`, `TCMS_PRODUCT`, ...; see [`report::vars`]), checks all of it before the
//! first write, then adds cases and sets execution statuses, dates and comments in bulk.
//!
//! ```no_run
//! use tcms_api::report::{Attempt, Options, Outcome, PluginInfo, Reporter, Settings, TestResult};
//! use tcms_api::{Client, Config};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Config::load()?)?;
//! let settings = Settings::from_env(PluginInfo::new("my-runner", "1.0", "[mine]"))?;
//! let mut reporter = Reporter::start(client, settings, Options::default()).await?;
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
//! # Errors
//!
//! Everything returns [`Error`]: configuration, transport, timeout, HTTP status, redirect
//! (Kiwi 16 sends plain http to https: use the https URL), JSON-RPC errors ([`RpcError`], with
//! helpers that read Kiwi's `-32603` texts), authentication and decoding (naming the method and
//! the JSON path). No error or log line ever contains the password.
//!
//! # Features
//!
//! - `cli`: [`cli`], the options, logging, exit codes and report sequence shared by the plugins.
#![warn(missing_docs)]

#[cfg(feature = "cli")]
pub mod cli;
mod client;
mod config;
pub mod datetime;
mod error;
mod ids;
#[cfg(feature = "cli")]
pub mod live;
pub mod models;
mod query;
pub mod report;
mod rpc;

pub use client::{Answer, Client, ClientBuilder, ServerVersion, USER_AGENT};
pub use config::{Config, ConfigBuilder, Secret};
pub use error::{ConfigError, Error, RpcError, codes};
pub use ids::{
    BuildId, CategoryId, ClassificationId, CommentId, LinkId, ParseIdError, PlanTypeId, PriorityId,
    ProductId, TestCaseId, TestCaseStatusId, TestExecutionId, TestExecutionStatusId, TestPlanId,
    TestRunId, UserId, VersionId,
};
pub use query::Query;
pub use rpc::{Call, is_idempotent, unescape_html};
