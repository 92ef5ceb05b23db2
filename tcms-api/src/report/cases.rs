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

use super::profile::Profile;

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

/// Where the cases of a batch are.
#[derive(Debug, Default)]
pub(crate) struct Membership {
    /// Cases in the plan.
    pub(crate) in_plan: HashSet<TestCaseId>,
    /// The executions of each case in the run that are this report's (its profile's).
    pub(crate) in_run: HashMap<TestCaseId, Vec<TestExecutionId>>,
    /// Every execution of these cases in the run, whoever's.
    pub(crate) known: HashSet<TestExecutionId>,
}

/// Which of `cases` are in the plan and which have executions in the run: one batch of
/// lookups (`TestCase.filter({"plan", "pk__in"})`, `TestExecution.filter({"run",
/// "case__in"})`). With `profiles` (Kiwi ≥ 15.3, where one run holds an execution per
/// profile), an execution is this report's when its `profile` property is `profile` (none
/// for a report without a profile): one more lookup, `TestExecution.properties`.
pub(crate) async fn membership(
    client: &Client,
    plan: TestPlanId,
    run: TestRunId,
    cases: &[TestCaseId],
    profiles: Option<Option<&Profile>>,
) -> Result<Membership, ReportError> {
    let mut out = Membership::default();
    if cases.is_empty() {
        return Ok(out);
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
    let property_slot = profiles.map(|_| {
        batch.push(TestExecutions::properties_call(
            Query::new()
                .eq("execution__run", run)
                .eq("name", Profile::PROPERTY),
        ))
    });
    let mut answers = client.send_batch(batch).await;
    for slot in plan_slots {
        out.in_plan.extend(answers.take(slot)?.iter().map(|c| c.id));
    }
    let mut executions = Vec::new();
    for slot in run_slots {
        executions.extend(answers.take(slot)?);
    }
    let owner: HashMap<TestExecutionId, String> = match property_slot {
        Some(slot) => answers
            .take(slot)?
            .into_iter()
            .filter_map(|p| p.execution.map(|e| (e, p.value)))
            .collect(),
        None => HashMap::new(),
    };
    for e in executions {
        out.known.insert(e.id);
        let Some(case) = e.case else { continue };
        let mine = match profiles {
            None => true,
            Some(profile) => owner.get(&e.id).map(String::as_str) == profile.map(Profile::name),
        };
        if mine {
            out.in_run.entry(case).or_default().push(e.id);
        }
    }
    Ok(out)
}

/// What [`add`] adds and reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Additions<'a> {
    /// Cases to add to the plan.
    pub(crate) to_plan: &'a [TestCaseId],
    /// Cases to add to the run (`TestRun.add_case`).
    pub(crate) to_run: &'a [TestCaseId],
    /// Cases whose history version to read.
    pub(crate) history_of: &'a [TestCaseId],
}

/// Adds cases to the plan where they are missing (`TestPlan.add_case`: idempotent) and, on
/// the 12.4 path, to the run (`TestRun.add_case`); on the one-call path, reads the history
/// version of each case whose execution will be created (`TestCase.history`), in the same
/// batch. Returns the new executions of each case and the versions.
pub(crate) async fn add(
    client: &Client,
    (plan, run): (TestPlanId, TestRunId),
    Additions {
        to_plan,
        to_run,
        history_of,
    }: Additions<'_>,
    names: &HashMap<TestCaseId, String>,
    failed: &mut Failures,
) -> (
    HashMap<TestCaseId, Vec<TestExecutionId>>,
    HashMap<TestCaseId, i64>,
) {
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
    let history_slots: Vec<_> = history_of
        .iter()
        .map(|case| (*case, batch.push(TestCases::history_call(*case))))
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
    let mut versions = HashMap::new();
    for (case, slot) in history_slots {
        match answers.take(slot) {
            Ok(rows) => match rows.iter().map(|h| h.history_id).max() {
                Some(version) => {
                    versions.insert(case, version);
                }
                None => failed.note(&name(&case), format!("{case} has no history on the server")),
            },
            Err(e) => failed.note(&name(&case), e.to_string()),
        }
    }
    (executions, versions)
}
