//! `flaky`: tests whose outcome flipped between passing and not passing.

use std::collections::BTreeMap;

use super::error::HistoryError;
use super::profiles::ByProfile;
use super::read::{Entry, History, RunInfo, split_by_profile};
use crate::ids::TestRunId;

/// A test whose outcome flipped in the runs read.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Flaky {
    /// The test's name.
    pub name: String,
    /// How often its outcome changed between passing and not passing, run after run.
    pub flips: usize,
    /// How many runs gave it a verdict (passing or not; IDLE, WAIVED and the like do not
    /// count).
    pub results: usize,
    /// How many of those did not pass.
    pub failures: usize,
    /// `flips / (results - 1)`: 1.0 when every run changed the outcome.
    pub rate: f64,
    /// The status of its latest result.
    pub last: String,
}

/// The flaky tests of one profile from its results in run order: `(run, entry)` pairs of any
/// order. Per test and run, a result that did not pass wins over one that did; results
/// without a verdict are skipped. Most flaky first: by flips, then rate, then name.
pub fn flaky_tests<'a>(results: impl IntoIterator<Item = &'a Entry>) -> Vec<Flaky> {
    // name -> run -> (passed, status)
    let mut by_name: BTreeMap<&str, BTreeMap<TestRunId, (bool, &str)>> = BTreeMap::new();
    for entry in results {
        let Some(passed) = entry.class.verdict() else {
            continue;
        };
        let slot = by_name
            .entry(entry.name.as_str())
            .or_default()
            .entry(entry.run)
            .or_insert((passed, entry.status.as_str()));
        if !passed && slot.0 {
            *slot = (false, entry.status.as_str());
        }
    }
    let mut out = Vec::new();
    for (name, runs) in by_name {
        let verdicts: Vec<(bool, &str)> = runs.into_values().collect();
        let flips = verdicts.windows(2).filter(|w| w[0].0 != w[1].0).count();
        if flips == 0 {
            continue;
        }
        let results = verdicts.len();
        out.push(Flaky {
            name: name.to_owned(),
            flips,
            results,
            failures: verdicts.iter().filter(|(p, _)| !p).count(),
            rate: flips as f64 / (results - 1) as f64,
            last: verdicts
                .last()
                .map(|(_, s)| (*s).to_owned())
                .unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| {
        b.flips
            .cmp(&a.flips)
            .then(b.rate.total_cmp(&a.rate))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

impl History {
    /// The tests whose outcome flipped between passing and not passing in the last `runs`
    /// runs of each profile (of the scope's profile only, when it names one), most flaky
    /// first. Reads the catalog, then the runs' executions ([`super::RUNS_PER_REQUEST`] runs
    /// per request).
    pub async fn flaky(&self, runs: usize) -> Result<ByProfile<Vec<Flaky>>, HistoryError> {
        let catalog = self.catalog().await?;
        let by = catalog.by_profile(self.scope())?;
        let last: ByProfile<Vec<&RunInfo>> =
            by.map(|_, r| r.into_iter().take(runs.max(1)).collect());
        let all: Vec<&RunInfo> = last.iter().flat_map(|(_, r)| r.iter().copied()).collect();
        let entries = self.entries(&catalog, &all).await?;
        let split = split_by_profile(&last, &entries);
        Ok(split.map(|_, mine| flaky_tests(mine)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::read::Class;
    use super::*;
    use crate::ids::TestExecutionId;

    fn entry(name: &str, run: i64, status: &str) -> Entry {
        let class = match status {
            "PASSED" => Class::Passed,
            "FAILED" | "ERROR" => Class::Failed,
            "BLOCKED" => Class::NotPassed,
            _ => Class::Neutral,
        };
        Entry {
            name: name.into(),
            case: None,
            execution: TestExecutionId::new(run * 100),
            run: TestRunId::new(run),
            build: None,
            profile: None,
            status: status.into(),
            class,
            started: None,
            stopped: None,
        }
    }

    #[test]
    fn flips_counts_and_rates() {
        let results = [
            // a: P F P F (3 flips of 3), given out of order.
            entry("a", 3, "PASSED"),
            entry("a", 1, "PASSED"),
            entry("a", 2, "FAILED"),
            entry("a", 4, "ERROR"),
            // b: P P F (1 flip of 2); a WAIVED run between does not count.
            entry("b", 1, "PASSED"),
            entry("b", 2, "WAIVED"),
            entry("b", 3, "PASSED"),
            entry("b", 4, "BLOCKED"),
            // c: always failing: not flaky.
            entry("c", 1, "FAILED"),
            entry("c", 2, "FAILED"),
            // d: passed and failed in the same run: the failure wins, F F: not flaky.
            entry("d", 1, "FAILED"),
            entry("d", 2, "PASSED"),
            entry("d", 2, "FAILED"),
            // e: F P (1 flip of 1): rate 1.0, ranks above b.
            entry("e", 1, "FAILED"),
            entry("e", 2, "PASSED"),
        ];
        let flaky = flaky_tests(&results);
        let summary: Vec<(&str, usize, usize, usize, f64, &str)> = flaky
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.flips,
                    f.results,
                    f.failures,
                    f.rate,
                    f.last.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a", 3, 4, 2, 1.0, "ERROR"),
                ("e", 1, 2, 1, 1.0, "PASSED"),
                ("b", 1, 3, 1, 0.5, "BLOCKED"),
            ]
        );
        assert!(flaky_tests(&[]).is_empty());
    }
}
