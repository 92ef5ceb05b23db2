//! Kiwi execution statuses: which one each outcome maps to, and how to find it on a server
//! whose administrator renamed them.

use super::model::{Outcome, Verdict};
use crate::TestExecutionStatusId;
use crate::models::TestExecutionStatus;

/// The stock Kiwi TCMS execution statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KiwiStatus {
    /// Not run yet (weight 0).
    Idle,
    /// Running (weight 0).
    Running,
    /// Paused (weight 0): TAP `# TODO`, as the Python TAP plugin.
    Paused,
    /// Passed (weight 20).
    Passed,
    /// Failed (weight -30).
    Failed,
    /// Blocked (weight -10).
    Blocked,
    /// Error (weight -20).
    Error,
    /// Waived (weight 10): skipped tests.
    Waived,
}

impl KiwiStatus {
    /// Every stock status.
    pub const ALL: [KiwiStatus; 8] = [
        KiwiStatus::Idle,
        KiwiStatus::Running,
        KiwiStatus::Paused,
        KiwiStatus::Passed,
        KiwiStatus::Failed,
        KiwiStatus::Blocked,
        KiwiStatus::Error,
        KiwiStatus::Waived,
    ];

    /// The stock name (`PASSED`).
    pub fn name(self) -> &'static str {
        match self {
            KiwiStatus::Idle => "IDLE",
            KiwiStatus::Running => "RUNNING",
            KiwiStatus::Paused => "PAUSED",
            KiwiStatus::Passed => "PASSED",
            KiwiStatus::Failed => "FAILED",
            KiwiStatus::Blocked => "BLOCKED",
            KiwiStatus::Error => "ERROR",
            KiwiStatus::Waived => "WAIVED",
        }
    }

    /// The stock weight (positive = good, negative = bad, 0 = neutral).
    pub fn stock_weight(self) -> i64 {
        match self {
            KiwiStatus::Idle | KiwiStatus::Running | KiwiStatus::Paused => 0,
            KiwiStatus::Passed => 20,
            KiwiStatus::Waived => 10,
            KiwiStatus::Blocked => -10,
            KiwiStatus::Error => -20,
            KiwiStatus::Failed => -30,
        }
    }

    /// How bad the status is, for "the worst result wins" when one test is reported more than
    /// once: PASSED, IDLE, RUNNING 0 < WAIVED 1 < PAUSED 2 < BLOCKED 3 < ERROR 4 < FAILED 5.
    pub fn severity(self) -> u8 {
        match self {
            KiwiStatus::Passed | KiwiStatus::Idle | KiwiStatus::Running => 0,
            KiwiStatus::Waived => 1,
            KiwiStatus::Paused => 2,
            KiwiStatus::Blocked => 3,
            KiwiStatus::Error => 4,
            KiwiStatus::Failed => 5,
        }
    }

    /// True for a result (not IDLE or RUNNING).
    pub fn is_final(self) -> bool {
        !matches!(self, KiwiStatus::Idle | KiwiStatus::Running)
    }

    /// The worse of two statuses (the first on a tie). A result replaces IDLE and RUNNING, and
    /// is never replaced by them.
    pub fn worse(self, other: KiwiStatus) -> KiwiStatus {
        match (self.is_final(), other.is_final()) {
            (true, false) => self,
            (false, true) => other,
            _ if other.severity() > self.severity() => other,
            _ => self,
        }
    }

    /// The status a verdict is reported as: passed and flaky -> PASSED, failed -> FAILED,
    /// error -> ERROR, skipped -> WAIVED, todo -> PAUSED.
    pub fn for_verdict(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Flaky => KiwiStatus::Passed,
            Verdict::Plain(outcome) => Self::for_outcome(outcome),
        }
    }

    /// The status an outcome is reported as.
    pub fn for_outcome(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Passed => KiwiStatus::Passed,
            Outcome::Failed => KiwiStatus::Failed,
            Outcome::Error => KiwiStatus::Error,
            Outcome::Skipped => KiwiStatus::Waived,
            Outcome::Todo => KiwiStatus::Paused,
        }
    }
}

/// One status row of the server (`TestExecutionStatus.filter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerStatus {
    /// Its id.
    pub(crate) id: TestExecutionStatusId,
    /// Its (possibly renamed) name.
    pub(crate) name: String,
    /// Its weight.
    pub(crate) weight: i64,
}

impl From<&TestExecutionStatus> for ServerStatus {
    fn from(s: &TestExecutionStatus) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            weight: s.weight,
        }
    }
}

/// Finds the server's status for `wanted`: by name first; else, among the statuses whose
/// weight has the same sign as the stock weight, the one closest to it (lowest id on a tie).
/// Returns `None` only when the server has no status of that sign at all.
pub(crate) fn resolve_status(wanted: KiwiStatus, server: &[ServerStatus]) -> Option<&ServerStatus> {
    if let Some(s) = server.iter().find(|s| s.name == wanted.name()) {
        return Some(s);
    }
    let target = wanted.stock_weight();
    server
        .iter()
        .filter(|s| s.weight.signum() == target.signum())
        // Neutral statuses: never fall back to IDLE, which means "not run".
        .filter(|s| target != 0 || s.name != KiwiStatus::Idle.name() || wanted == KiwiStatus::Idle)
        .min_by_key(|s| ((s.weight - target).abs(), s.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock() -> Vec<ServerStatus> {
        KiwiStatus::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| ServerStatus {
                id: TestExecutionStatusId::new(i as i64 + 1),
                name: s.name().to_owned(),
                weight: s.stock_weight(),
            })
            .collect()
    }

    #[test]
    fn finds_by_name() {
        let server = stock();
        for s in KiwiStatus::ALL {
            assert_eq!(resolve_status(s, &server).unwrap().name, s.name());
        }
    }

    #[test]
    fn falls_back_by_weight_for_every_status() {
        let server = vec![
            ServerStatus {
                id: TestExecutionStatusId::new(1),
                name: "NOT RUN".into(),
                weight: 0,
            },
            ServerStatus {
                id: TestExecutionStatusId::new(2),
                name: "OK".into(),
                weight: 30,
            },
            ServerStatus {
                id: TestExecutionStatusId::new(3),
                name: "MEH".into(),
                weight: 5,
            },
            ServerStatus {
                id: TestExecutionStatusId::new(4),
                name: "BROKEN".into(),
                weight: -50,
            },
            ServerStatus {
                id: TestExecutionStatusId::new(5),
                name: "STUCK".into(),
                weight: -5,
            },
            ServerStatus {
                id: TestExecutionStatusId::new(6),
                name: "ON HOLD".into(),
                weight: 0,
            },
        ];
        let name = |s| resolve_status(s, &server).map(|s| s.name.as_str());
        assert_eq!(name(KiwiStatus::Passed), Some("OK"));
        assert_eq!(name(KiwiStatus::Waived), Some("MEH"));
        assert_eq!(name(KiwiStatus::Failed), Some("BROKEN"));
        assert_eq!(name(KiwiStatus::Blocked), Some("STUCK"));
        assert_eq!(name(KiwiStatus::Error), Some("STUCK"));
        assert_eq!(name(KiwiStatus::Paused), Some("NOT RUN"));
        assert_eq!(resolve_status(KiwiStatus::Passed, &[]), None);
    }

    #[test]
    fn maps_verdicts() {
        assert_eq!(KiwiStatus::for_verdict(Verdict::Flaky), KiwiStatus::Passed);
        assert_eq!(
            KiwiStatus::for_outcome(Outcome::Skipped),
            KiwiStatus::Waived
        );
        assert_eq!(KiwiStatus::for_outcome(Outcome::Todo), KiwiStatus::Paused);
    }
}
