//! Why the history could not be read.

use crate::error::Error;
use crate::report::SettingsError;

/// Why a read of the history failed. Every message names what was looked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The environment names no usable scope (an id that is not a number, a bad profile).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The server refused or failed, or could not be reached.
    #[error(transparent)]
    Api(#[from] Error),
    /// Nothing says which runs to read.
    #[error(
        "nothing names the runs to read: set a product (--product, TCMS_PRODUCT), a plan \
         (--plan, TCMS_PLAN_ID) or a run (--run, TCMS_RUN_ID)"
    )]
    NoScope,
    /// The scope holds no run.
    #[error("no test run found for {scope} on {server}")]
    NoRuns {
        /// The scope, as text.
        scope: String,
        /// The server's base URL.
        server: String,
    },
    /// The scope holds runs, but none of the chosen profile.
    #[error("no test run of profile {profile} for {scope}; its profiles: {}", available.join(", "))]
    NoRunsOfProfile {
        /// The profile asked for.
        profile: String,
        /// The scope, as text.
        scope: String,
        /// The profiles the scope has (`(no profile)` for runs without one).
        available: Vec<String>,
    },
    /// A flat list was asked for, but the scope holds results of several profiles.
    #[error(
        "the results are of {} profiles: {}; choose one with --profile (TCMS_PROFILE), or \
         ask for --format json, which lists every profile",
        profiles.len(),
        profiles.join(", ")
    )]
    SeveralProfiles {
        /// The profiles (`(no profile)` for runs without one).
        profiles: Vec<String>,
    },
    /// A shard that does not exist (`index` is 1-based and at most `total`).
    #[error("shard {index}/{total} does not exist: {reason}")]
    InvalidShard {
        /// The index asked for.
        index: usize,
        /// The number of shards.
        total: usize,
        /// Why.
        reason: &'static str,
    },
}
