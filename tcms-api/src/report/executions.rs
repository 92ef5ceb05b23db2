//! Phase 5: the status and dates of each execution. A name reported again keeps its worst
//! status, and its dates widen to cover every result; an execution is only updated when one
//! of them changes.

use chrono::{DateTime, Utc};

use super::model::TestResult;
use super::status::KiwiStatus;
use crate::ids::{TestExecutionId, TestExecutionStatusId, UserId};
use crate::models::{ExecutionUpdate, TestExecution, TestExecutions};
use crate::rpc::Call;

/// What the engine remembers of a case it reported in this session.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) executions: Vec<TestExecutionId>,
    pub(crate) status: KiwiStatus,
    /// Earliest start and latest stop sent so far, so that a later batch widens them.
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) stop: Option<DateTime<Utc>>,
}

impl Seen {
    /// What the case is after `results` (merged to `status`): the worse status, the wider
    /// dates; and whether that differs from what was sent before (`previous`).
    pub(crate) fn after(
        previous: Option<&Seen>,
        executions: Vec<TestExecutionId>,
        status: KiwiStatus,
        results: &[&TestResult],
    ) -> (Seen, bool) {
        let start = results.iter().filter_map(|r| r.started()).min();
        let stop = results.iter().filter_map(|r| r.stopped()).max();
        let next = match previous {
            None => Seen {
                executions,
                status,
                start,
                stop,
            },
            Some(prev) => Seen {
                executions,
                status: prev.status.worse(status),
                start: earliest(prev.start, start),
                stop: latest(prev.stop, stop),
            },
        };
        let changed = previous.is_none_or(|prev| {
            (prev.status, prev.start, prev.stop) != (next.status, next.start, next.stop)
        });
        (next, changed)
    }

    /// The `TestExecution.update` calls that send this state (both dates go with the status:
    /// an update without them drops their fractions of a second on the server).
    pub(crate) fn update_calls(
        &self,
        status: TestExecutionStatusId,
        tester: Option<UserId>,
    ) -> Vec<Call<TestExecution>> {
        let mut update = ExecutionUpdate {
            status: Some(status),
            tested_by: tester,
            ..ExecutionUpdate::default()
        };
        match (self.start, self.stop) {
            (Some(start), Some(stop)) => {
                update.start_date = Some(start);
                update.stop_date = Some(stop);
            }
            (None, Some(stop)) => update.stop_date = Some(stop),
            _ => {}
        }
        self.executions
            .iter()
            .map(|id| TestExecutions::update_call(*id, &update))
            .collect()
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::report::{Attempt, Outcome};

    fn at(s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, s).unwrap()
    }

    fn result(outcome: Outcome, start: u32, stop: u32) -> TestResult {
        let mut a = Attempt::new(outcome);
        a.started = Some(at(start));
        a.stopped = Some(at(stop));
        TestResult::new("t", a)
    }

    #[test]
    fn worst_status_and_widest_dates_win() {
        let first = result(Outcome::Failed, 5, 6);
        let (seen, changed) = Seen::after(None, vec![], KiwiStatus::Failed, &[&first]);
        assert!(changed);
        let again = result(Outcome::Passed, 1, 3);
        let (next, changed) = Seen::after(Some(&seen), vec![], KiwiStatus::Passed, &[&again]);
        assert!(changed);
        assert_eq!(next.status, KiwiStatus::Failed);
        assert_eq!((next.start, next.stop), (Some(at(1)), Some(at(6))));
        let (_, changed) = Seen::after(Some(&next), vec![], KiwiStatus::Passed, &[&again]);
        assert!(!changed, "nothing new: no update");
    }
}
