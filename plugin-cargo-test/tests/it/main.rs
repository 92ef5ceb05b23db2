//! Integration tests of plugin-cargo-test: one test binary, one module per topic.
//!
//! - `parser`: the libtest output parser on real captured `cargo test` output
//!   (`tests/fixtures/`, see its README).
//! - `program`: the `tcms-cargo-test` program without a server (input copied through, exit
//!   codes, configuration errors).
//! - `e2e`: a generated crate (built once, under the target directory) run by real
//!   `cargo test`, reported through the harness and through the program into the real Kiwi
//!   TCMS of [`tcms_test_kit::server::real_server`], checked with `tcms_api::Client`.

mod e2e;
mod parser;
mod program;
