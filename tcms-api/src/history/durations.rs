//! Historic durations: the median of each test's last results.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::error::HistoryError;
use super::profiles::ByProfile;
use super::read::{History, RunInfo};
use crate::ids::TestRunId;
use crate::report::case_summary;

/// How many runs per profile durations are read from by default (`K`).
pub const DEFAULT_DURATION_RUNS: usize = 10;

/// The historic duration of each test: the median of its results' `stop - start` in the
/// runs read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durations {
    by_name: BTreeMap<String, Duration>,
    runs: usize,
}

impl Durations {
    /// No history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the duration of `name`.
    pub fn insert(&mut self, name: impl Into<String>, duration: Duration) {
        self.by_name.insert(name.into(), duration);
    }

    /// The duration of the test `name` (or of the case summary it is reported under, for a
    /// name too long for a summary).
    pub fn get(&self, name: &str) -> Option<Duration> {
        self.by_name
            .get(name)
            .or_else(|| self.by_name.get(&case_summary(name)))
            .copied()
    }

    /// How many tests have a duration.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when no test has one.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Every test and its duration, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Duration)> {
        self.by_name.iter().map(|(n, d)| (n.as_str(), *d))
    }

    /// How many runs they were read from.
    pub fn runs(&self) -> usize {
        self.runs
    }
}

impl FromIterator<(String, Duration)> for Durations {
    fn from_iter<I: IntoIterator<Item = (String, Duration)>>(iter: I) -> Self {
        Self {
            by_name: iter.into_iter().collect(),
            runs: 0,
        }
    }
}

/// The median: the middle value, or the mean of the two middle ones.
pub fn median(samples: &[Duration]) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

/// The durations of the results `(run, name, duration)`: per name, the median of its `k`
/// latest results (by run id).
pub fn durations_of<'a>(
    results: impl IntoIterator<Item = (TestRunId, &'a str, Duration)>,
    k: usize,
) -> Durations {
    let mut samples: HashMap<&str, Vec<(TestRunId, Duration)>> = HashMap::new();
    for (run, name, duration) in results {
        samples.entry(name).or_default().push((run, duration));
    }
    samples
        .into_iter()
        .filter_map(|(name, mut s)| {
            s.sort_by(|a, b| b.cmp(a));
            s.truncate(k.max(1));
            let values: Vec<Duration> = s.into_iter().map(|(_, d)| d).collect();
            median(&values).map(|m| (name.to_owned(), m))
        })
        .collect()
}

impl History {
    /// The historic duration of each test: the median of its `stop - start` in the last `k`
    /// runs of each profile of the scope (of the scope's profile only, when it names one;
    /// every profile's otherwise: how long a test takes hardly depends on it). Results without
    /// both dates do not count.
    pub async fn durations(&self, k: usize) -> Result<Durations, HistoryError> {
        let catalog = self.catalog().await?;
        let by = catalog.by_profile(self.scope())?;
        let last: ByProfile<Vec<&RunInfo>> = by.map(|_, r| r.into_iter().take(k.max(1)).collect());
        let all: Vec<&RunInfo> = last.iter().flat_map(|(_, r)| r.iter().copied()).collect();
        let entries = self.entries(&catalog, &all).await?;
        let wanted = self.scope().profile.clone();
        let mut durations = durations_of(
            entries
                .iter()
                .filter(|e| wanted.is_none() || e.profile == wanted)
                .filter_map(|e| e.duration().map(|d| (e.run, e.name.as_str(), d))),
            k,
        );
        let mut runs: Vec<TestRunId> = all.iter().map(|r| r.id).collect();
        runs.sort_unstable();
        runs.dedup();
        durations.runs = runs.len();
        Ok(durations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[ms(5)]), Some(ms(5)));
        assert_eq!(median(&[ms(9), ms(1), ms(5)]), Some(ms(5)));
        assert_eq!(median(&[ms(4), ms(1), ms(2), ms(100)]), Some(ms(3)));
    }

    #[test]
    fn the_k_latest_results_count() {
        let r = TestRunId::new;
        // a: runs 1..=5 took 100, 1, 1, 9, 9 ms; with k = 3 only runs 3, 4, 5 count.
        let results = [
            (r(1), "a", ms(100)),
            (r(2), "a", ms(1)),
            (r(3), "a", ms(1)),
            (r(4), "a", ms(9)),
            (r(5), "a", ms(9)),
            (r(5), "b", ms(7)),
        ];
        let d = durations_of(results, 3);
        assert_eq!(d.get("a"), Some(ms(9)));
        assert_eq!(d.get("b"), Some(ms(7)));
        assert_eq!(d.get("c"), None);
        let all = durations_of(results, 10);
        assert_eq!(all.get("a"), Some(ms(9)));
        let two = durations_of(results[..3].iter().copied(), 10);
        assert_eq!(two.get("a"), Some(ms(1)));
        assert_eq!(d.len(), 2);
        let long = "x".repeat(300);
        let by_summary: Durations = [(case_summary(&long), ms(3))].into_iter().collect();
        assert_eq!(by_summary.get(&long), Some(ms(3)));
    }
}
