//! Phases 2 and 3: decide what to create, and create it so that racing processes (parallel
//! CI shards) end with one of each: Product → Version → Build → TestPlan → TestRun, then the
//! category new cases go into.
//!
//! Every record goes through [`Creator::ensure`]: found means reused, missing means created,
//! or, in a dry run, "would create" (and everything below it too, without looking). That one
//! switch is the whole difference between a dry run and a real one here.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::de::DeserializeOwned;
use tracing::{debug, info};

use super::error::ReportError;
use super::options::Options;
use super::profile::Profile;
use super::resolve::{Capabilities, Existing};
use super::settings::{Settings, truncate_chars};
use super::summary::{Fate, Record};
use crate::client::Client;
use crate::ids::{
    BuildId, CategoryId, ClassificationId, PlanTypeId, ProductId, TestPlanId, TestRunId, VersionId,
};
use crate::models::{
    Build, Builds, Categories, Category, Classification, Classifications, NewBuild, NewCategory,
    NewClassification, NewPlanType, NewProduct, NewTestPlan, NewTestRun, NewVersion, PlanType,
    PlanTypes, Product, Products, TestPlan, TestPlans, TestRun, TestRunUpdate, TestRuns, Version,
    Versions,
};
use crate::query::Query;
use crate::rpc::{Batch, Call};

/// How long a process waits for a plan or a shared run that a concurrent process is
/// creating, when the version is brand new (no plan at all in it).
const NEW_VERSION_WAIT: Duration = Duration::from_secs(30);

/// The same with a run key: the processes are shards of one pipeline and the one that created
/// the build is creating the plan and the run.
const SHARD_WAIT: Duration = Duration::from_secs(120);

/// What the results go into, once resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct Target {
    pub(crate) product: Option<ProductId>,
    pub(crate) plan: Option<TestPlanId>,
    pub(crate) run: Option<TestRunId>,
    pub(crate) build: Option<BuildId>,
    pub(crate) category: Option<CategoryId>,
    /// True when the run existed before: executions may have comments already.
    pub(crate) run_existed: bool,
    /// The run's notes as they are on the server.
    pub(crate) run_notes: String,
    /// The run's stop date as it was on the server.
    pub(crate) run_stop: Option<chrono::DateTime<Utc>>,
    /// What was reused or created, in order.
    pub(crate) records: Vec<Record>,
}

/// Records with a typed primary key, for "the lowest id wins".
pub(crate) trait Keyed {
    type Id: Copy + Ord;
    fn key(&self) -> Self::Id;
}

macro_rules! keyed {
    ($($t:ty => $id:ty),* $(,)?) => {$(
        impl Keyed for $t {
            type Id = $id;
            fn key(&self) -> $id {
                self.id
            }
        }
    )*};
}

keyed!(
    Product => ProductId,
    Version => VersionId,
    Build => BuildId,
    TestPlan => TestPlanId,
    TestRun => TestRunId,
    Category => CategoryId,
    Classification => ClassificationId,
    PlanType => PlanTypeId,
);

/// Creates records: race-safe, reconciled after lost answers, switched off in a dry run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Creator<'a> {
    pub(crate) client: &'a Client,
    /// What the server can hold.
    pub(crate) caps: Capabilities,
    /// False in a dry run.
    pub(crate) writes: bool,
    pub(crate) wait: Option<Duration>,
}

impl Creator<'_> {
    /// `found`, else what `create` makes (`Created`, or `Reused` when a concurrent process
    /// made it first), else in a dry run `WouldCreate`.
    async fn ensure<I, F, Fut>(&self, found: Option<I>, create: F) -> Result<Fate<I>, ReportError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(I, bool), ReportError>>,
    {
        match found {
            Some(id) => Ok(Fate::Reused(id)),
            None if !self.writes => Ok(Fate::WouldCreate),
            None => {
                let (id, created) = create().await?;
                Ok(if created {
                    Fate::Created(id)
                } else {
                    Fate::Reused(id)
                })
            }
        }
    }

    /// The record `lookup` finds (lowest id), else one made by `create` (see
    /// [`Creator::get_or_create`]).
    async fn find_or_create<T>(
        &self,
        lookup: Call<Vec<T>>,
        create: Call<T>,
    ) -> Result<Fate<T::Id>, ReportError>
    where
        T: DeserializeOwned + Keyed,
    {
        let found = first(self.client, lookup.clone()).await?.map(|r| r.key());
        self.ensure(found, || async {
            let (record, created) = self.get_or_create(create, lookup).await?;
            Ok((record.key(), created))
        })
        .await
    }

    /// Creates a record and says whether this process created it (`false`: a concurrent
    /// process did first). After a unique-constraint error the record is read back; after a
    /// lost answer (timeout, reset, 502) it is looked for during a grace period, and the
    /// create is sent again (up to three times) only if it did not land.
    pub(crate) async fn get_or_create<T>(
        &self,
        create: Call<T>,
        lookup: Call<Vec<T>>,
    ) -> Result<(T, bool), ReportError>
    where
        T: DeserializeOwned + Keyed,
    {
        let method = create.method().to_owned();
        let mut last = None;
        for round in 0..3u32 {
            match self.client.send(create.clone()).await {
                Ok(record) => return Ok((record, true)),
                Err(e) if e.as_rpc().is_some_and(|r| r.is_duplicate()) => {
                    if let Some(record) = first(self.client, lookup.clone()).await? {
                        return Ok((record, false));
                    }
                    return Err(e.into());
                }
                Err(e) if e.is_ambiguous() => {
                    debug!(round, "{method} got no answer ({e}); reading back");
                    // The request may still be queued at the server: look for it during a
                    // grace period before sending it again.
                    let found = poll_now(grace_period(self.client), || {
                        first(self.client, lookup.clone())
                    })
                    .await?;
                    if let Some(record) = found {
                        // Our lost create most likely made it: count it as ours.
                        return Ok((record, true));
                    }
                    last = Some(e);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(last
            .map(ReportError::from)
            .unwrap_or_else(|| ReportError::Internal(format!("{method} did not land"))))
    }
}

/// The first (lowest id) record `lookup` returns.
pub(crate) async fn first<T: DeserializeOwned + Keyed>(
    client: &Client,
    lookup: Call<Vec<T>>,
) -> Result<Option<T>, ReportError> {
    let rows = client.send(lookup).await?;
    Ok(rows.into_iter().min_by_key(Keyed::key))
}

/// Resolves or creates everything the results go into, after [`super::resolve::read`].
pub(crate) async fn target(
    client: &Client,
    settings: &Settings,
    options: &Options,
    existing: Existing,
    caps: Capabilities,
) -> Result<Target, ReportError> {
    let creator = Creator {
        client,
        caps,
        writes: !options.dry_run,
        wait: options.concurrent_wait,
    };
    let tester = settings.default_tester;
    let mut target = Target::default();

    let (product, product_display, version_name, version, plan) = match existing {
        Existing::Run(run) => {
            // TCMS_RUN_ID: that run, its plan, its product.
            let plan_id = run
                .plan
                .ok_or_else(|| ReportError::Target(format!("TestRun {} has no plan", run.id)))?;
            let plan = first(
                client,
                TestPlans::filter_call(Query::new().eq("pk", plan_id)),
            )
            .await?
            .ok_or_else(|| {
                ReportError::Target(format!("TestRun {} has no readable plan", run.id))
            })?;
            target.product = plan.product;
            target.plan = Some(plan.id);
            target.run = Some(run.id);
            target.run_stop = run.stop_date;
            target.build = run.build;
            target.run_existed = true;
            if let (Some(profile), true) = (&settings.profile, creator.writes) {
                client
                    .send(TestRuns::add_tag_call(run.id, &profile.tag()))
                    .await?;
            }
            target.run_notes = run.notes.clone();
            target
                .records
                .push(Record::TestPlan(plan.name.clone(), Fate::Reused(plan.id)));
            target
                .records
                .push(Record::TestRun(run.summary.clone(), Fate::Reused(run.id)));
            target.category = category(&creator, target.product).await?;
            return Ok(target);
        }
        Existing::Plan(plan) => {
            // TCMS_PLAN_ID: a new run under that plan, for a build of the plan's version.
            let version = match plan.product_version {
                Some(v) => first(client, Versions::filter_call(Query::new().eq("pk", v))).await?,
                None => None,
            }
            .ok_or_else(|| {
                ReportError::Target(format!("TestPlan {} has no readable version", plan.id))
            })?;
            if let Some(wanted) = &settings.version
                && wanted.value != version.value
            {
                return Err(ReportError::Target(format!(
                    "TCMS_PLAN_ID={} is a plan for version {:?}, but {}={:?}: a run of that plan \
                     needs a build of the plan's version; unset {} or use another plan",
                    plan.id.get(),
                    version.value,
                    wanted.from,
                    wanted.value,
                    wanted.from
                )));
            }
            target
                .records
                .push(Record::TestPlan(plan.name.clone(), Fate::Reused(plan.id)));
            target.records.push(Record::Version(
                version.value.clone(),
                Fate::Reused(version.id),
            ));
            let display = plan.product_name.clone().unwrap_or_default();
            (
                Fate::Reused(plan.product.ok_or_else(|| {
                    ReportError::Target(format!("TestPlan {} has no product", plan.id))
                })?),
                display,
                version.value.clone(),
                Fate::Reused(version.id),
                Some(plan),
            )
        }
        Existing::Product(name, found) => {
            let version = settings.require_version()?.to_owned();
            settings.require_build()?;
            let product = creator
                .ensure(found, || create_product(&creator, &name))
                .await?;
            target.records.push(Record::Product(name.clone(), product));
            let version_fate = match product.id() {
                Some(pid) => {
                    creator
                        .find_or_create(
                            Versions::filter_call(
                                Query::new()
                                    .eq("product", pid)
                                    .eq("value", version.as_str()),
                            ),
                            Versions::create_call(&NewVersion::new(pid, version.as_str())),
                        )
                        .await?
                }
                None => Fate::WouldCreate,
            };
            target
                .records
                .push(Record::Version(version.clone(), version_fate));
            (product, name, version, version_fate, None)
        }
    };
    target.product = product.id();

    let build_name = settings.require_build()?.to_owned();
    let build = match version.id() {
        Some(vid) => {
            creator
                .find_or_create(
                    Builds::filter_call(
                        Query::new()
                            .eq("version", vid)
                            .eq("name", build_name.as_str()),
                    ),
                    Builds::create_call(&NewBuild::new(build_name.as_str(), vid)),
                )
                .await?
        }
        None => Fate::WouldCreate,
    };
    target
        .records
        .push(Record::Build(build_name.clone(), build));
    target.build = build.id();
    // The process that created the build (unique: exactly one process wins the race) leads:
    // it creates the plan and a shared run, and processes racing it wait for them.
    let leader = matches!(build, Fate::Created(_));

    // The plan: TCMS_PLAN_ID, else by name within product and version.
    let plan = match (plan, product.id(), version.id()) {
        (Some(plan), _, _) => Some(plan),
        (None, Some(pid), Some(vid)) => {
            let name = settings.plan_name(&product_display, &version_name);
            let lookup = TestPlans::filter_call(
                Query::new()
                    .eq("name", name.as_str())
                    .eq("product", pid)
                    .eq("product_version", vid),
            );
            let mut found = first(client, lookup.clone()).await?;
            if found.is_none() && creator.writes {
                found = wait_for_plan(
                    &creator,
                    vid,
                    leader,
                    settings.run_key.is_some(),
                    &name,
                    pid,
                )
                .await?;
            }
            match found {
                Some(plan) => {
                    target
                        .records
                        .push(Record::TestPlan(name, Fate::Reused(plan.id)));
                    Some(plan)
                }
                None if !creator.writes => {
                    target
                        .records
                        .push(Record::TestPlan(name, Fate::WouldCreate));
                    None
                }
                None => {
                    let plan_type = plan_type(&creator).await?;
                    let mut new = NewTestPlan::new(name.as_str(), pid, vid, plan_type);
                    new.text = Some(settings.plugin.created_by());
                    new.is_active = Some(true);
                    new.author = tester;
                    new.parent = settings.parent_plan;
                    let (plan, created) = creator
                        .get_or_create(TestPlans::create_call(&new), lookup)
                        .await?;
                    let fate = if created {
                        Fate::Created(plan.id)
                    } else {
                        Fate::Reused(plan.id)
                    };
                    target.records.push(Record::TestPlan(name, fate));
                    Some(plan)
                }
            }
        }
        _ => {
            target.records.push(Record::TestPlan(
                settings.plan_name(&product_display, &version_name),
                Fate::WouldCreate,
            ));
            None
        }
    };
    target.plan = plan.as_ref().map(|p| p.id);

    // The run: a new one (as tcms-api does), or the one shared by every process with the same
    // run key (parallel CI shards).
    // A run holds one profile, except a shared run (run key) on a server with execution
    // properties: there every profile has its own executions.
    let per_profile_executions = settings.run_key.is_some() && caps.properties;
    let summary = settings.run_summary(
        &product_display,
        &version_name,
        &build_name,
        settings
            .profile
            .as_ref()
            .filter(|_| !per_profile_executions),
    );
    match (&plan, build.id(), creator.writes) {
        (Some(plan), Some(build), true) => {
            let manager = plan.author.or(tester).ok_or_else(|| {
                ReportError::Target(format!(
                    "{} has no author to manage the new run: set TCMS_DEFAULT_TESTER_ID",
                    plan.id
                ))
            })?;
            let mut new = NewTestRun::new(summary.as_str(), plan.id, build, manager);
            new.default_tester = Some(tester.unwrap_or(manager));
            new.start_date = Some(options.started.unwrap_or_else(Utc::now));
            let (run, created) = match &settings.run_key {
                None => (create_run(&creator, settings, new).await?, true),
                Some(key) => join_or_create_run(&creator, settings, new, key, leader).await?,
            };
            target.run_notes = run.notes.clone();
            target.run_stop = run.stop_date;
            target.run_existed = !created;
            target.run = Some(run.id);
            // The profile's tag, and where the results came from as run properties (the
            // notes hold it before 15.3): one batch.
            let mut batch = Batch::new();
            let tag = settings
                .profile
                .as_ref()
                .map(|p| batch.push(TestRuns::add_tag_call(run.id, &p.tag())));
            let mut properties = Vec::new();
            if let (Some(ci), true, true) = (&settings.ci, caps.properties, created) {
                for (name, value) in ci.properties() {
                    properties.push(batch.push(TestRuns::add_property_call(run.id, name, &value)));
                }
            }
            if !batch.is_empty() {
                let mut answers = client.send_batch(batch).await;
                if let Some(slot) = tag {
                    answers.take(slot)?;
                }
                for slot in properties {
                    answers.take(slot)?;
                }
            }
            let fate = if created {
                Fate::Created(run.id)
            } else {
                Fate::Reused(run.id)
            };
            target.records.push(Record::TestRun(summary, fate));
        }
        _ => target
            .records
            .push(Record::TestRun(summary, Fate::WouldCreate)),
    }
    target.category = category(&creator, target.product).await?;
    Ok(target)
}

/// The category new cases go into: the product's `--default--`, else its first; created when
/// the product has none (not in a dry run).
async fn category(
    creator: &Creator<'_>,
    product: Option<ProductId>,
) -> Result<Option<CategoryId>, ReportError> {
    let Some(pid) = product else {
        return Ok(None);
    };
    let categories = creator
        .client
        .send(Categories::filter_call(Query::new().eq("product", pid)))
        .await?;
    let found = categories
        .iter()
        .find(|c| c.name == "--default--")
        .or_else(|| categories.iter().min_by_key(|c| c.id))
        .map(|c| c.id);
    let fate = creator
        .ensure(found, || async {
            let lookup =
                Categories::filter_call(Query::new().eq("product", pid).eq("name", "--default--"));
            let create = Categories::create_call(&NewCategory::new("--default--", pid));
            let (category, created) = creator.get_or_create(create, lookup).await?;
            Ok((category.id, created))
        })
        .await?;
    Ok(fate.id())
}

/// Creates the product (and a Classification if the server has none); says whether this
/// process created it (`false`: a concurrent process did first).
async fn create_product(
    creator: &Creator<'_>,
    name: &str,
) -> Result<(ProductId, bool), ReportError> {
    // A fresh Kiwi has no Classification at all (the Python plugins crash there).
    let class = match first(creator.client, Classifications::filter_call(Query::new())).await? {
        Some(c) => c.id,
        None => {
            let lookup = Classifications::filter_call(Query::new().eq("name", "unspecified"));
            let create = Classifications::create_call(&NewClassification::new("unspecified"));
            creator.get_or_create(create, lookup).await?.0.id
        }
    };
    let lookup = Products::filter_call(Query::new().eq("name", name));
    let create = Products::create_call(&NewProduct::new(name, class));
    let (product, created) = creator.get_or_create(create, lookup).await?;
    Ok((product.id, created))
}

/// The `Integration` plan type, created if the server lacks it.
async fn plan_type(creator: &Creator<'_>) -> Result<PlanTypeId, ReportError> {
    let lookup = PlanTypes::filter_call(Query::new().eq("name", "Integration"));
    if let Some(t) = first(creator.client, lookup.clone()).await? {
        return Ok(t.id);
    }
    let create = PlanTypes::create_call(&NewPlanType::new("Integration"));
    Ok(creator.get_or_create(create, lookup).await?.0.id)
}

/// Creates a run. It has no natural key, so a token in its notes finds it again when the
/// answer to the create was lost.
async fn create_run(
    creator: &Creator<'_>,
    settings: &Settings,
    mut new: NewTestRun,
) -> Result<TestRun, ReportError> {
    let token = format!("{:016x}", fastrand::u64(..));
    let mut notes = format!("{} (report {token})", settings.plugin.created_by());
    if let Some(profile) = &settings.profile {
        notes.push_str(&format!("\nprofile: {profile}"));
    }
    if let (Some(ci), false) = (&settings.ci, creator.caps.properties) {
        notes.push('\n');
        notes.push_str(&ci.notes());
    }
    new.notes = Some(notes);
    let lookup = TestRuns::filter_call(
        Query::new()
            .eq("plan", new.plan)
            .eq("build", new.build)
            .field("notes__contains", token.as_str()),
    );
    Ok(creator
        .get_or_create(TestRuns::create_call(&new), lookup)
        .await?
        .0)
}

/// The tag that marks the run shared by every process with one run key.
/// With a profile, the profile is part of it: processes of different profiles with one run
/// key report into runs of their own, so no result of one profile replaces another's.
pub(crate) fn run_key_tag(key: &str, profile: Option<&Profile>) -> String {
    let key = match profile {
        Some(p) => format!("tcms-run-key:{key}#{}", p.tag()),
        None => format!("tcms-run-key:{key}"),
    };
    truncate_chars(&key, 255)
}

/// Joins the run of `key` (tagged [`run_key_tag`]) in this plan, or creates it. The process
/// that created the build creates the run; the others wait for it. If several runs appear
/// anyway (the build existed before, so nobody was the obvious creator), the lowest id wins
/// and the others give up their tag. Returns the run and whether this process created it.
async fn join_or_create_run(
    creator: &Creator<'_>,
    settings: &Settings,
    new: NewTestRun,
    key: &str,
    leader: bool,
) -> Result<(TestRun, bool), ReportError> {
    let client = creator.client;
    // A shared run holds an execution per profile where executions have properties; before,
    // each profile gets a run of its own.
    let tag = run_key_tag(
        key,
        settings
            .profile
            .as_ref()
            .filter(|_| !creator.caps.properties),
    );
    let shared = TestRuns::filter_call(
        Query::new()
            .eq("plan", new.plan)
            .eq("tag__name", tag.as_str()),
    );
    if let Some(run) = first(client, shared.clone()).await? {
        return Ok((run, false));
    }
    if !leader {
        // A build without runs was created moments ago by a shard that is creating the run
        // now: wait for it. A build with runs (an earlier attempt of the pipeline) has no
        // such creator: a short wait, then create and converge.
        let runs = client
            .send(TestRuns::filter_call(Query::new().eq("build", new.build)))
            .await?;
        let limit = match (runs.is_empty(), creator.wait) {
            (true, Some(w)) => w,
            (true, None) => SHARD_WAIT,
            (false, w) => w.unwrap_or(Duration::from_secs(3)),
        };
        if let Some(run) = poll(limit, || first(client, shared.clone())).await? {
            return Ok((run, false));
        }
    }
    let mine = create_run(creator, settings, new).await?;
    client.send(TestRuns::add_tag_call(mine.id, &tag)).await?;
    // Converge: the lowest id of the tagged runs is the shared one.
    let winner = first(client, shared).await?.unwrap_or_else(|| mine.clone());
    if winner.id == mine.id {
        return Ok((mine, true));
    }
    debug!(
        "{} lost the race for run key {key} to {}",
        mine.id, winner.id
    );
    client
        .send(TestRuns::remove_tag_call(mine.id, &tag))
        .await?;
    let update = TestRunUpdate {
        notes: Some(format!(
            "{} (superseded by {}: a concurrent process with the same run key)",
            mine.notes, winner.id
        )),
        stop_date: Some(Utc::now()),
        ..TestRunUpdate::default()
    };
    client.send(TestRuns::update_call(mine.id, &update)).await?;
    Ok((winner, false))
}

/// TestPlan has no unique constraint, so concurrent processes (parallel CI shards) would each
/// create one. The process that created the Build (unique in Kiwi: exactly one process wins;
/// a new version always comes with a new build) creates the plan; the others wait for it when
/// a concurrent creator is likely: with a run key (shards of one pipeline), or when the version
/// has no plan at all (brand new). A version that already has other plans, without a run key,
/// gets no wait.
async fn wait_for_plan(
    creator: &Creator<'_>,
    version: VersionId,
    leader: bool,
    shards: bool,
    name: &str,
    product: ProductId,
) -> Result<Option<TestPlan>, ReportError> {
    if leader {
        return Ok(None);
    }
    let client = creator.client;
    // One read of every plan of the version: ours may have been made since this process last
    // looked; other plans (another plugin's) mean the version is not new. Reading both at once
    // leaves no gap for a plan to appear in between.
    let plans = client
        .send(TestPlans::filter_call(
            Query::new().eq("product_version", version),
        ))
        .await?;
    if let Some(plan) = plans
        .iter()
        .filter(|p| p.name == name && p.product == Some(product))
        .min_by_key(|p| p.id)
    {
        return Ok(Some(plan.clone()));
    }
    let limit = if shards {
        creator.wait.unwrap_or(SHARD_WAIT)
    } else if !plans.is_empty() {
        return Ok(None);
    } else {
        creator.wait.unwrap_or(NEW_VERSION_WAIT)
    };
    info!(
        "no test plan yet: waiting up to {} s for a concurrent process to create it",
        limit.as_secs()
    );
    let lookup = TestPlans::filter_call(
        Query::new()
            .eq("name", name)
            .eq("product", product)
            .eq("product_version", version),
    );
    let found = poll(limit, || first(client, lookup.clone())).await?;
    if found.is_none() {
        debug!("no plan appeared in {limit:?}; creating it");
    }
    Ok(found)
}

/// How long a request whose answer was lost may still run at the server: the client's own
/// timeout (a request the client gave up on may be queued behind busy workers about as long),
/// at least 5 s and at most 30 s.
pub(crate) fn grace_period(client: &Client) -> Duration {
    client
        .timeout()
        .clamp(Duration::from_secs(5), Duration::from_secs(30))
}

/// Like [`poll`], but looks once right away.
pub(crate) async fn poll_now<T, F, Fut>(
    limit: Duration,
    mut look: F,
) -> Result<Option<T>, ReportError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ReportError>>,
{
    if let Some(found) = look().await? {
        return Ok(Some(found));
    }
    poll(limit, look).await
}

/// Calls `look` with growing pauses (0.2 s doubling to 2 s) until it finds something or
/// `limit` has passed.
pub(crate) async fn poll<T, F, Fut>(limit: Duration, mut look: F) -> Result<Option<T>, ReportError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ReportError>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(200);
    while started.elapsed() < limit {
        tokio::time::sleep(delay).await;
        if let Some(found) = look().await? {
            return Ok(Some(found));
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    }
    Ok(None)
}

/// Growing pauses for looking again after lost answers: 0.5 s doubling to 5 s.
pub(crate) fn next_delay(delay: Duration) -> Duration {
    (delay * 2).min(Duration::from_secs(5))
}
