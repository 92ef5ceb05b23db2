//! Splitting a list of tests into shards balanced by their historic durations.

use std::collections::HashSet;
use std::time::Duration;

use super::durations::Durations;
use super::error::HistoryError;

/// One part of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Shard {
    /// Which part, from 1.
    pub index: usize,
    /// Its tests, in the order of the list that was split.
    pub tests: Vec<String>,
    /// The sum of the historic durations of its tests that have one.
    pub estimated: Duration,
    /// How many of its tests have a historic duration.
    pub with_history: usize,
}

impl Shard {
    /// How many of its tests have no historic duration.
    pub fn without_history(&self) -> usize {
        self.tests.len() - self.with_history
    }
}

/// Splits `tests` into `total` shards balanced by `durations`; deterministic: the same set of
/// names and the same durations give the same shards, whatever the order of the list.
///
/// - Names are taken once each (a name listed twice is one test) and, at the end, every shard
///   lists its tests in the order of `tests`; together the shards are the list exactly once.
/// - Tests with a duration go first, longest first (ties by name), each to the shard with the
///   least time so far (ties: fewer tests, then the lower index): longest-processing-time
///   greedy, at most 4/3 of the best possible longest shard.
/// - Tests without a duration are then spread evenly by count: by name, each to the shard
///   with the fewest of them so far (ties: less time, then the lower index). Without any
///   history this is a split by count.
///
/// ```
/// use std::time::Duration;
/// use tcms_api::history::{Durations, split};
///
/// let mut durations = Durations::new();
/// durations.insert("slow", Duration::from_secs(60));
/// durations.insert("fast", Duration::from_secs(1));
/// let tests = ["fast", "slow", "new_1", "new_2"].map(String::from);
/// let shards = split(&tests, &durations, 2).unwrap();
/// assert_eq!(shards[0].tests, ["slow", "new_2"]);
/// assert_eq!(shards[1].tests, ["fast", "new_1"]);
/// ```
pub fn split(
    tests: &[String],
    durations: &Durations,
    total: usize,
) -> Result<Vec<Shard>, HistoryError> {
    if total == 0 {
        return Err(HistoryError::InvalidShard {
            index: 0,
            total,
            reason: "the number of shards must be at least 1",
        });
    }
    let mut seen = HashSet::new();
    let unique: Vec<&str> = tests
        .iter()
        .map(String::as_str)
        .filter(|t| seen.insert(*t))
        .collect();
    let mut known: Vec<(Duration, &str)> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for &name in &unique {
        match durations.get(name) {
            Some(d) => known.push((d, name)),
            None => unknown.push(name),
        }
    }
    known.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    unknown.sort_unstable();

    struct Load {
        time: Duration,
        count: usize,
        unknown: usize,
    }
    let mut loads: Vec<Load> = (0..total)
        .map(|_| Load {
            time: Duration::ZERO,
            count: 0,
            unknown: 0,
        })
        .collect();
    let mut shard_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (duration, name) in known {
        let best = (0..total)
            .min_by_key(|&i| (loads[i].time, loads[i].count, i))
            .unwrap_or(0);
        loads[best].time += duration;
        loads[best].count += 1;
        shard_of.insert(name, best);
    }
    for name in unknown {
        let best = (0..total)
            .min_by_key(|&i| (loads[i].unknown, loads[i].time, i))
            .unwrap_or(0);
        loads[best].unknown += 1;
        loads[best].count += 1;
        shard_of.insert(name, best);
    }
    let mut shards: Vec<Shard> = (0..total)
        .map(|i| Shard {
            index: i + 1,
            tests: Vec::new(),
            estimated: loads[i].time,
            with_history: loads[i].count - loads[i].unknown,
        })
        .collect();
    for name in unique {
        if let Some(&i) = shard_of.get(name) {
            shards[i].tests.push(name.to_owned());
        }
    }
    Ok(shards)
}

/// Shard `index` (from 1) of `total`, as [`split`] makes it.
pub fn shard(
    tests: &[String],
    durations: &Durations,
    index: usize,
    total: usize,
) -> Result<Shard, HistoryError> {
    check_shard(index, total)?;
    let mut shards = split(tests, durations, total)?;
    Ok(shards.swap_remove(index - 1))
}

fn check_shard(index: usize, total: usize) -> Result<(), HistoryError> {
    let reason = if total == 0 {
        "the number of shards must be at least 1"
    } else if index == 0 {
        "shards are numbered from 1"
    } else if index > total {
        "the index is larger than the number of shards"
    } else {
        return Ok(());
    };
    Err(HistoryError::InvalidShard {
        index,
        total,
        reason,
    })
}

/// Reads `I/N` (`TCMS_SHARD=2/4`: the second of four shards; spaces allowed around the
/// numbers). The error says what is wrong.
///
/// ```
/// use tcms_api::history::parse_shard;
///
/// assert_eq!(parse_shard("2/4"), Ok((2, 4)));
/// assert!(parse_shard("0/4").is_err());
/// assert!(parse_shard("5/4").is_err());
/// assert!(parse_shard("two").is_err());
/// ```
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let wrong = |why: &str| format!("{text:?} is not a shard: {why} (expected I/N, e.g. 2/4)");
    let (index, total) = text.split_once('/').ok_or_else(|| wrong("no `/`"))?;
    let number = |s: &str| {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(wrong("not a number"));
        }
        s.parse::<usize>().map_err(|_| wrong("a number too large"))
    };
    let (index, total) = (number(index)?, number(total)?);
    check_shard(index, total).map_err(|e| wrong(&e.to_string()))?;
    Ok((index, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i:04}")).collect()
    }

    /// Skewed durations: a few tests take most of the time (a Pareto-like tail).
    fn skewed(tests: &[String], seed: u64) -> Durations {
        let mut rng = fastrand::Rng::with_seed(seed);
        tests
            .iter()
            .map(|t| {
                let u = rng.f64().max(1e-6);
                let secs = (0.05 / u.powf(1.2)).min(600.0);
                (t.clone(), Duration::from_secs_f64(secs))
            })
            .collect()
    }

    fn check_cover(tests: &[String], shards: &[Shard]) {
        let mut all: Vec<&String> = shards.iter().flat_map(|s| &s.tests).collect();
        all.sort();
        let mut want: Vec<&String> = tests.iter().collect();
        want.sort();
        want.dedup();
        assert_eq!(all, want, "every test exactly once");
    }

    #[test]
    fn exact_cover_and_determinism() {
        let tests = names(500);
        let durations = skewed(&tests[..400], 7);
        for total in [1, 2, 3, 7, 16, 600] {
            let shards = split(&tests, &durations, total).unwrap();
            assert_eq!(shards.len(), total);
            check_cover(&tests, &shards);
            // The same set in another order: the same shards (each in its list's order).
            let mut reversed = tests.clone();
            reversed.reverse();
            let again = split(&reversed, &durations, total).unwrap();
            for (a, b) in shards.iter().zip(&again) {
                let (mut x, mut y) = (a.tests.clone(), b.tests.clone());
                x.sort();
                y.sort();
                assert_eq!(x, y);
                assert_eq!(a.estimated, b.estimated);
            }
            // Shards keep the list's order.
            for s in &shards {
                let mut sorted = s.tests.clone();
                sorted.sort();
                assert_eq!(s.tests, sorted);
            }
        }
        // Duplicates are one test.
        let dup = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        let shards = split(&dup, &Durations::new(), 2).unwrap();
        assert_eq!(shards[0].tests, ["a"]);
        assert_eq!(shards[1].tests, ["b"]);
    }

    #[test]
    fn balance_is_within_the_greedy_bound() {
        for seed in 0..20 {
            let tests = names(300);
            let durations = skewed(&tests, seed);
            let total_time: Duration = durations.iter().map(|(_, d)| d).sum();
            let longest_test = durations.iter().map(|(_, d)| d).max().unwrap_or_default();
            for n in [2, 4, 8] {
                let shards = split(&tests, &durations, n).unwrap();
                let longest = shards.iter().map(|s| s.estimated).max().unwrap();
                let ideal = total_time / n as u32;
                // Greedy never exceeds the ideal by more than its longest test, and never
                // does worse than the best split by 4/3.
                assert!(longest <= ideal + longest_test, "seed {seed}, n {n}");
                let lower_bound = ideal.max(longest_test);
                assert!(
                    longest.as_secs_f64() <= lower_bound.as_secs_f64() * 4.0 / 3.0 + 1e-9,
                    "seed {seed}, n {n}: {longest:?} vs {lower_bound:?}"
                );
            }
        }
    }

    #[test]
    fn without_history_by_count_and_spread_evenly() {
        let tests = names(10);
        let shards = split(&tests, &Durations::new(), 3).unwrap();
        let counts: Vec<usize> = shards.iter().map(|s| s.tests.len()).collect();
        assert_eq!(counts, [4, 3, 3]);
        assert_eq!(shards[0].tests, ["t0000", "t0003", "t0006", "t0009"]);
        assert_eq!(shards[1].without_history(), 3);
        // Unknown tests spread evenly over the shards, whatever the known ones weigh.
        let mut durations = Durations::new();
        durations.insert("t0000", Duration::from_secs(100));
        let shards = split(&tests, &durations, 3).unwrap();
        let unknown: Vec<usize> = shards.iter().map(Shard::without_history).collect();
        assert_eq!(unknown, [3, 3, 3]);
        assert_eq!(shards[0].tests[0], "t0000");
        // Zero durations spread too (by count on a tie of time).
        let zeros: Durations = tests.iter().map(|t| (t.clone(), Duration::ZERO)).collect();
        let shards = split(&tests, &zeros, 3).unwrap();
        let counts: Vec<usize> = shards.iter().map(|s| s.tests.len()).collect();
        assert_eq!(counts, [4, 3, 3]);
    }

    #[test]
    fn one_shard_and_bad_indices() {
        let tests = names(3);
        let one = shard(&tests, &Durations::new(), 1, 1).unwrap();
        assert_eq!(one.tests, tests);
        assert!(shard(&tests, &Durations::new(), 0, 2).is_err());
        assert!(shard(&tests, &Durations::new(), 3, 2).is_err());
        assert!(split(&tests, &Durations::new(), 0).is_err());
        let empty = shard(&[], &Durations::new(), 2, 2).unwrap();
        assert!(empty.tests.is_empty());
        assert_eq!(parse_shard(" 1 / 3 "), Ok((1, 3)));
        for bad in ["", "1", "1/0", "-1/3", "a/b", "1/3/4", "+1/3"] {
            assert!(parse_shard(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_shard("5/4").unwrap_err(),
            "\"5/4\" is not a shard: shard 5/4 does not exist: the index is larger than the \
             number of shards (expected I/N, e.g. 2/4)"
        );
    }
}
