//! The results of a batch that did not land, by case summary, first reason kept.

use std::collections::HashMap;

/// Why cases of the batch being reported did not land (the first reason per case).
#[derive(Debug, Default)]
pub(crate) struct Failures {
    by_case: HashMap<String, String>,
}

impl Failures {
    /// Notes that `summary` did not land, unless a reason is known already.
    pub(crate) fn note(&mut self, summary: &str, error: impl Into<String>) {
        self.by_case
            .entry(summary.to_owned())
            .or_insert_with(|| error.into());
    }

    /// True when `summary` did not land.
    pub(crate) fn contains(&self, summary: &str) -> bool {
        self.by_case.contains_key(summary)
    }

    /// Takes the reason for `summary`, if it did not land.
    pub(crate) fn take(&mut self, summary: &str) -> Option<String> {
        self.by_case.remove(summary)
    }
}
