//! Integration tests of tcms-api: one test binary, one module per topic.
//!
//! Modules named `e2e_*` talk to a real Kiwi TCMS through
//! [`tcms_test_kit::server::real_server`]: run them with `scripts/test`, or with plain
//! `cargo test`, which starts the local server from `scripts/kiwi-server` on first use.

// Test helpers may unwrap: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

mod client;
mod e2e_engine;
mod e2e_smoke;
mod history;
mod live;
