//! Exit codes, the same for every plugin:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every result was reported (the tests themselves may have failed) |
//! | 1 | configuration or server error, or some results were not reported |
//! | 2 | input error (unreadable or malformed file, bad option): nothing was sent |
//! | 3 | the input says the test run was incomplete (TAP `Bail out!`, planned tests missing) |
//!
//! `tcms-cargo-test -- COMMAND` exits with the command's status when it failed.

use tcms_api::report::Summary;

/// Every result was reported.
pub const OK: u8 = 0;
/// Configuration or server error, or some results were not reported.
pub const FAILURE: u8 = 1;
/// The input could not be read or parsed; nothing was sent.
pub const INPUT: u8 = 2;
/// The input itself says the test run is incomplete.
pub const INCOMPLETE: u8 = 3;

/// The exit codes as one line, for `--help`.
pub const HELP: &str = "\
Exit codes: 0 reported (the tests may have failed), 1 configuration or server error, or
results not reported, 2 input error (nothing was sent), 3 incomplete test run (TAP Bail out!,
planned tests missing).";

/// 0 when every parsed result landed, 1 otherwise.
pub fn for_summary(summary: &Summary) -> u8 {
    if summary.is_complete() { OK } else { FAILURE }
}
