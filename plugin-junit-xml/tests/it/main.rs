//! The one integration-test binary of plugin-junit-xml.

// Tests may unwrap (team rule); the helpers outside `#[test]` functions too.
#![allow(clippy::unwrap_used)]

mod ci_e2e;
mod cli;
mod e2e;
mod faults;
mod fixtures;
mod naming;
mod props;
mod python_names;
mod render;
mod robustness;
mod secrets;
mod streaming;
