//! What the workspace's tests share, and nothing a user of the SDK sees (`publish = false`;
//! every crate takes it as a dev-dependency).
//!
//! - [`fake`]: a fake Kiwi TCMS JSON-RPC server on wiremock: login and sessions, HTML
//!   escaping, batches and the protocol's corner cases as Kiwi 12.4 and 16.2 answer them,
//!   injected transport faults, and a record of every call.
//! - [`kiwi`]: a stateful in-memory Kiwi TCMS on top of [`fake::FakeKiwi`], with a handler for
//!   every method the reporting engine uses, validating as Kiwi does. The specification
//!   (`spec/`) and the SDK's tests run the engine against it unchanged.
//! - [`proxy`]: a TCP proxy that injects network faults (resets, stalls, 502/503) in front of
//!   the real Kiwi TCMS.
//! - [`server`]: the real Kiwi TCMS of the end-to-end tests (`TCMS_E2E_*`, set by
//!   `scripts/test`), unique names, and plugin commands set up to report into it.
//! - [`cargo`]: generated crates and `cargo` commands with a clean environment, for the
//!   harness's and `tcms`'s end-to-end tests.
//! - [`io`]: readers that hand out their input slowly, for streaming parsers.
//! - [`github`]: a simulated GitHub Actions step (summary and output files), for the CI
//!   outputs' end-to-end tests.
#![warn(missing_docs)]

pub mod cargo;
pub mod fake;
pub mod github;
pub mod io;
pub mod kiwi;
pub mod proxy;
pub mod server;
