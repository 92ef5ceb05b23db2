//! [`History`]: the reads every query is made of, each a batch of filters.
//!
//! 1. **The catalog** (one request): `TestRun.filter` of the scope, `Tag.filter` of the
//!    profile tags of those runs (one row per tag and run), `TestExecutionStatus.filter`.
//! 2. **Entries** of some runs (one request per [`RUNS_PER_REQUEST`] runs, a few in flight):
//!    `TestExecution.filter({"run": id})` per run and, on Kiwi ≥ 15.3,
//!    `TestExecution.properties({"execution__run": id, "name": "profile"})`, which says which
//!    profile each execution of a shared run belongs to.
//! 3. **Full names**, only when some case summaries are shortened (a prefix and a hash):
//!    `TestCase.filter({"pk__in": [...]})`, whose text holds the whole name.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::debug;

use super::error::HistoryError;
use super::profiles::{ByProfile, profile_label};
use super::scope::Scope;
use crate::client::Client;
use crate::ids::{TestCaseId, TestExecutionId, TestExecutionStatusId, TestPlanId, TestRunId};
use crate::models::{
    Tags, TestCases, TestExecutionStatus, TestExecutionStatuses, TestExecutions, TestRun, TestRuns,
};
use crate::query::Query;
use crate::report::{Profile, case_summary};
use crate::rpc::{Batch, Slot};

/// How many runs' executions go in one HTTP request: the requests of a long history then run
/// on a few server workers at once, and no answer grows past a few megabytes.
pub const RUNS_PER_REQUEST: usize = 5;

/// The first Kiwi TCMS with execution properties (`TestExecution.properties`).
const PROPERTIES_SINCE: (u32, u32) = (15, 3);

/// A run of the scope, with the profiles its tags name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunInfo {
    /// The run.
    pub id: TestRunId,
    /// Its summary.
    pub summary: String,
    /// Its plan.
    pub plan: Option<TestPlanId>,
    /// Its build's name.
    pub build: Option<String>,
    /// When it started.
    pub started: Option<DateTime<Utc>>,
    /// When it finished (`None` while open).
    pub stopped: Option<DateTime<Utc>>,
    /// The profiles of its `tcms-profile:` tags, sorted; empty for a run without a profile.
    /// A run holds several when profiles share it (Kiwi ≥ 15.3: one execution per profile).
    pub profiles: Vec<Profile>,
}

impl RunInfo {
    /// The profiles this run holds results of: its tags' profiles, or "no profile".
    pub fn profile_keys(&self) -> Vec<Option<Profile>> {
        if self.profiles.is_empty() {
            vec![None]
        } else {
            self.profiles.iter().cloned().map(Some).collect()
        }
    }

    /// True when the run holds results of `profile` (`None`: no profile).
    pub fn has_profile(&self, profile: Option<&Profile>) -> bool {
        match profile {
            None => self.profiles.is_empty(),
            Some(p) => self.profiles.contains(p),
        }
    }
}

/// How a status counts, by its weight (so renamed statuses count as the stock ones do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Class {
    /// Weight 20 or more (PASSED).
    Passed,
    /// Weight -20 or less (FAILED -30, ERROR -20): what `failing` lists.
    Failed,
    /// Weight between -20 and 0 (BLOCKED -10): not passing, not a failure of the test.
    NotPassed,
    /// Weight 0 to 19 (IDLE, RUNNING, PAUSED, WAIVED): no verdict.
    Neutral,
}

impl Class {
    /// The class of a status weight.
    pub fn of_weight(weight: i64) -> Self {
        match weight {
            w if w >= 20 => Class::Passed,
            w if w <= -20 => Class::Failed,
            w if w < 0 => Class::NotPassed,
            _ => Class::Neutral,
        }
    }

    /// Passing (`Some(true)`), not passing (`Some(false)`), or no verdict (`None`): what a
    /// flip is counted on.
    pub fn verdict(self) -> Option<bool> {
        match self {
            Class::Passed => Some(true),
            Class::Failed | Class::NotPassed => Some(false),
            Class::Neutral => None,
        }
    }
}

/// One result of one test in one run (one execution; an execution of a run several profiles
/// share without a `profile` property counts once for each).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The test's name: the case summary, or the whole name a shortened summary stands for.
    pub name: String,
    /// The case.
    pub case: Option<TestCaseId>,
    /// The execution.
    pub execution: TestExecutionId,
    /// The run.
    pub run: TestRunId,
    /// The build's name.
    pub build: Option<String>,
    /// The profile (`None`: no profile).
    pub profile: Option<Profile>,
    /// The status name, as the server calls it.
    pub status: String,
    /// How the status counts.
    pub class: Class,
    /// When the test started.
    pub started: Option<DateTime<Utc>>,
    /// When it stopped.
    pub stopped: Option<DateTime<Utc>>,
}

impl Entry {
    /// `stopped - started`, when both are known and in order.
    pub fn duration(&self) -> Option<Duration> {
        let (start, stop) = (self.started?, self.stopped?);
        (stop - start).to_std().ok()
    }
}

/// An execution as the readers decode it: only the fields they use.
#[derive(Debug, Deserialize)]
struct ExecutionRow {
    id: TestExecutionId,
    #[serde(default)]
    run: Option<TestRunId>,
    #[serde(default)]
    case: Option<TestCaseId>,
    #[serde(default, rename = "case__summary")]
    summary: Option<String>,
    #[serde(default, rename = "build__name")]
    build: Option<String>,
    #[serde(default)]
    status: Option<TestExecutionStatusId>,
    #[serde(default, with = "crate::datetime::option")]
    start_date: Option<DateTime<Utc>>,
    #[serde(default, with = "crate::datetime::option")]
    stop_date: Option<DateTime<Utc>>,
}

/// A case as the readers decode it.
#[derive(Debug, Deserialize)]
struct CaseRow {
    id: TestCaseId,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// The server's statuses: name and class by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Statuses(HashMap<TestExecutionStatusId, (String, Class)>);

impl Statuses {
    fn new(rows: &[TestExecutionStatus]) -> Self {
        Self(
            rows.iter()
                .map(|s| (s.id, (s.name.clone(), Class::of_weight(s.weight))))
                .collect(),
        )
    }

    fn get(&self, id: Option<TestExecutionStatusId>) -> (String, Class) {
        id.and_then(|id| self.0.get(&id).cloned())
            .unwrap_or_else(|| (String::new(), Class::Neutral))
    }
}

/// The runs of the scope and the server's statuses.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    /// Every run of the scope (every profile), by id, oldest first.
    pub(crate) runs: Vec<RunInfo>,
    pub(crate) statuses: Statuses,
}

impl Catalog {
    /// The profiles of the runs (the scope's profile only, when it names one), each with its
    /// runs newest first.
    pub(crate) fn by_profile(
        &self,
        scope: &Scope,
    ) -> Result<ByProfile<Vec<&RunInfo>>, HistoryError> {
        let mut by: HashMap<Option<Profile>, Vec<&RunInfo>> = HashMap::new();
        for run in self.runs.iter().rev() {
            for key in run.profile_keys() {
                by.entry(key).or_default().push(run);
            }
        }
        if let Some(wanted) = &scope.profile {
            let mine = by.remove(&Some(wanted.clone())).ok_or_else(|| {
                let mut available: Vec<String> =
                    by.keys().map(|p| profile_label(p.as_ref())).collect();
                available.sort();
                HistoryError::NoRunsOfProfile {
                    profile: wanted.name().to_owned(),
                    scope: scope.to_string(),
                    available,
                }
            })?;
            return Ok([(Some(wanted.clone()), mine)].into_iter().collect());
        }
        Ok(by.into_iter().collect())
    }
}

/// The history of a scope: Kiwi TCMS read back as a test repository (see the
/// [module docs](super)).
#[derive(Debug, Clone)]
pub struct History {
    client: Client,
    scope: Scope,
}

impl History {
    /// Reads `scope` through `client`.
    pub fn new(client: Client, scope: Scope) -> Self {
        Self { client, scope }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Every run of the scope (whatever the scope's profile), oldest first, with its profiles.
    pub async fn runs(&self) -> Result<Vec<RunInfo>, HistoryError> {
        Ok(self.catalog().await?.runs)
    }

    /// The latest run (highest id) of each profile of the scope (of the scope's profile only,
    /// when it names one).
    pub async fn latest(&self) -> Result<ByProfile<RunInfo>, HistoryError> {
        let catalog = self.catalog().await?;
        Ok(catalog
            .by_profile(&self.scope)?
            .map(|_, runs| runs[0].clone()))
    }

    /// Reads the catalog: one request. Refuses an empty scope and a scope without runs.
    pub(crate) async fn catalog(&self) -> Result<Catalog, HistoryError> {
        if self.scope.is_empty() {
            return Err(HistoryError::NoScope);
        }
        let mut batch = Batch::new();
        let runs = batch.push(TestRuns::filter_call(self.scope.lookups("")));
        let tags = batch.push(Tags::filter_call(
            self.scope
                .lookups("run")
                .field("name__startswith", Profile::TAG_PREFIX),
        ));
        let statuses = batch.push(TestExecutionStatuses::filter_call(Query::new()));
        let mut answers = self.client.send_batch(batch).await;
        let runs: Vec<TestRun> = answers.take(runs)?;
        let tags = answers.take(tags)?;
        let statuses = Statuses::new(&answers.take(statuses)?);
        let mut profiles: HashMap<TestRunId, BTreeSet<Profile>> = HashMap::new();
        for tag in tags {
            if let (Some(run), Some(profile)) = (tag.run, Profile::from_tag(&tag.name)) {
                profiles.entry(run).or_default().insert(profile);
            }
        }
        let mut runs: Vec<RunInfo> = runs
            .into_iter()
            .map(|r| RunInfo {
                profiles: profiles
                    .remove(&r.id)
                    .map(|p| p.into_iter().collect())
                    .unwrap_or_default(),
                id: r.id,
                summary: r.summary,
                plan: r.plan,
                build: r.build_name,
                started: r.start_date,
                stopped: r.stop_date,
            })
            .collect();
        runs.sort_by_key(|r| r.id);
        runs.dedup_by_key(|r| r.id);
        if runs.is_empty() {
            return Err(HistoryError::NoRuns {
                scope: self.scope.to_string(),
                server: self.client.base_url().to_owned(),
            });
        }
        debug!("{} runs in {}", runs.len(), self.scope);
        Ok(Catalog { runs, statuses })
    }

    /// Whether the server can hold execution properties.
    async fn has_properties(&self) -> Result<bool, HistoryError> {
        let version = self.client.server_version().await?;
        Ok(version.at_least(PROPERTIES_SINCE.0, PROPERTIES_SINCE.1))
    }

    /// The entries of `runs`: every execution, with the profile it belongs to (its `profile`
    /// property when it has one, else each profile of its run), and full names.
    pub(crate) async fn entries(
        &self,
        catalog: &Catalog,
        runs: &[&RunInfo],
    ) -> Result<Vec<Entry>, HistoryError> {
        let properties = self.has_properties().await?;
        let mut ids: Vec<TestRunId> = runs.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut set = tokio::task::JoinSet::new();
        for group in ids.chunks(RUNS_PER_REQUEST) {
            let client = self.client.clone();
            let group = group.to_vec();
            set.spawn(async move { read_group(&client, group, properties).await });
        }
        let mut rows = Vec::new();
        let mut profile_of: HashMap<TestExecutionId, Profile> = HashMap::new();
        while let Some(joined) = set.join_next().await {
            let (group_rows, group_profiles) = joined.map_err(|e| {
                HistoryError::Api(crate::Error::Decode {
                    method: "TestExecution.filter".into(),
                    path: ".".into(),
                    message: format!("the read task failed: {e}"),
                })
            })??;
            rows.extend(group_rows);
            profile_of.extend(group_profiles);
        }
        rows.sort_by_key(|r| r.id);
        let run_of: HashMap<TestRunId, &RunInfo> = runs.iter().map(|r| (r.id, *r)).collect();
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(run) = row.run.and_then(|id| run_of.get(&id)) else {
                continue;
            };
            let (status, class) = catalog.statuses.get(row.status);
            let keys = match profile_of.remove(&row.id) {
                Some(p) => vec![Some(p)],
                None => run.profile_keys(),
            };
            for profile in keys {
                entries.push(Entry {
                    name: row.summary.clone().unwrap_or_default(),
                    case: row.case,
                    execution: row.id,
                    run: run.id,
                    build: row.build.clone(),
                    profile,
                    status: status.clone(),
                    class,
                    started: row.start_date,
                    stopped: row.stop_date,
                });
            }
        }
        self.full_names(&mut entries).await?;
        Ok(entries)
    }

    /// Replaces shortened summaries (a prefix and `… [h:<hash>]`) by the whole names the
    /// cases' texts keep, when the text is the name the summary stands for: one request, only
    /// when there are any.
    pub(crate) async fn full_names(&self, entries: &mut [Entry]) -> Result<(), HistoryError> {
        let cases: BTreeSet<TestCaseId> = entries
            .iter()
            .filter(|e| looks_shortened(&e.name))
            .filter_map(|e| e.case)
            .collect();
        if cases.is_empty() {
            return Ok(());
        }
        let call =
            TestCases::filter_call(Query::new().any_of("pk", cases)).decode_as::<Vec<CaseRow>>();
        let mut full: HashMap<TestCaseId, String> = HashMap::new();
        for case in self.client.send(call).await? {
            if let (Some(summary), Some(text)) = (case.summary, case.text) {
                let text = text.trim().to_owned();
                if case_summary(&text) == summary {
                    full.insert(case.id, text);
                }
            }
        }
        for entry in entries.iter_mut() {
            if let Some(name) = entry.case.and_then(|c| full.get(&c)) {
                entry.name = name.clone();
            }
        }
        Ok(())
    }

    /// The names of the cases of the scope's plans (its plan, else the plans of its runs),
    /// sorted: the list `shard` splits when it is given none.
    pub async fn cases(&self) -> Result<Vec<String>, HistoryError> {
        let plans: BTreeSet<TestPlanId> = match self.scope.plan {
            Some(plan) => [plan].into_iter().collect(),
            None => self
                .catalog()
                .await?
                .runs
                .iter()
                .filter_map(|r| r.plan)
                .collect(),
        };
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let call =
            TestCases::filter_call(Query::new().any_of("plan", plans)).decode_as::<Vec<CaseRow>>();
        let mut names = BTreeSet::new();
        for case in self.client.send(call).await? {
            let Some(summary) = case.summary else {
                continue;
            };
            let name = match case.text.map(|t| t.trim().to_owned()) {
                Some(text) if looks_shortened(&summary) && case_summary(&text) == summary => text,
                _ => summary,
            };
            names.insert(name);
        }
        Ok(names.into_iter().collect())
    }

    /// The last results of one test (by the name its cases are reported under), newest
    /// first, at most `limit`; of the scope's profile only, when it names one. Two requests.
    pub async fn test(&self, name: &str, limit: usize) -> Result<Vec<Entry>, HistoryError> {
        if self.scope.is_empty() {
            return Err(HistoryError::NoScope);
        }
        let summary = case_summary(name);
        let mut batch = Batch::new();
        let executions = batch.push(
            TestExecutions::filter_call(
                self.scope
                    .lookups("run")
                    .eq("case__summary", summary.as_str()),
            )
            .decode_as::<Vec<ExecutionRow>>(),
        );
        let statuses = batch.push(TestExecutionStatuses::filter_call(Query::new()));
        let mut answers = self.client.send_batch(batch).await;
        let rows = answers.take(executions)?;
        let statuses = Statuses::new(&answers.take(statuses)?);
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let runs: BTreeSet<TestRunId> = rows.iter().filter_map(|r| r.run).collect();
        let mut batch = Batch::new();
        let tags = batch.push(Tags::filter_call(
            Query::new()
                .any_of("run", runs.iter().copied())
                .field("name__startswith", Profile::TAG_PREFIX),
        ));
        let properties = if self.has_properties().await? {
            Some(
                batch.push(TestExecutions::properties_call(
                    Query::new()
                        .any_of("execution", rows.iter().map(|r| r.id))
                        .eq("name", Profile::PROPERTY),
                )),
            )
        } else {
            None
        };
        let mut answers = self.client.send_batch(batch).await;
        let mut run_profiles: HashMap<TestRunId, BTreeSet<Profile>> = HashMap::new();
        for tag in answers.take(tags)? {
            if let (Some(run), Some(profile)) = (tag.run, Profile::from_tag(&tag.name)) {
                run_profiles.entry(run).or_default().insert(profile);
            }
        }
        let mut profile_of = HashMap::new();
        if let Some(slot) = properties {
            for p in answers.take(slot)? {
                if let (Some(execution), Ok(profile)) = (p.execution, Profile::parse(&p.value)) {
                    profile_of.insert(execution, profile);
                }
            }
        }
        let mut entries = Vec::new();
        for row in rows {
            let Some(run) = row.run else { continue };
            let keys = match profile_of.remove(&row.id) {
                Some(p) => vec![Some(p)],
                None => match run_profiles.get(&run) {
                    Some(set) => set.iter().cloned().map(Some).collect(),
                    None => vec![None],
                },
            };
            let (status, class) = statuses.get(row.status);
            for profile in keys {
                if self.scope.profile.is_some() && profile != self.scope.profile {
                    continue;
                }
                entries.push(Entry {
                    name: name.trim().to_owned(),
                    case: row.case,
                    execution: row.id,
                    run,
                    build: row.build.clone(),
                    profile,
                    status: status.clone(),
                    class,
                    started: row.start_date,
                    stopped: row.stop_date,
                });
            }
        }
        entries.sort_by(|a, b| {
            (b.run, b.execution, &a.profile).cmp(&(a.run, a.execution, &b.profile))
        });
        entries.truncate(limit);
        Ok(entries)
    }
}

/// Where the answers about one run of a group are: its executions and, on 15.3+, their
/// `profile` properties.
type RunSlots = (
    Slot<Vec<ExecutionRow>>,
    Option<Slot<Vec<crate::models::ExecutionPropertyRow>>>,
);

/// One request: the executions (and, on 15.3+, the `profile` properties) of a few runs.
async fn read_group(
    client: &Client,
    runs: Vec<TestRunId>,
    properties: bool,
) -> Result<(Vec<ExecutionRow>, HashMap<TestExecutionId, Profile>), HistoryError> {
    let mut batch = Batch::new();
    let mut slots: Vec<RunSlots> = Vec::new();
    for run in &runs {
        let executions = batch.push(
            TestExecutions::filter_call(Query::new().eq("run", *run))
                .decode_as::<Vec<ExecutionRow>>(),
        );
        let props = properties.then(|| {
            batch.push(TestExecutions::properties_call(
                Query::new()
                    .eq("execution__run", *run)
                    .eq("name", Profile::PROPERTY),
            ))
        });
        slots.push((executions, props));
    }
    let mut answers = client.send_batch(batch).await;
    let mut rows = Vec::new();
    let mut profiles = HashMap::new();
    for (executions, props) in slots {
        rows.extend(answers.take(executions)?);
        if let Some(slot) = props {
            for p in answers.take(slot)? {
                if let (Some(execution), Ok(profile)) = (p.execution, Profile::parse(&p.value)) {
                    profiles.insert(execution, profile);
                }
            }
        }
    }
    Ok((rows, profiles))
}

/// A summary that may be a prefix and a hash (`report::case_summary` of a long name).
fn looks_shortened(summary: &str) -> bool {
    summary.ends_with(']') && summary.contains("… [h:")
}

/// The entries of each profile in `by`, from `entries` (those of the profile's runs only).
pub(crate) fn split_by_profile<'a>(
    by: &ByProfile<Vec<&RunInfo>>,
    entries: &'a [Entry],
) -> ByProfile<Vec<&'a Entry>> {
    by.iter()
        .map(|(profile, runs)| {
            let ids: HashSet<TestRunId> = runs.iter().map(|r| r.id).collect();
            let mine = entries
                .iter()
                .filter(|e| e.profile.as_ref() == profile && ids.contains(&e.run))
                .collect();
            (profile.cloned(), mine)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_weight() {
        assert_eq!(Class::of_weight(20), Class::Passed);
        assert_eq!(Class::of_weight(10), Class::Neutral);
        assert_eq!(Class::of_weight(0), Class::Neutral);
        assert_eq!(Class::of_weight(-10), Class::NotPassed);
        assert_eq!(Class::of_weight(-20), Class::Failed);
        assert_eq!(Class::of_weight(-30), Class::Failed);
        assert_eq!(Class::Failed.verdict(), Some(false));
        assert_eq!(Class::NotPassed.verdict(), Some(false));
        assert_eq!(Class::Passed.verdict(), Some(true));
        assert_eq!(Class::Neutral.verdict(), None);
    }

    #[test]
    fn shortened_summaries_are_recognized() {
        let long = "x".repeat(300);
        assert!(looks_shortened(&case_summary(&long)));
        assert!(!looks_shortened("it::a::b"));
        assert!(!looks_shortened("test[1]"));
    }
}
