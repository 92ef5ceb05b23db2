//! Phase 1: read what the report needs and what already exists, in one batch, before any
//! write: the server's statuses, priority and case status, the tester, and the run, plan or
//! product the settings name.

use std::collections::HashMap;

use super::error::ReportError;
use super::settings::Settings;
use super::status::{KiwiStatus, ServerStatus, resolve_status};
use crate::client::{Client, ServerVersion};
use crate::ids::{PriorityId, ProductId, TestCaseStatusId, TestExecutionStatusId, UserId};
use crate::models::{
    Priorities, Product, Products, TestCaseStatuses, TestExecutionStatuses, TestPlan, TestPlans,
    TestRun, TestRuns, Users,
};
use crate::query::Query;
use crate::rpc::Batch;

/// What every write needs from the server.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    /// Status ids by stock status (renamed statuses found by weight).
    pub(crate) statuses: HashMap<KiwiStatus, TestExecutionStatusId>,
    /// The priority new cases get: the active one with the lowest id.
    pub(crate) priority: PriorityId,
    /// The status new cases get: `CONFIRMED`, else the first confirmed one.
    pub(crate) confirmed: TestCaseStatusId,
    /// What the server can hold.
    pub(crate) caps: Capabilities,
    /// The logged-in user (read on servers with `TestExecution.create`).
    pub(crate) me: Option<UserId>,
}

/// What a server can hold, by its version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// The server's version, as it wrote it.
    pub(crate) version: (u32, u32),
    /// `TestExecution.create` (15.3): one call per result.
    pub(crate) execution_create: bool,
    /// Execution and run properties (15.3).
    pub(crate) properties: bool,
    /// Execution attachments (15.3).
    pub(crate) execution_attachments: bool,
}

impl Capabilities {
    pub(crate) fn of(version: &ServerVersion) -> Self {
        let v153 = version.at_least(15, 3);
        Self {
            version: version.major_minor(),
            execution_create: v153,
            properties: v153,
            execution_attachments: v153,
        }
    }
}

/// What the settings name, as it exists on the server.
#[derive(Debug, Clone)]
pub(crate) enum Existing {
    /// `TCMS_RUN_ID`: that run.
    Run(TestRun),
    /// `TCMS_PLAN_ID`: that plan.
    Plan(TestPlan),
    /// The product by name (`None`: it does not exist yet).
    Product(String, Option<ProductId>),
}

/// Reads [`Reference`] and [`Existing`] in one batch. A `TCMS_RUN_ID`, `TCMS_PLAN_ID` or
/// `TCMS_DEFAULT_TESTER_ID` that names nothing is refused here, before anything is created.
pub(crate) async fn read(
    client: &Client,
    settings: &Settings,
) -> Result<(Reference, Existing), ReportError> {
    let product_name = match (settings.run_id, settings.plan_id) {
        (None, None) => Some(settings.require_product()?.to_owned()),
        _ => None,
    };
    // Log in first (the one request that also reads the server's version), so that the batch
    // can ask for what this server needs.
    let caps = Capabilities::of(&client.server_version().await?);
    let mut batch = Batch::new();
    // `TestExecution.create` does not default the tester to the caller: read who that is.
    let me = (caps.execution_create && settings.default_tester.is_none())
        .then(|| batch.push(Users::me_call()));
    let statuses = batch.push(TestExecutionStatuses::filter_call(Query::new()));
    let priorities = batch.push(Priorities::filter_call(Query::new().eq("is_active", true)));
    let case_statuses = batch.push(TestCaseStatuses::filter_call(Query::new()));
    let tester = settings.default_tester.map(|id| {
        (
            id,
            batch.push(Users::filter_call(Query::new().eq("pk", id))),
        )
    });
    enum Wanted<R, P, Q> {
        Run(R),
        Plan(P),
        Product(String, Q),
    }
    let wanted = match (settings.run_id, settings.plan_id, product_name) {
        (Some(run), _, _) => {
            Wanted::Run(batch.push(TestRuns::filter_call(Query::new().eq("pk", run))))
        }
        (None, Some(plan), _) => {
            Wanted::Plan(batch.push(TestPlans::filter_call(Query::new().eq("pk", plan))))
        }
        (None, None, Some(name)) => {
            let call = Products::filter_call(Query::new().eq("name", name.as_str()));
            Wanted::Product(name, batch.push(call))
        }
        (None, None, None) => return Err(ReportError::Internal("no product name".into())),
    };
    let mut answers = client.send_batch(batch).await;

    let statuses: Vec<ServerStatus> = answers.take(statuses)?.iter().map(Into::into).collect();
    let mut ids = HashMap::new();
    for wanted in [
        KiwiStatus::Idle,
        KiwiStatus::Running,
        KiwiStatus::Blocked,
        KiwiStatus::Passed,
        KiwiStatus::Failed,
        KiwiStatus::Error,
        KiwiStatus::Waived,
        KiwiStatus::Paused,
    ] {
        match resolve_status(wanted, &statuses) {
            Some(found) => {
                ids.insert(wanted, found.id);
            }
            // IDLE, RUNNING and BLOCKED are only needed for live progress, which says so when
            // used.
            None if matches!(
                wanted,
                KiwiStatus::Idle | KiwiStatus::Running | KiwiStatus::Blocked
            ) => {}
            None => {
                return Err(ReportError::ServerSetup(format!(
                    "the server has no execution status named {} and none with a weight of the \
                     same sign to use instead",
                    wanted.name()
                )));
            }
        }
    }
    let priority = answers
        .take(priorities)?
        .iter()
        .map(|p| p.id)
        .min()
        .ok_or_else(|| ReportError::ServerSetup("the server has no active Priority".into()))?;
    let case_statuses = answers.take(case_statuses)?;
    let confirmed = case_statuses
        .iter()
        .find(|s| s.name == "CONFIRMED")
        .or_else(|| {
            case_statuses
                .iter()
                .filter(|s| s.is_confirmed)
                .min_by_key(|s| s.id)
        })
        .map(|s| s.id)
        .ok_or_else(|| {
            ReportError::ServerSetup("the server has no confirmed TestCaseStatus".into())
        })?;
    if let Some((id, slot)) = tester
        && answers.take(slot)?.is_empty()
    {
        return Err(ReportError::Target(format!(
            "TCMS_DEFAULT_TESTER_ID={id}: there is no user {id} on {}",
            client.base_url()
        )));
    }
    let existing = match wanted {
        Wanted::Run(slot) => {
            let run = answers.take(slot)?.into_iter().next().ok_or_else(|| {
                let id = settings.run_id.map(|r| r.get()).unwrap_or_default();
                ReportError::Target(format!(
                    "TCMS_RUN_ID={id}: there is no TestRun {id} on {}",
                    client.base_url()
                ))
            })?;
            Existing::Run(run)
        }
        Wanted::Plan(slot) => {
            let plan = answers.take(slot)?.into_iter().next().ok_or_else(|| {
                let id = settings.plan_id.map(|p| p.get()).unwrap_or_default();
                ReportError::Target(format!(
                    "TCMS_PLAN_ID={id}: there is no TestPlan {id} on {}",
                    client.base_url()
                ))
            })?;
            Existing::Plan(plan)
        }
        Wanted::Product(name, slot) => {
            let products: Vec<Product> = answers.take(slot)?;
            Existing::Product(name, products.iter().map(|p| p.id).min())
        }
    };
    let me = match me {
        Some(slot) => answers.take(slot)?.first().map(|u| u.id),
        None => None,
    };
    Ok((
        Reference {
            me,
            statuses: ids,
            priority,
            confirmed,
            caps,
        },
        existing,
    ))
}

impl Reference {
    /// The server's id of `status`.
    pub(crate) fn status(&self, status: KiwiStatus) -> Result<TestExecutionStatusId, ReportError> {
        self.statuses.get(&status).copied().ok_or_else(|| {
            ReportError::ServerSetup(format!(
                "the server has no execution status named {} and none with a weight of 0 to \
                 use instead",
                status.name()
            ))
        })
    }
}
