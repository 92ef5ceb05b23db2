//! Phase 4: the cases of a batch of results: found by summary, created where missing, added
//! to the plan and the run where they are not yet.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::create::{grace_period, next_delay};
use super::error::ReportError;
use super::failures::Failures;
use crate::client::Client;
use crate::ids::{
    CategoryId, PriorityId, ProductId, TestCaseId, TestCaseStatusId, TestExecutionId, TestPlanId,
    TestRunId, UserId,
};
use crate::models::{NewTestCase, TestCases, TestExecutions, TestPlans, TestRuns};
use crate::query::Query;
use crate::rpc::Batch;

/// How many names go into one `summary__in` / `pk__in` lookup.
const LOOKUP_CHUNK: usize = 200;

/// What a new case is created with.
#[derive(Debug, Clone)]
pub(crate) struct NewCases {
    pub(crate) product: ProductId,
    pub(crate) category: CategoryId,
    pub(crate) priority: PriorityId,
    pub(crate) confirmed: TestCaseStatusId,
    pub(crate) tester: Option<UserId>,
    /// `Created by <plugin>, version <v>`.
    pub(crate) notes: String,
}

/// The cases of `summaries` in `product`: `TestCase.filter({"summary__in": [...],
/// "category__product": product})` in chunks, as one batch. Several cases with one summary:
/// the oldest wins.
pub(crate) async fn lookup(
    client: &Client,
    product: ProductId,
    summaries: &[String],
) -> Result<HashMap<String, TestCaseId>, ReportError> {
    let calls = summaries
        .chunks(LOOKUP_CHUNK)
        .map(|chunk| {
            TestCases::filter_call(
                Query::new()
                    .any_of("summary", chunk.iter().map(String::as_str))
                    .eq("category__product", product),
            )
        })
        .collect();
    let mut found: HashMap<String, TestCaseId> = HashMap::new();
    for answer in client.send_all(calls).await {
        for case in answer? {
            let entry = found.entry(case.summary.clone()).or_insert(case.id);
            if case.id < *entry {
                *entry = case.id;
            }
        }
    }
    Ok(found)
}

/// Creates cases; a create whose answer was lost is looked for during a grace period (a lost
/// request may still be queued at the server) and never sent twice. What cannot be created
/// is noted in `failed`.
pub(crate) async fn create(
    client: &Client,
    new: &NewCases,
    summaries: &[String],
    full_names: &HashMap<String, String>,
    failed: &mut Failures,
) -> Result<HashMap<String, TestCaseId>, ReportError> {
    let calls = summaries
        .iter()
        .map(|summary| {
            let mut case =
                NewTestCase::new(summary.as_str(), new.category, new.priority, new.confirmed);
            case.is_automated = Some(true);
            case.notes = Some(new.notes.clone());
            case.default_tester = new.tester;
            // A name over 255 characters is a prefix and a hash: the case's text keeps it whole.
            case.text = full_names.get(summary).cloned();
            TestCases::create_call(&case)
        })
        .collect();
    let mut made = HashMap::new();
    let mut unsure = Vec::new();
    for (summary, answer) in summaries.iter().zip(client.send_all(calls).await) {
        match answer {
            Ok(case) => {
                made.insert(summary.clone(), case.id);
            }
            Err(e) if e.is_ambiguous() => unsure.push((summary.clone(), e.to_string())),
            Err(e) => failed.note(summary, e.to_string()),
        }
    }
    if !unsure.is_empty() {
        let names: Vec<String> = unsure.iter().map(|(s, _)| s.clone()).collect();
        let grace = grace_period(client);
        let started = Instant::now();
        let mut delay = Duration::from_millis(500);
        let found = loop {
            let found = lookup(client, new.product, &names).await?;
            if found.len() == names.len() || started.elapsed() >= grace {
                break found;
            }
            tokio::time::sleep(delay).await;
            delay = next_delay(delay);
        };
        for (summary, error) in unsure {
            match found.get(&summary) {
                Some(id) => {
                    made.insert(summary, *id);
                }
                None => failed.note(&summary, error),
            }
        }
    }
    Ok(made)
}

/// Which of `cases` are in the plan and which have executions in the run: one batch of
/// lookups (`TestCase.filter({"plan", "pk__in"})`, `TestExecution.filter({"run",
/// "case__in"})`).
pub(crate) async fn membership(
    client: &Client,
    plan: TestPlanId,
    run: TestRunId,
    cases: &[TestCaseId],
) -> Result<
    (
        HashSet<TestCaseId>,
        HashMap<TestCaseId, Vec<TestExecutionId>>,
    ),
    ReportError,
> {
    let mut in_plan = HashSet::new();
    let mut in_run: HashMap<TestCaseId, Vec<TestExecutionId>> = HashMap::new();
    if cases.is_empty() {
        return Ok((in_plan, in_run));
    }
    let mut batch = Batch::new();
    let plan_slots: Vec<_> = cases
        .chunks(LOOKUP_CHUNK)
        .map(|chunk| {
            batch.push(TestCases::filter_call(
                Query::new()
                    .eq("plan", plan)
                    .any_of("pk", chunk.iter().copied()),
            ))
        })
        .collect();
    let run_slots: Vec<_> = cases
        .chunks(LOOKUP_CHUNK)
        .map(|chunk| {
            batch.push(TestExecutions::filter_call(
                Query::new()
                    .eq("run", run)
                    .any_of("case", chunk.iter().copied()),
            ))
        })
        .collect();
    let mut answers = client.send_batch(batch).await;
    for slot in plan_slots {
        in_plan.extend(answers.take(slot)?.iter().map(|c| c.id));
    }
    for slot in run_slots {
        for e in answers.take(slot)? {
            if let Some(case) = e.case {
                in_run.entry(case).or_default().push(e.id);
            }
        }
    }
    Ok((in_plan, in_run))
}

/// Adds cases to the plan and the run where they are missing (`TestPlan.add_case`,
/// `TestRun.add_case`: idempotent, so retried); returns the new executions of each case.
pub(crate) async fn add(
    client: &Client,
    plan: TestPlanId,
    run: TestRunId,
    to_plan: &[TestCaseId],
    to_run: &[TestCaseId],
    names: &HashMap<TestCaseId, String>,
    failed: &mut Failures,
) -> HashMap<TestCaseId, Vec<TestExecutionId>> {
    // One list of calls, cut into batches: plan first, then run, as a single series.
    let mut batch = Batch::new();
    let plan_slots: Vec<_> = to_plan
        .iter()
        .map(|case| (*case, batch.push(TestPlans::add_case_call(plan, *case))))
        .collect();
    let run_slots: Vec<_> = to_run
        .iter()
        .map(|case| (*case, batch.push(TestRuns::add_case_call(run, *case))))
        .collect();
    let mut answers = client.send_batch(batch).await;
    let name = |case: &TestCaseId| names.get(case).cloned().unwrap_or_default();
    for (case, slot) in plan_slots {
        if let Err(e) = answers.take(slot) {
            failed.note(&name(&case), e.to_string());
        }
    }
    let mut executions: HashMap<TestCaseId, Vec<TestExecutionId>> = HashMap::new();
    for (case, slot) in run_slots {
        match answers.take(slot) {
            Ok(execs) => executions
                .entry(case)
                .or_default()
                .extend(execs.iter().map(|e| e.id)),
            Err(e) => failed.note(&name(&case), e.to_string()),
        }
    }
    executions
}
