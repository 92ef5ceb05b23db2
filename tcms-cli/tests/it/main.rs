//! Integration tests of tcms-cli: one test binary, one module per topic.
//!
//! - `tcms`: the `tcms` command against the in-memory Kiwi TCMS of `tcms-test-kit` (results
//!   reported through the engine, read back by the binary): outputs, formats, exit codes.
//! - `e2e_tcms`: the `tcms` command against the real Kiwi TCMS of
//!   [`tcms_test_kit::server::real_server`], over results a generated crate's harness
//!   reported with `cargo test`; `--format cargo` fed back to `cargo test`.

// Test helpers may unwrap: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

mod e2e_tcms;
mod tcms;
