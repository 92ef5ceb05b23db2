//! The reporter: resolves (or creates) Product, Version, Build, TestPlan and TestRun, then
//! reports results in bulk. The only plugin code that talks to Kiwi.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tracing::debug;

use super::comment::Merged;
use super::model::{TestResult, Verdict};
use super::settings::{Settings, SettingsError, truncate_chars};
use super::status::{KiwiStatus, ServerStatus, resolve_status};
use crate::client::Client;
use crate::datetime::format_kiwi;
use crate::error::Error;
use crate::ids::{
    BuildId, CategoryId, PriorityId, ProductId, TestCaseId, TestCaseStatusId, TestExecutionId,
    TestPlanId, TestRunId, UserId, VersionId,
};
use crate::models::{
    Build, Category, Classification, Comment, PlanType, Priority, Product, TestCase,
    TestCaseStatus, TestExecution, TestExecutionStatus, TestPlan, TestRun, Version,
};
use crate::rpc::Call;

/// Kiwi's limit for `TestCase.summary` and `TestPlan.name`.
pub const MAX_SUMMARY_CHARS: usize = 255;

/// How many names go into one `summary__in` / `pk__in` lookup.
const LOOKUP_CHUNK: usize = 200;

/// Why reporting could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The environment does not say what to report into.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The server refused or failed.
    #[error(transparent)]
    Api(#[from] Error),
    /// What the environment names does not exist or does not fit together; nothing was
    /// created.
    #[error("{0}")]
    Invalid(String),
}

/// A record the engine used: created now, or found and reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `Product`, `Version`, `Build`, `TP` (plan), `TR` (run).
    pub kind: &'static str,
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Created by this report (false: reused).
    pub created: bool,
}

impl Record {
    /// `added: TP-5` / `reuse: TR-9`, the lines the Python plugins print with `--verbose`.
    pub fn verbose_line(&self) -> String {
        let verb = if self.created { "added" } else { "reuse" };
        match self.kind {
            "TP" | "TR" => format!("{verb}: {}-{}", self.kind, self.id),
            other => format!("{verb}: {other} {} ({})", self.id, self.name),
        }
    }
}

/// A result that did not land, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The case summary.
    pub name: String,
    /// What went wrong.
    pub error: String,
}

/// What a report did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// The run reported into.
    pub run_id: Option<TestRunId>,
    /// Its web page.
    pub run_url: Option<String>,
    /// Its plan.
    pub plan_id: Option<TestPlanId>,
    /// Records created or reused, in order.
    pub records: Vec<Record>,
    /// Results parsed and handed to the engine.
    pub parsed: usize,
    /// Distinct cases (names) reported.
    pub cases: usize,
    /// Cases created now.
    pub cases_created: usize,
    /// Executions whose status landed, by status.
    pub accepted: BTreeMap<KiwiStatus, usize>,
    /// Cases that passed only on a re-run.
    pub flaky: usize,
    /// Cases that did not land.
    pub failures: Vec<Failure>,
    /// HTTP requests sent.
    pub requests: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// True for `--dry-run`: nothing was changed.
    pub dry_run: bool,
}

impl Summary {
    /// Distinct cases whose status landed.
    pub fn accepted_total(&self) -> usize {
        self.accepted.values().sum()
    }

    /// One line: counts per status, the run and its URL.
    pub fn line(&self) -> String {
        let mut parts: Vec<String> = self
            .accepted
            .iter()
            .map(|(s, n)| format!("{n} {}", s.name().to_lowercase()))
            .collect();
        if self.flaky > 0 {
            parts.push(format!("{} flaky", self.flaky));
        }
        if !self.failures.is_empty() {
            parts.push(format!("{} NOT REPORTED", self.failures.len()));
        }
        if parts.is_empty() {
            parts.push("no results".into());
        }
        let target = match (&self.run_id, &self.run_url) {
            (Some(id), Some(url)) => format!("{id} {url}"),
            (Some(id), None) => id.to_string(),
            _ => "(no run)".into(),
        };
        let verb = if self.dry_run {
            "would report"
        } else {
            "reported"
        };
        format!(
            "{verb} {} case(s): {} -> {target} ({} requests, {:.1} s)",
            self.cases,
            parts.join(", "),
            self.requests,
            self.seconds
        )
    }
}

/// Options of a report.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Resolve against the server read-only and count what would change; change nothing.
    pub dry_run: bool,
    /// The earliest start of the results, if known: the run's start date when a run is
    /// created (else now).
    pub started: Option<DateTime<Utc>>,
    /// The longest wait for a plan or shared run that a concurrent process is creating
    /// (`None`: 30 s for a brand-new version, 120 s for shards with a run key). Tests against
    /// a fake server, which has no concurrent processes, set it short.
    pub concurrent_wait: Option<std::time::Duration>,
}

/// Resolved identities of everything the results go into.
#[derive(Debug, Clone)]
struct Target {
    product: Option<ProductId>,
    plan: Option<TestPlanId>,
    run: Option<TestRunId>,
    build: Option<BuildId>,
    category: Option<CategoryId>,
    priority: PriorityId,
    confirmed: TestCaseStatusId,
    tester: Option<UserId>,
    /// Status ids by stock status.
    statuses: HashMap<KiwiStatus, i64>,
    /// True when the run existed before: executions may have comments already.
    run_existed: bool,
}

/// What the engine remembers of a case it reported in this session.
#[derive(Debug, Clone)]
struct Seen {
    executions: Vec<TestExecutionId>,
    status: KiwiStatus,
    /// Earliest start and latest stop sent so far, so that a later batch widens them.
    start: Option<DateTime<Utc>>,
    stop: Option<DateTime<Utc>>,
}

/// Reports results into Kiwi TCMS. Create with [`Reporter::start`], feed with
/// [`Reporter::report`] (once, or many times for live reporting), end with
/// [`Reporter::finish`].
#[derive(Debug)]
pub struct Reporter {
    client: Client,
    settings: Settings,
    options: Options,
    target: Target,
    seen: HashMap<String, Seen>,
    summary: Summary,
    started: Instant,
    requests_at_start: u64,
    latest_stop: Option<DateTime<Utc>>,
    /// The run's notes as they are on the server, and what this report adds to them.
    run_notes: String,
    added_notes: Vec<String>,
}

fn severity(s: KiwiStatus) -> u8 {
    match s {
        KiwiStatus::Passed => 0,
        KiwiStatus::Idle | KiwiStatus::Running => 0,
        KiwiStatus::Waived => 1,
        KiwiStatus::Paused => 2,
        KiwiStatus::Blocked => 3,
        KiwiStatus::Error => 4,
        KiwiStatus::Failed => 5,
    }
}

/// The summary (case name) as Kiwi stores it, so that lookups match: see
/// [`super::names::case_summary`].
pub(crate) fn case_summary(name: &str) -> String {
    super::names::case_summary(name)
}

impl Reporter {
    /// Validates the settings against the server and resolves or creates Product, Version,
    /// Build, TestPlan and TestRun. Everything is checked (reads only) before the first write,
    /// so a bad `TCMS_RUN_ID`, `TCMS_PLAN_ID` or a missing product name leaves nothing behind.
    pub async fn start(
        client: Client,
        settings: Settings,
        options: Options,
    ) -> Result<Self, ReportError> {
        let started = Instant::now();
        let requests_at_start = client.request_count();
        let mut records = Vec::new();
        let mut run_notes = String::new();

        // 1. Reference data and every lookup that does not depend on a write: one batch.
        let product_name = match (settings.run_id, settings.plan_id) {
            (None, None) => Some(settings.require_product()?.to_owned()),
            _ => None,
        };
        let mut lookups = vec![
            Call::new("TestExecutionStatus.filter", json!([{}])),
            Call::new("Priority.filter", json!([{"is_active": true}])),
            Call::new("TestCaseStatus.filter", json!([{}])),
        ];
        // TCMS_DEFAULT_TESTER_ID must name a user before anything is created with it.
        if let Some(tester) = settings.default_tester {
            lookups.push(Call::new("User.filter", json!([{"pk": tester}])));
        }
        if let Some(run) = settings.run_id {
            lookups.push(Call::new("TestRun.filter", json!([{"pk": run}])));
        } else if let Some(plan) = settings.plan_id {
            lookups.push(Call::new("TestPlan.filter", json!([{"pk": plan}])));
        } else if let Some(name) = &product_name {
            lookups.push(Call::new("Product.filter", json!([{"name": name}])));
        }
        let mut answers = client.batch_raw(lookups).await.into_iter();
        let statuses: Vec<TestExecutionStatus> = next_decoded(&mut answers)?;
        let priorities: Vec<Priority> = next_decoded(&mut answers)?;
        let case_statuses: Vec<TestCaseStatus> = next_decoded(&mut answers)?;
        if let Some(tester) = settings.default_tester {
            let users: Vec<Value> = next_decoded(&mut answers)?;
            if users.is_empty() {
                return Err(ReportError::Invalid(format!(
                    "TCMS_DEFAULT_TESTER_ID={tester}: there is no user {tester} on {}",
                    client.base_url()
                )));
            }
        }

        let server_statuses: Vec<ServerStatus> = statuses
            .iter()
            .map(|s| ServerStatus {
                id: s.id.get(),
                name: s.name.clone(),
                weight: s.weight,
            })
            .collect();
        let mut status_ids = HashMap::new();
        for wanted in [
            KiwiStatus::Passed,
            KiwiStatus::Failed,
            KiwiStatus::Error,
            KiwiStatus::Waived,
            KiwiStatus::Paused,
        ] {
            let found = resolve_status(wanted, &server_statuses).ok_or_else(|| {
                ReportError::Invalid(format!(
                    "the server has no execution status named {} and none with a weight of the \
                     same sign to use instead",
                    wanted.name()
                ))
            })?;
            status_ids.insert(wanted, found.id);
        }
        let priority = priorities
            .iter()
            .min_by_key(|p| p.id)
            .map(|p| p.id)
            .ok_or_else(|| ReportError::Invalid("the server has no active Priority".into()))?;
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
                ReportError::Invalid("the server has no confirmed TestCaseStatus".into())
            })?;

        let tester = settings.default_tester.map(UserId::new);
        let mut target = Target {
            product: None,
            plan: None,
            run: None,
            build: None,
            category: None,
            priority,
            confirmed,
            tester,
            statuses: status_ids,
            run_existed: false,
        };
        let dry = options.dry_run;

        if let Some(run_id) = settings.run_id {
            // TCMS_RUN_ID: that run, its plan, its product.
            let runs: Vec<TestRun> = next_decoded(&mut answers)?;
            let run = runs.into_iter().next().ok_or_else(|| {
                ReportError::Invalid(format!(
                    "TCMS_RUN_ID={run_id}: there is no TestRun {run_id} on {}",
                    client.base_url()
                ))
            })?;
            let plan = one::<TestPlan>(&client, "TestPlan.filter", json!({"pk": run.plan})).await?;
            let plan = plan.ok_or_else(|| {
                ReportError::Invalid(format!("TestRun {run_id} has no readable plan"))
            })?;
            target.product = plan.product;
            target.plan = Some(plan.id);
            target.run = Some(run.id);
            target.build = run.build;
            target.run_existed = true;
            run_notes = run.notes.clone();
            records.push(Record {
                kind: "TP",
                id: plan.id.get(),
                name: plan.name.clone(),
                created: false,
            });
            records.push(Record {
                kind: "TR",
                id: run.id.get(),
                name: run.summary.clone(),
                created: false,
            });
        } else {
            let (product, version_name, plan) = if let Some(plan_id) = settings.plan_id {
                // TCMS_PLAN_ID: a new run under that plan, for a build of the plan's version.
                let plans: Vec<TestPlan> = next_decoded(&mut answers)?;
                let plan = plans.into_iter().next().ok_or_else(|| {
                    ReportError::Invalid(format!(
                        "TCMS_PLAN_ID={plan_id}: there is no TestPlan {plan_id} on {}",
                        client.base_url()
                    ))
                })?;
                let version = one::<Version>(
                    &client,
                    "Version.filter",
                    json!({"pk": plan.product_version}),
                )
                .await?
                .ok_or_else(|| {
                    ReportError::Invalid(format!("TestPlan {plan_id} has no readable version"))
                })?;
                if let Some(wanted) = &settings.version
                    && wanted.value != version.value
                {
                    return Err(ReportError::Invalid(format!(
                        "TCMS_PLAN_ID={plan_id} is a plan for version {:?}, but {}={:?}: a run \
                         of that plan needs a build of the plan's version; unset {} or use \
                         another plan",
                        version.value, wanted.from, wanted.value, wanted.from
                    )));
                }
                records.push(Record {
                    kind: "TP",
                    id: plan.id.get(),
                    name: plan.name.clone(),
                    created: false,
                });
                (plan.product, version.value, Some(plan))
            } else {
                let version = settings.require_version()?.to_owned();
                settings.require_build()?;
                let products: Vec<Product> = next_decoded(&mut answers)?;
                (products.iter().map(|p| p.id).min(), version, None)
            };
            let build_name = settings.require_build()?.to_owned();
            let product_label = match &product_name {
                Some(n) => n.clone(),
                None => String::new(),
            };

            // 2. Writes, each after its own lookup, racing processes tolerated.
            let product = match product {
                Some(id) => {
                    if plan.is_none() {
                        records.push(Record {
                            kind: "Product",
                            id: id.get(),
                            name: product_label.clone(),
                            created: false,
                        });
                    }
                    Some(id)
                }
                None if dry => {
                    records.push(Record {
                        kind: "Product",
                        id: 0,
                        name: product_label.clone(),
                        created: true,
                    });
                    None
                }
                None => {
                    let (id, created) = create_product(&client, &product_label).await?;
                    records.push(Record {
                        kind: "Product",
                        id: id.get(),
                        name: product_label.clone(),
                        created,
                    });
                    Some(id)
                }
            };
            target.product = product;
            let product_display = match &plan {
                Some(p) => p
                    .product_name
                    .clone()
                    .unwrap_or_else(|| product_label.clone()),
                None => product_label.clone(),
            };

            // Whether this process created the build (unique: one process wins the race): then
            // it creates the plan and a shared run (run key), and processes racing it wait for
            // them instead of creating their own.
            let mut build_created = false;
            let version = match product {
                Some(pid) => {
                    find_or_create::<Version>(
                        &client,
                        dry,
                        ("Version", &version_name),
                        json!({"product": pid, "value": version_name}),
                        &mut records,
                    )
                    .await?
                    .0
                }
                None => None,
            }
            .map(VersionId::new);
            let build = match version {
                Some(vid) => {
                    let (id, created) = find_or_create::<Build>(
                        &client,
                        dry,
                        ("Build", &build_name),
                        json!({"version": vid, "name": build_name}),
                        &mut records,
                    )
                    .await?;
                    build_created = created;
                    id
                }
                None => None,
            }
            .map(BuildId::new);
            // Without the parent (a dry run that would create it), these would be created too.
            for (kind, parent_missing, name) in [
                ("Version", product.is_none(), &version_name),
                ("Build", version.is_none(), &build_name),
            ] {
                if parent_missing {
                    records.push(Record {
                        kind,
                        id: 0,
                        name: name.clone(),
                        created: true,
                    });
                }
            }
            target.build = build;

            // The plan: TCMS_PLAN_ID, else by name within product and version.
            let plan = match plan {
                Some(p) => Some(p),
                None => match (product, version) {
                    (Some(pid), Some(vid)) => {
                        let name = settings.plan_name(&product_display, &version_name);
                        let query = json!({"name": name, "product": pid, "product_version": vid});
                        match one::<TestPlan>(&client, "TestPlan.filter", query.clone()).await? {
                            Some(p) => {
                                records.push(Record {
                                    kind: "TP",
                                    id: p.id.get(),
                                    name: name.clone(),
                                    created: false,
                                });
                                Some(p)
                            }
                            None if dry => None,
                            None => {
                                match wait_for_plan(
                                    &client,
                                    vid,
                                    build_created,
                                    settings.run_key.is_some(),
                                    options.concurrent_wait,
                                    query.clone(),
                                )
                                .await?
                                {
                                    Some(p) => {
                                        records.push(Record {
                                            kind: "TP",
                                            id: p.id.get(),
                                            name: name.clone(),
                                            created: false,
                                        });
                                        Some(p)
                                    }
                                    None => {
                                        let plan_type = plan_type_id(&client).await?;
                                        let mut values = json!({
                                            "name": name,
                                            "text": settings.plugin.created_by(),
                                            "product": pid,
                                            "product_version": vid,
                                            "is_active": true,
                                            "type": plan_type,
                                        });
                                        if let Some(t) = tester {
                                            values["author"] = json!(t);
                                        }
                                        if let Some(parent) = settings.parent_plan {
                                            values["parent"] = json!(parent);
                                        }
                                        let id: TestPlanId = get_or_create(
                                            &client,
                                            Call::new("TestPlan.create", json!([values])),
                                            "TestPlan.filter",
                                            query,
                                            |p: &TestPlan| p.id,
                                        )
                                        .await?;
                                        records.push(Record {
                                            kind: "TP",
                                            id: id.get(),
                                            name: name.clone(),
                                            created: true,
                                        });
                                        one::<TestPlan>(
                                            &client,
                                            "TestPlan.filter",
                                            json!({"pk": id}),
                                        )
                                        .await?
                                    }
                                }
                            }
                        }
                    }
                    _ => None,
                },
            };
            if plan.is_none() {
                records.push(Record {
                    kind: "TP",
                    id: 0,
                    name: settings.plan_name(&product_display, &version_name),
                    created: true,
                });
            }
            target.plan = plan.as_ref().map(|p| p.id);

            // The run: a new one (as tcms-api does), or the one shared by every process with
            // the same run key (parallel CI shards).
            let summary_text = settings.run_summary(&product_display, &version_name, &build_name);
            match (&plan, build) {
                (Some(p), Some(b)) if !dry => {
                    let manager = p.author.or(tester);
                    let mut values = json!({
                        "summary": summary_text,
                        "plan": p.id,
                        "build": b,
                        "start_date": format_kiwi(options.started.unwrap_or_else(Utc::now)),
                    });
                    if let Some(m) = manager {
                        values["manager"] = json!(m);
                    }
                    if let Some(t) = tester.or(manager) {
                        values["default_tester"] = json!(t);
                    }
                    let (run, created) = match &settings.run_key {
                        None => (create_run(&client, &settings, values, p.id, b).await?, true),
                        Some(key) => {
                            join_or_create_run(
                                &client,
                                &settings,
                                values,
                                (p.id, b),
                                key,
                                build_created,
                                options.concurrent_wait,
                            )
                            .await?
                        }
                    };
                    run_notes = run.notes.clone();
                    target.run_existed = !created;
                    records.push(Record {
                        kind: "TR",
                        id: run.id.get(),
                        name: summary_text,
                        created,
                    });
                    target.run = Some(run.id);
                }
                _ => records.push(Record {
                    kind: "TR",
                    id: 0,
                    name: summary_text,
                    created: true,
                }),
            }
        }

        // The category new cases go into: the product's `--default--`, else its first.
        if let Some(pid) = target.product {
            let categories: Vec<Category> = client
                .call("Category.filter", json!([{"product": pid}]))
                .await?;
            target.category = categories
                .iter()
                .find(|c| c.name == "--default--")
                .or_else(|| categories.iter().min_by_key(|c| c.id))
                .map(|c| c.id);
            if target.category.is_none() && !dry {
                let id: CategoryId = get_or_create(
                    &client,
                    Call::new(
                        "Category.create",
                        json!([{"product": pid, "name": "--default--"}]),
                    ),
                    "Category.filter",
                    json!({"product": pid, "name": "--default--"}),
                    |c: &Category| c.id,
                )
                .await?;
                target.category = Some(id);
            }
        }

        for r in &records {
            debug!("{}", r.verbose_line());
        }
        let summary = Summary {
            run_id: target.run,
            run_url: target
                .run
                .map(|r| format!("{}/runs/{}/", client.base_url(), r.get())),
            plan_id: target.plan,
            records,
            dry_run: dry,
            ..Summary::default()
        };
        Ok(Self {
            client,
            settings,
            options,
            target,
            seen: HashMap::new(),
            summary,
            started,
            requests_at_start,
            latest_stop: None,
            run_notes,
            added_notes: Vec::new(),
        })
    }

    /// The records created or reused so far (`added: TP-5` lines).
    pub fn records(&self) -> &[Record] {
        &self.summary.records
    }

    /// The run results go into (none in a dry run that would create it).
    pub fn run_id(&self) -> Option<TestRunId> {
        self.target.run
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Reports a batch of results: bulk lookups, then batched writes. Call it once with
    /// everything, or repeatedly as results arrive (live reporting). A name seen before keeps
    /// its worst status; its new text is added as a comment.
    ///
    /// Per-result failures are collected in the summary ([`Summary::failures`]); an `Err` means
    /// nothing of this batch could be reported.
    pub async fn report(&mut self, results: &[TestResult]) -> Result<(), ReportError> {
        if results.is_empty() {
            return Ok(());
        }
        self.summary.parsed += results.len();
        for r in results {
            if let Some(stop) = r.stopped() {
                self.latest_stop = Some(self.latest_stop.map_or(stop, |s| s.max(stop)));
            }
        }
        // Group by case summary, keeping input order.
        let mut empty_names = Vec::new();
        let mut order: Vec<String> = Vec::new();
        let mut groups: HashMap<String, Vec<&TestResult>> = HashMap::new();
        for r in results {
            let summary = case_summary(&r.name);
            if summary.is_empty() {
                empty_names.push(r.name.clone());
                continue;
            }
            groups
                .entry(summary.clone())
                .or_insert_with(|| {
                    order.push(summary.clone());
                    Vec::new()
                })
                .push(r);
        }

        for name in empty_names {
            self.summary.failures.push(Failure {
                name: format!("{name:?}"),
                error: "a test case needs a name that is not blank".into(),
            });
        }

        // Cases: look up the names not seen before, create the missing ones.
        let unseen: Vec<String> = order
            .iter()
            .filter(|s| !self.seen.contains_key(*s))
            .cloned()
            .collect();
        let mut case_ids: HashMap<String, TestCaseId> = HashMap::new();
        let mut created: HashSet<TestCaseId> = HashSet::new();
        let mut failed: HashMap<String, String> = HashMap::new();
        if let Some(pid) = self.target.product {
            case_ids = self.lookup_cases(pid, &unseen).await?;
        }
        let missing: Vec<String> = unseen
            .iter()
            .filter(|s| !case_ids.contains_key(*s))
            .cloned()
            .collect();
        if self.options.dry_run {
            self.summary.cases_created += missing.len();
            for s in &order {
                let status = Merged::new(groups[s].clone()).status();
                *self.summary.accepted.entry(status).or_default() += 1;
                if groups[s].iter().any(|r| r.verdict() == Verdict::Flaky) {
                    self.summary.flaky += 1;
                }
                self.seen.entry(s.clone()).or_insert(Seen {
                    executions: Vec::new(),
                    status,
                    start: None,
                    stop: None,
                });
            }
            self.summary.cases = self.seen.len();
            return Ok(());
        }
        if !missing.is_empty() {
            let made = self.create_cases(&missing).await?;
            for (summary, result) in made {
                match result {
                    Ok(id) => {
                        created.insert(id);
                        case_ids.insert(summary, id);
                    }
                    Err(e) => {
                        failed.insert(summary, e);
                    }
                }
            }
            self.summary.cases_created += created.len();
        }

        // Plan and run membership for cases not seen before.
        let executions = self.place_cases(&case_ids, &created, &mut failed).await?;

        // Statuses, dates and comments.
        let mut calls = Vec::new();
        let mut call_owner: Vec<String> = Vec::new();
        let mut new_status: HashMap<String, KiwiStatus> = HashMap::new();
        let mut comment_targets: Vec<(String, TestExecutionId, String)> = Vec::new();
        for summary in &order {
            if failed.contains_key(summary) {
                continue;
            }
            let merged = Merged::new(groups[summary].clone());
            let (exec_ids, previous) = match self.seen.get(summary) {
                Some(seen) => (seen.executions.clone(), Some(seen.status)),
                None => match executions.get(summary) {
                    Some(ids) => (ids.clone(), None),
                    None => continue,
                },
            };
            let status = match previous {
                Some(prev) if severity(prev) >= severity(merged.status()) => prev,
                _ => merged.status(),
            };
            new_status.insert(summary.clone(), status);
            let status_id = self.target.statuses.get(&status).copied();
            let (new_start, new_stop) = dates(&groups[summary]);
            let (old_start, old_stop) = self
                .seen
                .get(summary)
                .map_or((None, None), |s| (s.start, s.stop));
            let start = earliest(old_start, new_start);
            let stop = latest(old_stop, new_stop);
            let dates_changed = (start, stop) != (old_start, old_stop);
            if previous != Some(status) || dates_changed {
                for id in &exec_ids {
                    let mut values = json!({ "status": status_id });
                    if let (Some(start), Some(stop)) = (start, stop) {
                        values["start_date"] = json!(format_kiwi(start));
                        values["stop_date"] = json!(format_kiwi(stop));
                    } else if let Some(stop) = stop {
                        values["stop_date"] = json!(format_kiwi(stop));
                    }
                    if let Some(t) = self.target.tester {
                        values["tested_by"] = json!(t);
                    }
                    calls.push(Call::new("TestExecution.update", json!([id, values])));
                    call_owner.push(summary.clone());
                }
            }
            if let Some(text) = merged.comment() {
                for id in &exec_ids {
                    comment_targets.push((summary.clone(), *id, text.clone()));
                }
            }
            self.seen.insert(
                summary.clone(),
                Seen {
                    executions: exec_ids,
                    status,
                    start,
                    stop,
                },
            );
            if groups[summary]
                .iter()
                .any(|r| r.verdict() == Verdict::Flaky)
            {
                self.summary.flaky += 1;
            }
        }

        // Statuses and dates: retry-safe, sent on their own so the client may retry them.
        let answers = self.client.batch_raw(calls).await;
        for ((method, answer), owner) in answers.into_iter().zip(call_owner) {
            if let Err(e) = answer {
                failed
                    .entry(owner)
                    .or_insert_with(|| format!("{method}: {e}"));
            }
        }
        // Comments: not retry-safe. Re-reporting into an existing run skips the comments an
        // execution already has; a comment whose answer was lost is looked up before it is
        // sent again.
        if self.target.run_existed && !comment_targets.is_empty() {
            comment_targets = self
                .drop_existing_comments(comment_targets, &mut failed)
                .await;
        }
        self.add_comments(comment_targets, &mut failed).await;
        for summary in &order {
            if let Some(error) = failed.remove(summary) {
                self.seen.remove(summary);
                self.summary.failures.push(Failure {
                    name: summary.clone(),
                    error,
                });
            }
        }
        // Counts are recomputed from what is known to have landed.
        self.summary.accepted.clear();
        for seen in self.seen.values() {
            *self.summary.accepted.entry(seen.status).or_default() += 1;
        }
        self.summary.cases = self.seen.len() + self.summary.failures.len();
        debug!(
            results = results.len(),
            requests = self.client.request_count() - self.requests_at_start,
            "reported a batch"
        );
        Ok(())
    }

    /// Adds a line to the run's notes, sent with [`Reporter::finish`] (e.g. why a TAP stream
    /// bailed out).
    pub fn add_run_note(&mut self, note: impl Into<String>) {
        self.added_notes.push(note.into());
    }

    /// Sets the run's stop date (now, or the latest result's stop if that is later) and any
    /// notes added, and returns the summary.
    pub async fn finish(mut self) -> Result<Summary, ReportError> {
        if let (Some(run), false) = (self.target.run, self.options.dry_run) {
            let stop = self.latest_stop.unwrap_or_else(Utc::now).max(Utc::now());
            let mut values = json!({"stop_date": format_kiwi(stop)});
            if !self.added_notes.is_empty() {
                let mut notes = self.run_notes.trim_end().to_owned();
                for note in &self.added_notes {
                    if !notes.is_empty() {
                        notes.push('\n');
                    }
                    notes.push_str(note);
                }
                values["notes"] = json!(notes);
            }
            let _: Value = self
                .client
                .call("TestRun.update", json!([run, values]))
                .await?;
        }
        self.summary.requests = self.client.request_count() - self.requests_at_start;
        self.summary.seconds = self.started.elapsed().as_secs_f64();
        Ok(self.summary)
    }

    /// The summary so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// `TestCase.filter({"summary__in": [...], "category__product": product})`, in chunks,
    /// as one batch. Several cases with one summary: the oldest wins.
    async fn lookup_cases(
        &self,
        product: ProductId,
        summaries: &[String],
    ) -> Result<HashMap<String, TestCaseId>, ReportError> {
        let calls: Vec<Call> = summaries
            .chunks(LOOKUP_CHUNK)
            .map(|chunk| {
                Call::new(
                    "TestCase.filter",
                    json!([{"summary__in": chunk, "category__product": product}]),
                )
            })
            .collect();
        let mut found: HashMap<String, TestCaseId> = HashMap::new();
        for answer in self.client.call_many::<Vec<TestCase>>(calls).await {
            for case in answer? {
                let entry = found.entry(case.summary.clone()).or_insert(case.id);
                if case.id < *entry {
                    *entry = case.id;
                }
            }
        }
        Ok(found)
    }

    /// Creates cases; a create whose answer was lost is reconciled by looking the name up.
    async fn create_cases(
        &self,
        summaries: &[String],
    ) -> Result<Vec<(String, Result<TestCaseId, String>)>, ReportError> {
        let category = self
            .target
            .category
            .ok_or_else(|| ReportError::Invalid("no category to create test cases in".into()))?;
        let calls: Vec<Call> = summaries
            .iter()
            .map(|s| {
                let mut values = json!({
                    "summary": s,
                    "category": category,
                    "priority": self.target.priority,
                    "case_status": self.target.confirmed,
                    "is_automated": true,
                    "notes": self.settings.plugin.created_by(),
                });
                if let Some(t) = self.target.tester {
                    values["default_tester"] = json!(t);
                }
                Call::new("TestCase.create", json!([values]))
            })
            .collect();
        let answers = self.client.call_many::<TestCase>(calls).await;
        let mut out = Vec::with_capacity(summaries.len());
        let mut unsure = Vec::new();
        for (summary, answer) in summaries.iter().zip(answers) {
            match answer {
                Ok(case) => out.push((summary.clone(), Ok(case.id))),
                Err(e) if e.is_ambiguous() => unsure.push((summary.clone(), e.to_string())),
                Err(e) => out.push((summary.clone(), Err(e.to_string()))),
            }
        }
        if !unsure.is_empty() {
            // Look for them during a grace period (a lost request may still be queued at the
            // server); what does not appear is not landed, and never created twice here.
            let names: Vec<String> = unsure.iter().map(|(s, _)| s.clone()).collect();
            let mut found = HashMap::new();
            if let Some(pid) = self.target.product {
                let grace = grace_period(&self.client);
                let started = Instant::now();
                let mut delay = std::time::Duration::from_millis(500);
                loop {
                    found = self.lookup_cases(pid, &names).await?;
                    if found.len() == names.len() || started.elapsed() >= grace {
                        break;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
            }
            for (summary, error) in unsure {
                match found.get(&summary) {
                    Some(id) => out.push((summary, Ok(*id))),
                    None => out.push((summary, Err(error))),
                }
            }
        }
        Ok(out)
    }

    /// Adds cases to the plan and the run where they are missing; returns the executions of
    /// each case in the run.
    async fn place_cases(
        &self,
        case_ids: &HashMap<String, TestCaseId>,
        created: &HashSet<TestCaseId>,
        failed: &mut HashMap<String, String>,
    ) -> Result<HashMap<String, Vec<TestExecutionId>>, ReportError> {
        let (Some(plan), Some(run)) = (self.target.plan, self.target.run) else {
            return Ok(HashMap::new());
        };
        let existing: Vec<TestCaseId> = case_ids
            .values()
            .filter(|id| !created.contains(id))
            .copied()
            .collect();
        // One batch: which existing cases are in the plan, which have executions in the run.
        let mut lookups = Vec::new();
        for chunk in existing.chunks(LOOKUP_CHUNK) {
            lookups.push(Call::new(
                "TestCase.filter",
                json!([{"plan": plan, "pk__in": chunk}]),
            ));
        }
        let plan_lookups = lookups.len();
        for chunk in existing.chunks(LOOKUP_CHUNK) {
            lookups.push(Call::new(
                "TestExecution.filter",
                json!([{"run": run, "case__in": chunk}]),
            ));
        }
        let mut in_plan: HashSet<TestCaseId> = HashSet::new();
        let mut in_run: HashMap<TestCaseId, Vec<TestExecutionId>> = HashMap::new();
        for (i, (method, answer)) in self.client.batch_raw(lookups).await.into_iter().enumerate() {
            let value = answer?;
            if i < plan_lookups {
                let cases: Vec<TestCase> = crate::client::decode(&method, value)?;
                in_plan.extend(cases.iter().map(|c| c.id));
            } else {
                let execs: Vec<TestExecution> = crate::client::decode(&method, value)?;
                for e in execs {
                    if let Some(case) = e.case {
                        in_run.entry(case).or_default().push(e.id);
                    }
                }
            }
        }
        let by_id: HashMap<TestCaseId, &String> = case_ids.iter().map(|(s, id)| (*id, s)).collect();
        let mut ids: Vec<TestCaseId> = case_ids.values().copied().collect();
        ids.sort();
        let mut calls = Vec::new();
        let mut owners = Vec::new();
        for id in &ids {
            if !in_plan.contains(id) {
                calls.push(Call::new("TestPlan.add_case", json!([plan, id])));
                owners.push((*id, false));
            }
        }
        for id in &ids {
            if !in_run.contains_key(id) {
                calls.push(Call::new("TestRun.add_case", json!([run, id])));
                owners.push((*id, true));
            }
        }
        for ((method, answer), (case, is_run)) in
            self.client.batch_raw(calls).await.into_iter().zip(owners)
        {
            match answer {
                Ok(value) if is_run => {
                    let execs: Vec<TestExecution> = match crate::client::decode(&method, value) {
                        Ok(e) => e,
                        Err(e) => {
                            failed.insert(by_id[&case].clone(), e.to_string());
                            continue;
                        }
                    };
                    in_run
                        .entry(case)
                        .or_default()
                        .extend(execs.iter().map(|e| e.id));
                }
                Ok(_) => {}
                Err(e) => {
                    failed.insert(by_id[&case].clone(), format!("{method}: {e}"));
                }
            }
        }
        Ok(case_ids
            .iter()
            .filter_map(|(s, id)| in_run.get(id).map(|e| (s.clone(), e.clone())))
            .collect())
    }

    /// Drops comments identical to one the execution already has (re-reporting into
    /// `TCMS_RUN_ID` must not duplicate them). When the comments cannot be read, the target is
    /// marked failed rather than risking a duplicate.
    async fn drop_existing_comments(
        &self,
        targets: Vec<(String, TestExecutionId, String)>,
        failed: &mut HashMap<String, String>,
    ) -> Vec<(String, TestExecutionId, String)> {
        let mut ids: Vec<TestExecutionId> = targets.iter().map(|(_, id, _)| *id).collect();
        ids.sort();
        ids.dedup();
        let calls = ids
            .iter()
            .map(|id| Call::new("TestExecution.get_comments", json!([id])))
            .collect();
        let answers = self.client.call_many::<Vec<Comment>>(calls).await;
        let mut existing: HashMap<TestExecutionId, HashSet<String>> = HashMap::new();
        let mut unreadable: HashMap<TestExecutionId, String> = HashMap::new();
        for (id, answer) in ids.iter().zip(answers) {
            match answer {
                Ok(comments) => {
                    existing
                        .entry(*id)
                        .or_default()
                        .extend(comments.into_iter().map(|c| c.comment.trim().to_owned()));
                }
                Err(e) => {
                    unreadable.insert(*id, e.to_string());
                }
            }
        }
        targets
            .into_iter()
            .filter(|(summary, id, text)| {
                if let Some(e) = unreadable.get(id) {
                    failed
                        .entry(summary.clone())
                        .or_insert_with(|| format!("cannot check the comments of {id}: {e}"));
                    return false;
                }
                !existing
                    .get(id)
                    .is_some_and(|set| set.contains(text.trim()))
            })
            .collect()
    }

    /// Adds comments. A comment whose request got no answer (timeout, reset, 502) may or may
    /// not exist, or may still be waiting in the server's queue: it is looked for during a
    /// grace period and, if it does not appear, reported as not landed, never sent again by
    /// this process (`--resume` later finds it if it landed after all).
    async fn add_comments(
        &self,
        pending: Vec<(String, TestExecutionId, String)>,
        failed: &mut HashMap<String, String>,
    ) {
        if pending.is_empty() {
            return;
        }
        let calls = pending
            .iter()
            .map(|(_, id, text)| Call::new("TestExecution.add_comment", json!([id, text])))
            .collect();
        let answers = self.client.batch_raw(calls).await;
        let mut unsure = Vec::new();
        let mut last_error = HashMap::new();
        for (target, (method, answer)) in pending.into_iter().zip(answers) {
            match answer {
                Ok(_) => {}
                Err(e) if e.is_ambiguous() => {
                    last_error.insert(target.0.clone(), format!("{method}: {e}"));
                    unsure.push(target);
                }
                Err(e) => {
                    failed
                        .entry(target.0.clone())
                        .or_insert_with(|| format!("{method}: {e}"));
                }
            }
        }
        let grace = grace_period(&self.client);
        let started = Instant::now();
        let mut delay = std::time::Duration::from_millis(500);
        while !unsure.is_empty() {
            debug!(
                comments = unsure.len(),
                "comment answers lost, looking for them"
            );
            unsure = self.drop_existing_comments(unsure, failed).await;
            if unsure.is_empty() || started.elapsed() >= grace {
                break;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(5));
        }
        for (summary, _, _) in unsure {
            let error = last_error.remove(&summary).unwrap_or_default();
            failed.entry(summary).or_insert(error);
        }
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

/// The start and stop to send for a case: earliest start, latest stop of its results.
fn dates(results: &[&TestResult]) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let start = results.iter().filter_map(|r| r.started()).min();
    let stop = results.iter().filter_map(|r| r.stopped()).max();
    (start, stop)
}

fn next_decoded<T: DeserializeOwned>(
    answers: &mut impl Iterator<Item = (String, Result<Value, Error>)>,
) -> Result<T, ReportError> {
    let (method, answer) = answers
        .next()
        .ok_or_else(|| ReportError::Invalid("missing answer in lookup batch".into()))?;
    Ok(crate::client::decode(&method, answer?)?)
}

/// The first (lowest id) record matching `query`.
async fn one<T: DeserializeOwned + HasId>(
    client: &Client,
    method: &str,
    query: Value,
) -> Result<Option<T>, ReportError> {
    let rows: Vec<T> = client.call(method, json!([query])).await?;
    Ok(rows.into_iter().min_by_key(|r| r.id_value()))
}

/// Creates a record, and says whether this process created it (`false`: it was there
/// already, created concurrently by another process); if another process created it first (a unique-constraint error), or the
/// answer was lost (timeout, reset, 502), reads it back instead. A lost create that did not
/// land is sent again, up to three times.
async fn get_or_create_flag<T: DeserializeOwned + HasId, I>(
    client: &Client,
    create: Call,
    filter_method: &str,
    query: Value,
    id: impl Fn(&T) -> I,
) -> Result<(I, bool), ReportError> {
    let method = create.method().to_owned();
    let mut last = None;
    for round in 0..3u32 {
        match client.call_raw(create.clone()).await {
            Ok(value) => {
                let record: T = crate::client::decode(&method, value)?;
                return Ok((id(&record), true));
            }
            Err(e) if e.as_rpc().is_some_and(|r| r.is_duplicate()) => {
                if let Some(record) = one::<T>(client, filter_method, query.clone()).await? {
                    return Ok((id(&record), false));
                }
                return Err(e.into());
            }
            Err(e) if e.is_ambiguous() => {
                debug!(round, "{method} got no answer ({e}); reading back");
                // The request may still be queued at the server: look for it during a grace
                // period before sending it again.
                let found = poll_now(grace_period(client), || async {
                    one::<T>(client, filter_method, query.clone()).await
                })
                .await?;
                if let Some(record) = found {
                    // Our lost create most likely made it: count it as ours.
                    return Ok((id(&record), true));
                }
                last = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .map(ReportError::from)
        .unwrap_or_else(|| ReportError::Invalid(format!("{method} did not land"))))
}

/// Creates a record (see [`get_or_create_flag`]).
async fn get_or_create<T: DeserializeOwned + HasId, I>(
    client: &Client,
    create: Call,
    filter_method: &str,
    query: Value,
    id: impl Fn(&T) -> I,
) -> Result<I, ReportError> {
    Ok(get_or_create_flag(client, create, filter_method, query, id)
        .await?
        .0)
}

/// Records with an id, for "lowest id wins".
trait HasId {
    fn id_value(&self) -> i64;
}

macro_rules! has_id {
    ($($t:ty),*) => {$(
        impl HasId for $t {
            fn id_value(&self) -> i64 {
                self.id.get()
            }
        }
    )*};
}

has_id!(
    Product,
    Version,
    Build,
    TestPlan,
    TestRun,
    Category,
    Classification,
    PlanType
);

/// Finds the `kind` record matching `values` (`Version.filter`), or creates it from the same
/// values (`Version.create`, race-safe) unless in a dry run; records what happened. Returns its
/// id (`None`: a dry run would create it) and whether this process created it.
async fn find_or_create<T: DeserializeOwned + HasId>(
    client: &Client,
    dry: bool,
    (kind, name): (&'static str, &str),
    values: Value,
    records: &mut Vec<Record>,
) -> Result<(Option<i64>, bool), ReportError> {
    let filter = format!("{kind}.filter");
    let (id, created) = match one::<T>(client, &filter, values.clone()).await? {
        Some(found) => (Some(found.id_value()), false),
        None if dry => (None, true),
        None => {
            let create = Call::new(format!("{kind}.create"), json!([values.clone()]));
            let (id, created) =
                get_or_create_flag(client, create, &filter, values, |r: &T| r.id_value()).await?;
            (Some(id), created)
        }
    };
    records.push(Record {
        kind,
        id: id.unwrap_or(0),
        name: name.to_owned(),
        created,
    });
    Ok((id, created))
}

/// Creates the product (and a Classification if the server has none); says whether this
/// process created it (`false`: a concurrent process did first).
async fn create_product(client: &Client, name: &str) -> Result<(ProductId, bool), ReportError> {
    // A fresh Kiwi has no Classification at all (the Python plugins crash there).
    let classes: Vec<Classification> = client.call("Classification.filter", json!([{}])).await?;
    let class = match classes.iter().min_by_key(|c| c.id) {
        Some(c) => c.id.get(),
        None => {
            let id = get_or_create(
                client,
                Call::new("Classification.create", json!([{"name": "unspecified"}])),
                "Classification.filter",
                json!({"name": "unspecified"}),
                |c: &Classification| c.id,
            )
            .await?;
            id.get()
        }
    };
    get_or_create_flag(
        client,
        Call::new(
            "Product.create",
            json!([{"name": name, "classification": class}]),
        ),
        "Product.filter",
        json!({"name": name}),
        |p: &Product| p.id,
    )
    .await
}

/// Creates a run. It has no natural key, so a token in its notes finds it again when the
/// answer to the create was lost.
async fn create_run(
    client: &Client,
    settings: &Settings,
    mut values: Value,
    plan: TestPlanId,
    build: BuildId,
) -> Result<TestRun, ReportError> {
    let token = format!("{:016x}", fastrand::u64(..));
    let notes = format!("{} (report {token})", settings.plugin.created_by());
    values["notes"] = json!(notes);
    let id: TestRunId = get_or_create(
        client,
        Call::new("TestRun.create", json!([values])),
        "TestRun.filter",
        json!({"plan": plan, "build": build, "notes__contains": token}),
        |r: &TestRun| r.id,
    )
    .await?;
    one::<TestRun>(client, "TestRun.filter", json!({"pk": id}))
        .await?
        .ok_or_else(|| ReportError::Invalid(format!("{id} was created but cannot be read")))
}

/// The tag that marks the run shared by every process with one run key.
pub fn run_key_tag(key: &str) -> String {
    truncate_chars(&format!("tcms-run-key:{key}"), 255)
}

/// Joins the run of `key` (tagged [`run_key_tag`]) in this plan, or creates it. The process
/// that created the build creates the run; the others wait for it. If several runs appear
/// anyway (the build existed before, so nobody was the obvious creator), the lowest id wins
/// and the others give up their tag. Returns the run and whether this process created it.
async fn join_or_create_run(
    client: &Client,
    settings: &Settings,
    values: Value,
    (plan, build): (TestPlanId, BuildId),
    key: &str,
    build_created: bool,
    wait: Option<std::time::Duration>,
) -> Result<(TestRun, bool), ReportError> {
    let tag = run_key_tag(key);
    let query = json!({"plan": plan, "tag__name": tag});
    if let Some(run) = one::<TestRun>(client, "TestRun.filter", query.clone()).await? {
        return Ok((run, false));
    }
    if !build_created {
        // A build without runs was created moments ago by a shard that is creating the run
        // now: wait for it. A build with runs (an earlier attempt of the pipeline) has no
        // such creator: a short wait, then create and converge.
        let runs: Vec<Value> = client
            .call("TestRun.filter", json!([{"build": build}]))
            .await?;
        let limit = match (runs.is_empty(), wait) {
            (true, Some(w)) => w,
            (true, None) => SHARD_WAIT,
            (false, w) => w.unwrap_or(std::time::Duration::from_secs(3)),
        };
        let found = poll(limit, || async {
            one::<TestRun>(client, "TestRun.filter", query.clone()).await
        })
        .await?;
        if let Some(run) = found {
            return Ok((run, false));
        }
    }
    let mine = create_run(client, settings, values, plan, build).await?;
    let _: Value = client
        .call("TestRun.add_tag", json!([mine.id, tag]))
        .await?;
    // Converge: the lowest id of the tagged runs is the shared one.
    let winner = one::<TestRun>(client, "TestRun.filter", query)
        .await?
        .unwrap_or_else(|| mine.clone());
    if winner.id == mine.id {
        return Ok((mine, true));
    }
    debug!(
        "{} lost the race for run key {key} to {}",
        mine.id, winner.id
    );
    let _: Value = client
        .call("TestRun.remove_tag", json!([mine.id, tag]))
        .await?;
    let _: Value = client
        .call(
            "TestRun.update",
            json!([mine.id, {
                "notes": format!("{} (superseded by {}: a concurrent process with the same run key)", mine.notes, winner.id),
                "stop_date": format_kiwi(Utc::now()),
            }]),
        )
        .await?;
    Ok((winner, false))
}

/// How long a process waits for a plan or a shared run that a concurrent process is
/// creating: when the version is brand new (no plan at all in it).
const NEW_VERSION_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The same with a run key: the processes are shards of one pipeline and the one that created
/// the build is creating the plan and the run.
const SHARD_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// TestPlan has no unique constraint, so concurrent processes (parallel CI shards) would each
/// create one. The process that created the Build (unique in Kiwi: exactly one process wins;
/// a new version always comes with a new build) creates the plan; the others wait for it to appear when a concurrent
/// creator is likely: with a run key (shards of one pipeline), or when the version has no plan
/// at all (brand new). A version that already has other plans, without a run key, gets no wait.
async fn wait_for_plan(
    client: &Client,
    version: VersionId,
    leader: bool,
    shards: bool,
    wait: Option<std::time::Duration>,
    query: Value,
) -> Result<Option<TestPlan>, ReportError> {
    if leader {
        return Ok(None);
    }
    // One read of every plan of the version: ours may have been made since this process last
    // looked; other plans (another plugin's) mean the version is not new. Reading both at once
    // leaves no gap for a plan to appear in between.
    let plans: Vec<TestPlan> = client
        .call("TestPlan.filter", json!([{"product_version": version}]))
        .await?;
    let name = query
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Some(plan) = plans
        .iter()
        .filter(|p| {
            p.name == name
                && p.product
                    == query
                        .get("product")
                        .and_then(Value::as_i64)
                        .map(ProductId::new)
        })
        .min_by_key(|p| p.id)
    {
        return Ok(Some(plan.clone()));
    }
    let limit = if shards {
        wait.unwrap_or(SHARD_WAIT)
    } else if !plans.is_empty() {
        return Ok(None);
    } else {
        wait.unwrap_or(NEW_VERSION_WAIT)
    };
    tracing::info!(
        "no test plan yet: waiting up to {} s for a concurrent process to create it",
        limit.as_secs()
    );
    let found = poll(limit, || async {
        one::<TestPlan>(client, "TestPlan.filter", query.clone()).await
    })
    .await?;
    if found.is_none() {
        debug!("no plan appeared in {limit:?}; creating it");
    }
    Ok(found)
}

/// How long a request whose answer was lost may still run at the server: the client's own
/// timeout (a request the client gave up on may be queued behind busy workers about as long),
/// at least 5 s and at most 30 s.
fn grace_period(client: &Client) -> std::time::Duration {
    client.timeout().clamp(
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(30),
    )
}

/// Like [`poll`], but looks once right away.
async fn poll_now<T, F, Fut>(
    limit: std::time::Duration,
    mut look: F,
) -> Result<Option<T>, ReportError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, ReportError>>,
{
    if let Some(found) = look().await? {
        return Ok(Some(found));
    }
    poll(limit, look).await
}

/// Calls `look` with growing pauses (0.2 s doubling to 2 s) until it finds something or
/// `limit` has passed.
async fn poll<T, F, Fut>(limit: std::time::Duration, mut look: F) -> Result<Option<T>, ReportError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, ReportError>>,
{
    let started = Instant::now();
    let mut delay = std::time::Duration::from_millis(200);
    while started.elapsed() < limit {
        tokio::time::sleep(delay).await;
        if let Some(found) = look().await? {
            return Ok(Some(found));
        }
        delay = (delay * 2).min(std::time::Duration::from_secs(2));
    }
    Ok(None)
}

async fn plan_type_id(client: &Client) -> Result<i64, ReportError> {
    let types: Vec<PlanType> = client
        .call("PlanType.filter", json!([{"name": "Integration"}]))
        .await?;
    if let Some(t) = types.iter().min_by_key(|t| t.id) {
        return Ok(t.id.get());
    }
    let id = get_or_create(
        client,
        Call::new("PlanType.create", json!([{"name": "Integration"}])),
        "PlanType.filter",
        json!({"name": "Integration"}),
        |t: &PlanType| t.id,
    )
    .await?;
    Ok(id.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_what_kiwi_stores() {
        assert_eq!(
            case_summary("top level throws. top level throws "),
            "top level throws. top level throws"
        );
        assert_eq!(case_summary(" \t a\u{1f}"), "a");
        assert_eq!(case_summary("a\0b"), "ab");
        // Longer names: see `names.rs`.
        assert_eq!(case_summary(&"é".repeat(300)).chars().count(), 255);
    }
}
