//! `TestRun` (`TestRun.filter`, `.create`, `.update`, `.add_case`, `.get_cases`,
//! `.remove_case`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{filter_call, id_values_call, null_default, positional_call, values_call};
use super::tag::Tag;
use super::test_execution::TestExecution;
use crate::client::Client;
use crate::error::Error;
use crate::ids::{
    BuildId, CategoryId, PriorityId, ProductId, TestCaseId, TestCaseStatusId, TestExecutionId,
    TestPlanId, TestRunId, UserId, VersionId,
};
use crate::query::Query;
use crate::rpc::Call;

/// A test run as Kiwi returns it.
///
/// `TestRun.filter` on 12.4 gives `{"id", "plan__product_version",
/// "plan__product_version__value", "start_date", "stop_date", "planned_start", "planned_stop",
/// "summary", "notes", "plan", "plan__product", "plan__name", "build", "build__name",
/// "manager", "manager__username", "default_tester", "default_tester__username"}`. 16.2 drops
/// the three `plan__product*` keys and adds `build__version`, `build__version__value`,
/// `build__version__product`: use [`TestRun::version`] and [`TestRun::product`], which read
/// whichever is there. `create` and `update` leave out every `__` key.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct TestRun {
    /// The id.
    pub id: TestRunId,
    /// The one-line summary.
    #[serde(default, deserialize_with = "null_default")]
    pub summary: String,
    /// Notes (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub notes: String,
    /// The plan.
    #[serde(default)]
    pub plan: Option<TestPlanId>,
    /// The plan name (`plan__name`; only from `filter`).
    #[serde(default, rename = "plan__name")]
    pub plan_name: Option<String>,
    /// The build.
    #[serde(default)]
    pub build: Option<BuildId>,
    /// The build name (`build__name`; only from `filter`).
    #[serde(default, rename = "build__name")]
    pub build_name: Option<String>,
    /// The manager.
    #[serde(default)]
    pub manager: Option<UserId>,
    /// The manager's user name (`manager__username`; only from `filter`).
    #[serde(default, rename = "manager__username")]
    pub manager_username: Option<String>,
    /// The default tester.
    #[serde(default)]
    pub default_tester: Option<UserId>,
    /// The default tester's user name (`default_tester__username`; only from `filter`).
    #[serde(default, rename = "default_tester__username")]
    pub default_tester_username: Option<String>,
    /// When it started (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub start_date: Option<DateTime<Utc>>,
    /// When it finished (UTC); `None` while it is open.
    #[serde(default, with = "crate::datetime::option")]
    pub stop_date: Option<DateTime<Utc>>,
    /// The planned start (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub planned_start: Option<DateTime<Utc>>,
    /// The planned stop (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub planned_stop: Option<DateTime<Utc>>,
    /// The plan's product version (`plan__product_version`; `filter` on Kiwi before 16).
    #[serde(default, rename = "plan__product_version")]
    pub plan_product_version: Option<VersionId>,
    /// Its text (`plan__product_version__value`; `filter` on Kiwi before 16).
    #[serde(default, rename = "plan__product_version__value")]
    pub plan_product_version_value: Option<String>,
    /// The plan's product (`plan__product`; `filter` on Kiwi before 16).
    #[serde(default, rename = "plan__product")]
    pub plan_product: Option<ProductId>,
    /// The build's version (`build__version`; `filter` on Kiwi 16).
    #[serde(default, rename = "build__version")]
    pub build_version: Option<VersionId>,
    /// Its text (`build__version__value`; `filter` on Kiwi 16).
    #[serde(default, rename = "build__version__value")]
    pub build_version_value: Option<String>,
    /// The build's product (`build__version__product`; `filter` on Kiwi 16).
    #[serde(default, rename = "build__version__product")]
    pub build_version_product: Option<ProductId>,
}

impl TestRun {
    /// The product version of the run, from whichever keys the server sent (the build's
    /// version on 16.x, the plan's on 12.x; they agree, since the build must belong to the
    /// plan's version). `None` from `create`/`update`.
    pub fn version(&self) -> Option<VersionId> {
        self.build_version.or(self.plan_product_version)
    }

    /// The product version text, as for [`TestRun::version`].
    pub fn version_value(&self) -> Option<&str> {
        self.build_version_value
            .as_deref()
            .or(self.plan_product_version_value.as_deref())
    }

    /// The product of the run, as for [`TestRun::version`].
    pub fn product(&self) -> Option<ProductId> {
        self.build_version_product.or(self.plan_product)
    }
}

/// One case of a run, as `TestRun.get_cases` returns it: the case dict (without `__` keys)
/// plus the execution id and the execution status **name**.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct RunCase {
    /// The case id.
    pub id: TestCaseId,
    /// The execution of this case in the run.
    pub execution_id: TestExecutionId,
    /// The execution status name (`IDLE`, `PASSED`), not its id.
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    /// The case summary.
    #[serde(default, deserialize_with = "null_default")]
    pub summary: String,
    /// Whether the case is automated.
    #[serde(default, deserialize_with = "null_default")]
    pub is_automated: bool,
    /// The case status.
    #[serde(default)]
    pub case_status: Option<TestCaseStatusId>,
    /// The category.
    #[serde(default)]
    pub category: Option<CategoryId>,
    /// The priority.
    #[serde(default)]
    pub priority: Option<PriorityId>,
    /// The script (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub script: String,
    /// The arguments (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub arguments: String,
    /// The case document (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub text: String,
    /// Notes (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub notes: String,
    /// The author.
    #[serde(default)]
    pub author: Option<UserId>,
    /// The default tester.
    #[serde(default)]
    pub default_tester: Option<UserId>,
    /// When the case was created (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub create_date: Option<DateTime<Utc>>,
}

/// Input of `TestRun.create`. Dates are sent with [`crate::datetime::format_kiwi`].
///
/// The `build` must be an active build of the plan's product version, otherwise Kiwi answers
/// `Select a valid choice`. The new run is empty: add cases with [`TestRuns::add_case`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTestRun {
    /// The one-line summary (required).
    pub summary: String,
    /// The plan (required).
    pub plan: TestPlanId,
    /// The build (required).
    pub build: BuildId,
    /// The manager (required).
    pub manager: UserId,
    /// The default tester (the server's default: the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_tester: Option<UserId>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// When it started.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date: Option<DateTime<Utc>>,
    /// When it finished.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_date: Option<DateTime<Utc>>,
    /// The planned start.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub planned_start: Option<DateTime<Utc>>,
    /// The planned stop.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub planned_stop: Option<DateTime<Utc>>,
}

impl NewTestRun {
    /// Run `summary` of `plan` on `build`, managed by `manager`.
    pub fn new(
        summary: impl Into<String>,
        plan: TestPlanId,
        build: BuildId,
        manager: UserId,
    ) -> Self {
        Self {
            summary: summary.into(),
            plan,
            build,
            manager,
            default_tester: None,
            notes: None,
            start_date: None,
            stop_date: None,
            planned_start: None,
            planned_stop: None,
        }
    }
}

/// Input of `TestRun.update`: only the fields set are sent. Dates are sent with
/// [`crate::datetime::format_kiwi`]; setting `stop_date` finishes the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestRunUpdate {
    /// A new summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// New notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Another build (of the plan's product version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildId>,
    /// Another manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<UserId>,
    /// Another default tester.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_tester: Option<UserId>,
    /// The start.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date: Option<DateTime<Utc>>,
    /// The end.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_date: Option<DateTime<Utc>>,
    /// The planned start.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub planned_start: Option<DateTime<Utc>>,
    /// The planned stop.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub planned_stop: Option<DateTime<Utc>>,
}

/// Test run methods; from [`Client::test_runs`].
///
/// Each method has a `*_call` sibling that builds the [`Call`] without sending it, so many can
/// go out in JSON-RPC batches with [`Client::send_all`].
///
/// ```no_run
/// use chrono::Utc;
/// use tcms_api::models::{ExecutionUpdate, NewTestRun, TestExecutions, TestRuns};
/// use tcms_api::{BuildId, Client, Config, Query, TestCaseId, TestExecutionStatusId, TestPlanId};
///
/// # async fn demo() -> Result<(), tcms_api::Error> {
/// let client = Client::new(Config::load()?)?;
/// let me = client.users().me().await?;
///
/// // Open runs of plan TP-3 (`TestRun.filter`).
/// let plan = TestPlanId::new(3);
/// let open = client
///     .test_runs()
///     .filter(Query::new().eq("plan", plan).is_null("stop_date", true))
///     .await?;
/// println!("{} open runs", open.len());
///
/// // A new run (`TestRun.create`); it starts empty.
/// let new = NewTestRun::new("nightly", plan, BuildId::new(7), me.id);
/// let run = client.test_runs().create(&new).await?;
/// println!("created {}", run.id); // created TR-12
///
/// // `TestRun.add_case` for many cases, sent in JSON-RPC batches.
/// let calls = [1, 2, 3]
///     .map(|case| TestRuns::add_case_call(run.id, TestCaseId::new(case)))
///     .to_vec();
/// let started = Utc::now();
/// let mut updates = Vec::new();
/// for executions in client.send_all(calls).await {
///     for execution in executions? {
///         // PASSED is 4 on a stock server (better: pick by weight). Dates go with the status.
///         let passed = TestExecutionStatusId::new(4);
///         let update = ExecutionUpdate::finished(passed, started, Utc::now());
///         updates.push(TestExecutions::update_call(execution.id, &update));
///     }
/// }
/// for updated in client.send_all(updates).await {
///     let execution = updated?;
///     println!("{} is {:?}", execution.id, execution.status_name);
/// }
///
/// // `TestRun.get_cases`: each case with its execution and status name.
/// for case in client.test_runs().get_cases(run.id).await? {
///     println!("{} {} {}", case.execution_id, case.status, case.summary);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TestRuns<'c> {
    client: &'c Client,
}

impl Client {
    /// Test run methods (`TestRun.*`).
    pub fn test_runs(&self) -> TestRuns<'_> {
        TestRuns { client: self }
    }
}

impl TestRuns<'_> {
    /// `TestRun.filter(query)`: every run that matches (e.g. `{"plan": id, "summary": s}`).
    /// The lookups `plan__product_version` and `plan__product` work as filter keys on 16.x
    /// too, even though 16.x no longer returns them.
    pub async fn filter(&self, query: Query) -> Result<Vec<TestRun>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `TestRun.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<TestRun>> {
        filter_call("TestRun.filter", query)
    }

    /// `TestRun.create(values)`. Not idempotent: sending it twice makes two runs.
    pub async fn create(&self, new: &NewTestRun) -> Result<TestRun, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `TestRun.create` call, to send in a batch.
    pub fn create_call(new: &NewTestRun) -> Call<TestRun> {
        values_call("TestRun.create", new)
    }

    /// `TestRun.update(run_id, values)`: the updated run.
    pub async fn update(&self, run: TestRunId, update: &TestRunUpdate) -> Result<TestRun, Error> {
        self.client.send(Self::update_call(run, update)).await
    }

    /// The `TestRun.update` call, to send in a batch.
    pub fn update_call(run: TestRunId, update: &TestRunUpdate) -> Call<TestRun> {
        id_values_call("TestRun.update", run.into(), update)
    }

    /// `TestRun.add_case(run_id, case_id)`: the case's executions in the run (a new IDLE
    /// one, or the existing ones when the case is already there: idempotent). The case must
    /// be CONFIRMED (`TC-2 status is not confirmed`).
    pub async fn add_case(
        &self,
        run: TestRunId,
        case: TestCaseId,
    ) -> Result<Vec<TestExecution>, Error> {
        self.client.send(Self::add_case_call(run, case)).await
    }

    /// The `TestRun.add_case` call, to send in a batch (decode each answer as
    /// `Vec<TestExecution>`).
    pub fn add_case_call(run: TestRunId, case: TestCaseId) -> Call<Vec<TestExecution>> {
        positional_call("TestRun.add_case", vec![run.into(), case.into()])
    }

    /// `TestRun.get_cases(run_id)`: the cases of the run, each with its execution id and
    /// status name.
    pub async fn get_cases(&self, run: TestRunId) -> Result<Vec<RunCase>, Error> {
        self.client.send(Self::get_cases_call(run)).await
    }

    /// The `TestRun.get_cases` call, to send in a batch.
    pub fn get_cases_call(run: TestRunId) -> Call<Vec<RunCase>> {
        positional_call("TestRun.get_cases", vec![run.into()])
    }

    /// `TestRun.remove_case(run_id, case_id)`: deletes the case's executions in the run.
    pub async fn remove_case(&self, run: TestRunId, case: TestCaseId) -> Result<(), Error> {
        self.client.send(Self::remove_case_call(run, case)).await
    }

    /// `TestRun.add_tag(run_id, name)`: the run's tags after adding `name` (created if it
    /// does not exist). Idempotent.
    pub async fn add_tag(&self, run: TestRunId, name: &str) -> Result<Vec<Tag>, Error> {
        self.client.send(Self::add_tag_call(run, name)).await
    }

    /// The `TestRun.add_tag` call, to send in a batch.
    pub fn add_tag_call(run: TestRunId, name: &str) -> Call<Vec<Tag>> {
        positional_call("TestRun.add_tag", vec![run.into(), Value::from(name)])
    }

    /// `TestRun.remove_tag(run_id, name)`: the run's tags after removing `name`.
    pub async fn remove_tag(&self, run: TestRunId, name: &str) -> Result<Vec<Tag>, Error> {
        self.client.send(Self::remove_tag_call(run, name)).await
    }

    /// The `TestRun.remove_tag` call, to send in a batch.
    pub fn remove_tag_call(run: TestRunId, name: &str) -> Call<Vec<Tag>> {
        positional_call("TestRun.remove_tag", vec![run.into(), Value::from(name)])
    }

    /// `TestRun.add_property(run_id, name, value)` (Kiwi ≥ 15.3): get-or-create, idempotent.
    pub async fn add_property(
        &self,
        run: TestRunId,
        name: &str,
        value: &str,
    ) -> Result<Value, Error> {
        self.client
            .send(Self::add_property_call(run, name, value))
            .await
    }

    /// The `TestRun.add_property` call, to send in a batch.
    pub fn add_property_call(run: TestRunId, name: &str, value: &str) -> Call<Value> {
        positional_call(
            "TestRun.add_property",
            vec![run.into(), Value::from(name), Value::from(value)],
        )
    }

    /// `TestRun.properties(query)` (Kiwi ≥ 15.3): `[{"id", "run", "name", "value"}]`.
    pub fn properties_call(query: Query) -> Call<Vec<Value>> {
        filter_call("TestRun.properties", query)
    }

    /// `TestRun.add_attachment(run_id, filename, b64content)`. Not idempotent.
    pub async fn add_attachment(
        &self,
        run: TestRunId,
        filename: &str,
        base64: &str,
    ) -> Result<(), Error> {
        self.client
            .send(Self::add_attachment_call(run, filename, base64))
            .await
    }

    /// The `TestRun.add_attachment` call, to send in a batch.
    pub fn add_attachment_call(run: TestRunId, filename: &str, base64: &str) -> Call<()> {
        positional_call(
            "TestRun.add_attachment",
            vec![run.into(), Value::from(filename), Value::from(base64)],
        )
    }

    /// `TestRun.list_attachments(run_id)` (Kiwi 16).
    pub fn list_attachments_call(run: TestRunId) -> Call<Vec<super::Attachment>> {
        positional_call("TestRun.list_attachments", vec![run.into()])
    }

    /// The `TestRun.remove_case` call, to send in a batch.
    pub fn remove_case_call(run: TestRunId, case: TestCaseId) -> Call<()> {
        positional_call("TestRun.remove_case", vec![run.into(), case.into()])
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_12_4_filter_shape() {
        let rows: Vec<TestRun> = serde_json::from_value(json!([{
            "id": 1, "plan__product_version": 2, "plan__product_version__value": "1.0",
            "start_date": null, "stop_date": "2024-01-02T03:04:05", "planned_start": null,
            "planned_stop": null, "summary": "run", "notes": "", "plan": 1, "plan__product": 1,
            "plan__name": "plan", "build": 3, "build__name": "b1", "manager": 2,
            "manager__username": "admin", "default_tester": 2,
            "default_tester__username": "admin"
        }]))
        .unwrap();
        let run = &rows[0];
        assert_eq!(run.id, TestRunId::new(1));
        assert_eq!(run.version(), Some(VersionId::new(2)));
        assert_eq!(run.version_value(), Some("1.0"));
        assert_eq!(run.product(), Some(ProductId::new(1)));
        assert_eq!(run.build_version, None);
        assert_eq!(run.start_date, None);
        assert_eq!(
            run.stop_date,
            Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap())
        );
        assert_eq!(run.build_name.as_deref(), Some("b1"));
        assert_eq!(run.manager, Some(UserId::new(2)));
    }

    #[test]
    fn decodes_16_2_filter_shape() {
        let rows: Vec<TestRun> = serde_json::from_value(json!([{
            "id": 4, "start_date": "2026-11-23 02:13:36.211", "stop_date": null,
            "planned_start": null, "planned_stop": null, "summary": "run", "notes": "",
            "plan": 1, "plan__name": "plan", "build": 3, "build__name": "b1",
            "build__version": 2, "build__version__value": "1.0", "build__version__product": 1,
            "manager": 2, "manager__username": "admin", "default_tester": null,
            "default_tester__username": null
        }]))
        .unwrap();
        let run = &rows[0];
        assert_eq!(run.plan_product_version, None);
        assert_eq!(run.plan_product, None);
        assert_eq!(run.version(), Some(VersionId::new(2)));
        assert_eq!(run.version_value(), Some("1.0"));
        assert_eq!(run.product(), Some(ProductId::new(1)));
        assert_eq!(
            run.start_date,
            Some(
                Utc.with_ymd_and_hms(2026, 11, 23, 2, 13, 36).unwrap()
                    + Duration::milliseconds(211)
            )
        );
        assert_eq!(run.default_tester, None);
    }

    #[test]
    fn decodes_create_shape() {
        let run: TestRun = serde_json::from_value(json!({
            "id": 1, "start_date": null, "stop_date": null, "planned_start": null,
            "planned_stop": null, "summary": "run", "notes": "", "plan": 1, "build": 3,
            "manager": 2, "default_tester": 2
        }))
        .unwrap();
        assert_eq!(run.plan, Some(TestPlanId::new(1)));
        assert_eq!(run.version(), None);
        assert_eq!(run.plan_name, None);
    }

    #[test]
    fn decodes_get_cases_shape() {
        let rows: Vec<RunCase> = serde_json::from_value(json!([{
            "id": 1, "create_date": "2026-11-23T03:49:55.619", "is_automated": true,
            "script": "", "arguments": "", "extra_link": null, "summary": "s",
            "requirement": null, "notes": "n", "text": "", "case_status": 2, "category": 1,
            "priority": 1, "author": 2, "default_tester": null, "reviewer": null,
            "execution_id": 7, "status": "IDLE"
        }]))
        .unwrap();
        assert_eq!(rows[0].id, TestCaseId::new(1));
        assert_eq!(rows[0].execution_id, TestExecutionId::new(7));
        assert_eq!(rows[0].status, "IDLE");
        assert_eq!(rows[0].notes, "n");
        assert!(rows[0].create_date.is_some());
    }

    #[test]
    fn encodes_inputs() {
        let mut new = NewTestRun::new(
            "nightly",
            TestPlanId::new(1),
            BuildId::new(3),
            UserId::new(2),
        );
        assert_eq!(
            TestRuns::create_call(&new).params(),
            &json!([{"summary": "nightly", "plan": 1, "build": 3, "manager": 2}])
        );
        new.start_date =
            Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap() + Duration::milliseconds(250));
        new.notes = Some("n".into());
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"summary": "nightly", "plan": 1, "build": 3, "manager": 2, "notes": "n",
                   "start_date": "2024-01-02 03:04:05.250000"})
        );
        let update = TestRunUpdate {
            stop_date: Some(Utc.with_ymd_and_hms(2024, 1, 2, 4, 0, 0).unwrap()),
            ..TestRunUpdate::default()
        };
        let call = TestRuns::update_call(TestRunId::new(5), &update);
        assert_eq!(call.method(), "TestRun.update");
        assert_eq!(
            call.params(),
            &json!([5, {"stop_date": "2024-01-02 04:00:00"}])
        );
    }

    #[test]
    fn builds_case_calls() {
        let (run, case) = (TestRunId::new(5), TestCaseId::new(9));
        let call = TestRuns::add_case_call(run, case);
        assert_eq!(call.method(), "TestRun.add_case");
        assert_eq!(call.params(), &json!([5, 9]));
        let call = TestRuns::get_cases_call(run);
        assert_eq!(call.method(), "TestRun.get_cases");
        assert_eq!(call.params(), &json!([5]));
        let call = TestRuns::remove_case_call(run, case);
        assert_eq!(call.method(), "TestRun.remove_case");
        assert_eq!(call.params(), &json!([5, 9]));
        let call = TestRuns::filter_call(Query::new().eq("plan", TestPlanId::new(1)));
        assert_eq!(call.params(), &json!([{"plan": 1}]));
    }
}
