//! What the parser knows about the stream as a whole: documents, plans, missing tests, bail out.

use std::ops::RangeInclusive;

/// The state of a whole TAP input: one or more documents, and whether it bailed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The source name given to the parser (a file name, `stdin`).
    pub source: String,
    /// The TAP documents found, in order. Usually one; `prove -v` output and concatenated
    /// streams have several (see the crate documentation for where one document ends). Empty
    /// for an input without any TAP.
    pub documents: Vec<Document>,
    /// `Some(reason)` once a `Bail out!` line was read (the reason may be empty); nothing after
    /// it was read.
    pub bailed_out: Option<String>,
    /// How many results the parser has handed out.
    pub results: u64,
    /// How many lines were read.
    pub lines: u64,
    /// How many of them were not TAP (log output, compiler messages, ...) and were ignored
    /// (outside subtests; inside, they are part of the subtest's text).
    pub non_tap_lines: u64,
    /// How many blocks of indented lines at the top level belonged to no test and were
    /// ignored: a subtest after the plan was complete (a stray indented test point after the
    /// last test), or indented lines without a `# Subtest` heading and without results that no
    /// test point followed.
    pub ignored_subtests: u64,
    /// The first lines of the first ten of them (1-based), for a warning.
    pub ignored_subtest_lines: Vec<u64>,
}

/// One TAP document: a plan and its top-level test points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The file name from a `prove -v` header line (`t/basic.t .. `), if there was one.
    pub name: Option<String>,
    /// The `TAP version` line's number, if there was one (none means TAP 12).
    pub version: Option<u32>,
    /// The input line where the document starts (1-based).
    pub first_line: u64,
    /// The plan, if the document had one.
    pub plan: Option<Plan>,
    /// How many top-level test points the document had (subtests' own test points are not
    /// counted; their parent test point is).
    pub tests: u64,
    /// Test numbers in `1..=plan.count` that never reported, as ranges (a plan of `1..1000000`
    /// with nothing run is one range, not a million numbers). Empty without a plan.
    pub missing: Vec<RangeInclusive<u64>>,
    /// How many distinct test numbers were outside `1..=plan.count` (too many tests). Zero
    /// without a plan.
    pub out_of_plan: u64,
}

/// A `1..N` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// N.
    pub count: u64,
    /// The text after `#` (`1..0 # SKIP no display` gives `no display`).
    pub reason: Option<String>,
    /// The input line of the plan (1-based).
    pub line: u64,
}

impl Document {
    /// How many planned tests never reported.
    pub fn missing_count(&self) -> u64 {
        self.missing
            .iter()
            .map(|r| r.end().saturating_sub(*r.start()).saturating_add(1))
            .fold(0, u64::saturating_add)
    }

    /// True when the document has a plan, as many test points as planned, every planned test
    /// number reported and none outside the plan.
    pub fn matches_plan(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| p.count == self.tests)
            && self.missing.is_empty()
            && self.out_of_plan == 0
    }
}

impl Summary {
    /// The sum of the documents' plans, or `None` when no document had a plan.
    pub fn planned(&self) -> Option<u64> {
        self.documents
            .iter()
            .filter_map(|d| d.plan.as_ref().map(|p| p.count))
            .reduce(u64::saturating_add)
    }

    /// How many planned tests never reported, over all documents.
    pub fn missing_count(&self) -> u64 {
        self.documents
            .iter()
            .map(Document::missing_count)
            .fold(0, u64::saturating_add)
    }

    /// True when the input had any TAP in it: a version line, a plan, a test point, a `prove`
    /// file header or a `Bail out!`. False for an empty input and for one of only other
    /// lines (a shell's "command not found", a compiler's errors): the test command wrote no
    /// TAP at all, which the command-line plugin treats as an input error.
    pub fn has_tap(&self) -> bool {
        !self.documents.is_empty() || self.bailed_out.is_some() || self.results > 0
    }

    /// True when there was at least one document, every document matches its plan, and the
    /// stream did not bail out: the condition for a clean exit.
    pub fn is_complete(&self) -> bool {
        self.bailed_out.is_none()
            && !self.documents.is_empty()
            && self.documents.iter().all(Document::matches_plan)
    }
}

/// A set of test numbers kept as sorted, disjoint, non-adjacent ranges: numbers that arrive in
/// order cost one range in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NumberSet {
    ranges: Vec<(u64, u64)>,
}

impl NumberSet {
    pub(crate) fn insert(&mut self, n: u64) {
        // The first range that contains n, or ends right before it, or lies after it.
        let idx = self
            .ranges
            .partition_point(|&(_, hi)| hi.saturating_add(1) < n);
        if let Some(&(lo, hi)) = self.ranges.get(idx)
            && lo <= n.saturating_add(1)
        {
            let (lo, hi) = (lo.min(n), hi.max(n));
            self.ranges[idx] = (lo, hi);
            if let Some(&(next_lo, next_hi)) = self.ranges.get(idx + 1)
                && next_lo <= hi.saturating_add(1)
            {
                self.ranges[idx] = (lo, hi.max(next_hi));
                self.ranges.remove(idx + 1);
            }
            return;
        }
        self.ranges.insert(idx, (n, n));
    }

    pub(crate) fn contains(&self, n: u64) -> bool {
        let idx = self.ranges.partition_point(|&(_, hi)| hi < n);
        self.ranges.get(idx).is_some_and(|&(lo, _)| lo <= n)
    }

    /// The numbers of `1..=count` that are not in the set.
    pub(crate) fn missing(&self, count: u64) -> Vec<RangeInclusive<u64>> {
        let mut out = Vec::new();
        let mut next = 1u64;
        for &(lo, hi) in &self.ranges {
            if next > count {
                break;
            }
            if lo > next {
                out.push(next..=(lo - 1).min(count));
            }
            next = next.max(hi.saturating_add(1));
            if hi == u64::MAX {
                return out;
            }
        }
        if next <= count {
            out.push(next..=count);
        }
        out
    }

    /// How many numbers of the set lie outside `1..=count`.
    pub(crate) fn outside(&self, count: u64) -> u64 {
        self.ranges
            .iter()
            .map(|&(lo, hi)| {
                let total = (hi - lo).saturating_add(1);
                let inside_lo = lo.max(1);
                let inside_hi = hi.min(count);
                let inside = if inside_lo <= inside_hi {
                    (inside_hi - inside_lo).saturating_add(1)
                } else {
                    0
                };
                total - inside
            })
            .fold(0, u64::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(numbers: &[u64]) -> NumberSet {
        let mut s = NumberSet::default();
        for &n in numbers {
            s.insert(n);
        }
        s
    }

    #[test]
    fn sequential_numbers_are_one_range() {
        let s = set(&(1..=10_000).collect::<Vec<_>>());
        assert_eq!(s.ranges, vec![(1, 10_000)]);
        assert!(s.missing(10_000).is_empty());
        assert_eq!(s.outside(10_000), 0);
        assert_eq!(s.outside(9_990), 10);
    }

    #[test]
    fn gaps_duplicates_and_merges() {
        let s = set(&[1, 2, 4, 4, 7, 3, 9, 8]);
        assert_eq!(s.ranges, vec![(1, 4), (7, 9)]);
        assert_eq!(s.missing(12), vec![5..=6, 10..=12]);
        assert_eq!(s.missing(5), vec![5..=5]);
        assert_eq!(s.missing(0), Vec::<RangeInclusive<u64>>::new());
        let s = set(&[5, 3, 1, 2, 4]);
        assert_eq!(s.ranges, vec![(1, 5)]);
        let s = set(&[2, 3, 7, 9, u64::MAX]);
        let has: Vec<u64> = (0..11).filter(|&n| s.contains(n)).collect();
        assert_eq!(has, [2, 3, 7, 9]);
        assert!(s.contains(u64::MAX) && !s.contains(u64::MAX - 1));
        let s = set(&[0, u64::MAX, u64::MAX - 1]);
        assert_eq!(s.ranges, vec![(0, 0), (u64::MAX - 1, u64::MAX)]);
        assert_eq!(s.outside(3), 3);
        assert_eq!(s.missing(u64::MAX), vec![1..=u64::MAX - 2]);
        assert_eq!(set(&[]).missing(3), vec![1..=3]);
    }

    #[test]
    fn summary_counts() {
        let doc = Document {
            name: None,
            version: None,
            first_line: 1,
            plan: Some(Plan {
                count: 6,
                reason: None,
                line: 1,
            }),
            tests: 3,
            missing: vec![3..=3, 5..=6],
            out_of_plan: 0,
        };
        assert_eq!(doc.missing_count(), 3);
        assert!(!doc.matches_plan());
        let summary = Summary {
            source: "x".into(),
            documents: vec![doc],
            bailed_out: None,
            results: 3,
            lines: 4,
            non_tap_lines: 0,
            ignored_subtests: 0,
            ignored_subtest_lines: Vec::new(),
        };
        assert_eq!(summary.planned(), Some(6));
        assert_eq!(summary.missing_count(), 3);
        assert!(!summary.is_complete());
    }
}
