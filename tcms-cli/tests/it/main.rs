//! Integration tests of tcms-cli: one test binary, one module per topic.
//!
//! - `tcms`: the `tcms` command against the in-memory Kiwi TCMS of `tcms-test-kit` (results
//!   reported through the engine, read back by the binary): outputs, formats, exit codes.

// Test helpers may unwrap: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

mod tcms;
