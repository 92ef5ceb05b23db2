//! `failing`: the tests that failed in the latest run of each profile.

use std::collections::BTreeMap;

use super::error::HistoryError;
use super::profiles::ByProfile;
use super::read::{Class, Entry, History, RunInfo, split_by_profile};

/// What failed in the latest run of one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failing {
    /// The latest run of the profile.
    pub run: RunInfo,
    /// Its tests that failed (FAILED or ERROR: a status weight of -20 or less), one entry per
    /// name, by name.
    pub tests: Vec<Entry>,
}

impl Failing {
    /// The names of the tests that failed.
    pub fn names(&self) -> Vec<String> {
        self.tests.iter().map(|e| e.name.clone()).collect()
    }
}

impl History {
    /// The tests that failed (FAILED or ERROR) in the latest run of each profile of the scope
    /// (of the scope's profile only, when it names one): a test that failed under `py27` and
    /// passed under `py34` is failing for `py27`. Reads the catalog and the latest runs'
    /// executions: two requests after the login (three when shortened names need their
    /// cases' texts).
    pub async fn failing(&self) -> Result<ByProfile<Failing>, HistoryError> {
        let catalog = self.catalog().await?;
        let by = catalog.by_profile(self.scope())?;
        let latest: ByProfile<Vec<&RunInfo>> = by.map(|_, runs| vec![runs[0]]);
        let runs: Vec<&RunInfo> = latest.iter().map(|(_, r)| r[0]).collect();
        let entries = self.entries(&catalog, &runs).await?;
        let split = split_by_profile(&latest, &entries);
        Ok(latest
            .iter()
            .map(|(profile, runs)| {
                let mut failed: BTreeMap<&str, &Entry> = BTreeMap::new();
                for entry in split.get(profile).into_iter().flatten() {
                    if entry.class == Class::Failed {
                        failed.entry(entry.name.as_str()).or_insert(entry);
                    }
                }
                let value = Failing {
                    run: runs[0].clone(),
                    tests: failed.into_values().cloned().collect(),
                };
                (profile.cloned(), value)
            })
            .collect())
    }
}
