//! The executable Kiwi TCMS plugin behaviour specification.
//!
//! `features/*.feature` hold the specification in Gherkin: the twelve scenarios of the 2018
//! "test runner plugin specification" (their SUMMARY lines are the scenario names, word for
//! word), the newer behaviour of the Python `tcms-api` that the Rust plugins keep, and the
//! fixes of the Python plugins' bugs. `tests/spec.rs` runs every scenario as one libtest
//! trial, named `<feature file stem>::<scenario name>`, with `cargo test -p spec`.
//!
//! - [`runner`] reads the features (with the `gherkin` crate) and runs a scenario.
//! - [`steps`] holds the step definitions: plain functions matched by a table of anchored
//!   regular expressions; a step that matches nothing fails the scenario naming it.
//! - [`world`] is the per-scenario state: its own current-thread tokio runtime, its own fake
//!   server, the plugin's environment and results, and what the last action gave.
//! - [`kiwi`] is a stateful in-memory Kiwi TCMS on top of
//!   [`tcms_test_kit::fake::FakeKiwi`]: the reporting engine runs against it unchanged, and
//!   the scenarios check both the calls it made and what landed.
//!
//! A scenario tagged `@bug` is reported as ignored: it states behaviour the engine does not
//! have yet, and its description names the bug.
//!
//! # Running
//!
//! ```text
//! cargo test -p spec                               # every scenario
//! cargo test -p spec --test spec -- reporting::    # one feature file
//! cargo test -p spec --test spec -- --exact 'fixes::Passed results get no comment'
//! cargo test -p spec --test spec -- --ignored      # the @bug scenarios (they fail)
//! ```
//!
//! Two more trials guard the specification itself: every step has a definition and every
//! definition is used, and the twelve SUMMARY lines of the 2018 specification are scenario
//! names.
#![warn(missing_docs)]

pub mod runner;
pub mod steps;
pub mod world;
