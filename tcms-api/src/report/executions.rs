//! Phase 5: the status and dates of each execution. A name reported again keeps its worst
//! status, and its dates widen to cover every result; an execution is only updated when one
//! of them changes.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::create::{grace_period, next_delay};
use super::failures::Failures;
use super::model::TestResult;
use super::status::KiwiStatus;
use crate::client::Client;
use crate::ids::{TestCaseId, TestExecutionId, TestExecutionStatusId, TestRunId, UserId};
use crate::models::{ExecutionUpdate, NewExecution, TestExecution, TestExecutions};
use crate::query::Query;
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
    ///
    /// Every execution gets both dates: the input's where it has them, else `now` (when the
    /// result reached the engine) for the stop, and the stop less the test's duration (or the
    /// stop itself) for the start.
    pub(crate) fn after(
        previous: Option<&Seen>,
        executions: Vec<TestExecutionId>,
        status: KiwiStatus,
        results: &[&TestResult],
        now: DateTime<Utc>,
    ) -> (Seen, bool) {
        let stop = results.iter().filter_map(|r| r.stopped()).max();
        let start = results.iter().filter_map(|r| r.started()).min();
        // A name reported again without dates of its own keeps the dates it has.
        if let (Some(prev), None, None) = (previous, start, stop) {
            let next = Seen {
                executions,
                status: prev.status.worse(status),
                start: prev.start,
                stop: prev.stop,
            };
            let changed = next.status != prev.status;
            return (next, changed);
        }
        let (start, stop) = match (start, stop) {
            (start, Some(stop)) => (start.unwrap_or(stop), stop),
            (Some(start), None) => (start, now.max(start)),
            (None, None) => {
                let longest = results
                    .iter()
                    .flat_map(|r| r.attempts())
                    .filter_map(|a| a.duration)
                    .filter_map(|d| chrono::TimeDelta::from_std(d).ok())
                    .max();
                (
                    longest
                        .and_then(|d| now.checked_sub_signed(d))
                        .unwrap_or(now),
                    now,
                )
            }
        };
        let (start, stop) = (Some(start), Some(stop));
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

    /// A test planned (IDLE, no dates) or running (RUNNING since `start`): never replaces a
    /// result the case already has.
    pub(crate) fn pending(
        previous: Option<&Seen>,
        executions: Vec<TestExecutionId>,
        status: KiwiStatus,
        start: Option<DateTime<Utc>>,
    ) -> (Seen, bool) {
        match previous {
            Some(prev) if prev.status.is_final() || prev.status == status => {
                let same = Seen {
                    executions,
                    ..prev.clone()
                };
                (same, false)
            }
            _ => (
                Seen {
                    executions,
                    status,
                    start,
                    stop: None,
                },
                true,
            ),
        }
    }

    /// The `TestExecution.create` input that makes this state in one call.
    pub(crate) fn new_execution(
        &self,
        run: TestRunId,
        case: TestCaseId,
        build: crate::ids::BuildId,
        status: TestExecutionStatusId,
        case_text_version: i64,
        tester: Option<UserId>,
    ) -> NewExecution {
        NewExecution {
            run,
            case,
            build,
            status,
            case_text_version,
            tested_by: tester,
            assignee: None,
            start_date: self.start,
            stop_date: self.stop,
            sortkey: None,
        }
    }

    /// The `TestExecution.update` calls that send this state (the dates go with the status: an
    /// update without them drops their fractions of a second on the server).
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
        update.start_date = self.start;
        update.stop_date = self.stop;
        self.executions
            .iter()
            .map(|id| TestExecutions::update_call(*id, &update))
            .collect()
    }
}

/// Makes the executions of cases new to the run with `TestExecution.create` (Kiwi ≥ 15.3):
/// status, dates and tester in one call each. A create is not retry-safe: one whose answer
/// was lost is looked for (executions of the run for the case that are not in `known`) during
/// a grace period, and reported as not landed if it does not appear; it is never sent twice.
pub(crate) async fn create(
    client: &Client,
    run: TestRunId,
    creates: Vec<(String, NewExecution)>,
    known: &HashSet<TestExecutionId>,
    failed: &mut Failures,
) -> HashMap<String, TestExecutionId> {
    let calls = creates
        .iter()
        .map(|(_, new)| TestExecutions::create_call(new))
        .collect();
    let mut made = HashMap::new();
    let mut unsure = Vec::new();
    for ((summary, new), answer) in creates.into_iter().zip(client.send_all(calls).await) {
        match answer {
            Ok(execution) => {
                made.insert(summary, execution.id);
            }
            Err(e) if e.is_ambiguous() => unsure.push((summary, new.case, e.to_string())),
            Err(e) => failed.note(&summary, e.to_string()),
        }
    }
    if unsure.is_empty() {
        return made;
    }
    let cases: Vec<TestCaseId> = unsure.iter().map(|(_, c, _)| *c).collect();
    let grace = grace_period(client);
    let started = Instant::now();
    let mut delay = Duration::from_millis(500);
    let mut found: HashMap<TestCaseId, TestExecutionId> = HashMap::new();
    loop {
        let lookup = TestExecutions::filter_call(
            Query::new()
                .eq("run", run)
                .any_of("case", cases.iter().copied()),
        );
        if let Ok(rows) = client.send(lookup).await {
            for e in rows {
                if let (Some(case), false) = (e.case, known.contains(&e.id)) {
                    let entry = found.entry(case).or_insert(e.id);
                    *entry = (*entry).max(e.id);
                }
            }
        }
        if found.len() == cases.len() || started.elapsed() >= grace {
            break;
        }
        tokio::time::sleep(delay).await;
        delay = next_delay(delay);
    }
    for (summary, case, error) in unsure {
        match found.get(&case) {
            Some(id) => {
                made.insert(summary, *id);
            }
            None => failed.note(&summary, error),
        }
    }
    made
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
        let now = at(30);
        let (seen, changed) = Seen::after(None, vec![], KiwiStatus::Failed, &[&first], now);
        assert!(changed);
        let again = result(Outcome::Passed, 1, 3);
        let (next, changed) = Seen::after(Some(&seen), vec![], KiwiStatus::Passed, &[&again], now);
        assert!(changed);
        assert_eq!(next.status, KiwiStatus::Failed);
        assert_eq!((next.start, next.stop), (Some(at(1)), Some(at(6))));
        let (_, changed) = Seen::after(Some(&next), vec![], KiwiStatus::Passed, &[&again], now);
        assert!(!changed, "nothing new: no update");
    }

    #[test]
    fn missing_dates_come_from_the_time_of_reporting_and_the_duration() {
        let mut a = Attempt::new(Outcome::Passed);
        a.duration = Some(std::time::Duration::from_secs(4));
        let r = TestResult::new("t", a);
        let (seen, _) = Seen::after(None, vec![], KiwiStatus::Passed, &[&r], at(30));
        assert_eq!((seen.start, seen.stop), (Some(at(26)), Some(at(30))));
        let bare = TestResult::new("t", Attempt::new(Outcome::Passed));
        let (seen, _) = Seen::after(None, vec![], KiwiStatus::Passed, &[&bare], at(30));
        assert_eq!((seen.start, seen.stop), (Some(at(30)), Some(at(30))));
    }
}
