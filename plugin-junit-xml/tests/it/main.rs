//! The one integration-test binary of plugin-junit-xml.
//!
//! Modules named `e2e*` talk to a real Kiwi TCMS (`scripts/test` runs them against every
//! server of KIWI_SERVERS by the test-name filter `e2e`); the others need no server.

// Tests may unwrap (team rule); the helpers outside `#[test]` functions too.
#![allow(clippy::unwrap_used)]

mod ci_e2e;
mod cli;
mod e2e;
mod e2e_faults;
mod e2e_secrets;
mod fixtures;
mod naming;
mod props;
mod python_names;
mod render;
mod robustness;
mod streaming;
