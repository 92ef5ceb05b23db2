//! The reporting engine shared by every plugin, and the normalized result model it consumes.

mod model;

pub use model::{Attempt, Origin, Outcome, TestResult, Verdict};
