//! The reporting engine shared by every plugin, and the normalized result model it consumes.

mod comment;
mod engine;
mod model;
mod names;
mod settings;
mod status;

pub use comment::{MAX_COMMENT_BYTES, Merged};
pub use engine::{
    Failure, MAX_SUMMARY_CHARS, Options, Record, ReportError, Reporter, Summary, run_key_tag,
};
pub use model::{Attempt, Origin, Outcome, TestResult, Verdict};
pub use names::{case_summary, is_shortened};
pub use settings::{
    PluginInfo, Settings, SettingsError, Sourced, stored_name, truncate_chars, vars,
};
pub use status::{KiwiStatus, ServerStatus, resolve_status};
