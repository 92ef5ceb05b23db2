//! `TestExecution`: one case in one run (`TestExecution.filter`, `.update`, `.add_comment`,
//! `.get_comments`, `.add_link`, `.get_links`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::comment::Comment;
use super::common::{
    duration, filter_call, id_values_call, null_default, positional_call, to_value, values_call,
};
use super::link::{Link, NewLink};
use super::tag::Tag;
use crate::client::Client;
use crate::error::Error;
use crate::ids::{BuildId, TestCaseId, TestExecutionId, TestExecutionStatusId, TestRunId, UserId};
use crate::query::Query;
use crate::rpc::Call;

/// A test execution as Kiwi returns it.
///
/// `TestExecution.filter` gives `{"id", "assignee", "assignee__username", "tested_by",
/// "tested_by__username", "case_text_version", "start_date", "stop_date", "sortkey", "run",
/// "case", "case__summary", "build", "build__name", "status", "status__name", "status__icon",
/// "status__color", "expected_duration", "actual_duration"}`. `TestRun.add_case` gives the
/// plain keys plus `properties`; `update` the plain keys plus five of the `__` keys. Kiwi 16
/// adds `tag` to `add_case` and `update` (not decoded).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct TestExecution {
    /// The id.
    pub id: TestExecutionId,
    /// The run.
    #[serde(default)]
    pub run: Option<TestRunId>,
    /// The case.
    #[serde(default)]
    pub case: Option<TestCaseId>,
    /// The case summary (`case__summary`; from `filter` and `update`).
    #[serde(default, rename = "case__summary")]
    pub case_summary: Option<String>,
    /// The build it was tested on.
    #[serde(default)]
    pub build: Option<BuildId>,
    /// The build name (`build__name`; from `filter` and `update`).
    #[serde(default, rename = "build__name")]
    pub build_name: Option<String>,
    /// The status (IDLE for a new execution).
    #[serde(default)]
    pub status: Option<TestExecutionStatusId>,
    /// The status name (`status__name`; from `filter` and `update`).
    #[serde(default, rename = "status__name")]
    pub status_name: Option<String>,
    /// The status icon (`status__icon`; only from `filter`).
    #[serde(default, rename = "status__icon")]
    pub status_icon: Option<String>,
    /// The status colour (`status__color`; only from `filter`).
    #[serde(default, rename = "status__color")]
    pub status_color: Option<String>,
    /// Who it is assigned to.
    #[serde(default)]
    pub assignee: Option<UserId>,
    /// The assignee's user name (`assignee__username`; from `filter` and `update`).
    #[serde(default, rename = "assignee__username")]
    pub assignee_username: Option<String>,
    /// Who set the status.
    #[serde(default)]
    pub tested_by: Option<UserId>,
    /// The tester's user name (`tested_by__username`; from `filter` and `update`).
    #[serde(default, rename = "tested_by__username")]
    pub tested_by_username: Option<String>,
    /// The version of the case text that was tested.
    #[serde(default)]
    pub case_text_version: Option<i64>,
    /// When testing started (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub start_date: Option<DateTime<Utc>>,
    /// When testing stopped (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub stop_date: Option<DateTime<Utc>>,
    /// The position in the run.
    #[serde(default)]
    pub sortkey: Option<i64>,
    /// The case's expected duration (only from `filter`).
    #[serde(default, deserialize_with = "duration")]
    pub expected_duration: Option<Duration>,
    /// `stop_date - start_date` (only from `filter`; `None` when a date is missing).
    #[serde(default, deserialize_with = "duration")]
    pub actual_duration: Option<Duration>,
    /// The execution's properties (only from `TestRun.add_case`).
    #[serde(default, deserialize_with = "null_default")]
    pub properties: Vec<ExecutionProperty>,
}

/// Input of `TestExecution.create` (Kiwi ≥ 15.3): an execution made with its status, dates
/// and tester in one call. Not idempotent: the same run and case twice make two executions, so
/// a lost answer must be looked up, never re-sent blindly. No CONFIRMED check on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewExecution {
    /// The run (required).
    pub run: TestRunId,
    /// The case (required).
    pub case: TestCaseId,
    /// The build (required).
    pub build: BuildId,
    /// The status (required).
    pub status: TestExecutionStatusId,
    /// The case's history version the execution tests (required; the latest `history_id` of
    /// `TestCase.history`, as `TestRun.add_case` sets it).
    pub case_text_version: i64,
    /// Who tested (not defaulted to the caller by the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tested_by: Option<UserId>,
    /// Who it is assigned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
    /// When testing started.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date: Option<DateTime<Utc>>,
    /// When testing stopped.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_date: Option<DateTime<Utc>>,
    /// The position in the run (stays null when not given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sortkey: Option<i64>,
}

/// A property row of an execution, as `TestExecution.properties` and `.add_property` return it
/// (Kiwi ≥ 15.3): `{"id", "name", "value", "execution"}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct ExecutionPropertyRow {
    /// The property's id.
    pub id: i64,
    /// The execution.
    #[serde(default)]
    pub execution: Option<TestExecutionId>,
    /// The name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The value.
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
}

/// An attachment of an execution or a run, as `list_attachments` returns it (Kiwi ≥ 15.3 for
/// executions): `{"pk", "url", "owner_pk", "owner_username", "date"}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Attachment {
    /// The attachment's id.
    #[serde(default)]
    pub pk: Option<i64>,
    /// Its download URL (its file name, sanitised by the server, is the last part).
    #[serde(default, deserialize_with = "null_default")]
    pub url: String,
}

/// A name/value property of an execution (`TestRun.add_case` lists them).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct ExecutionProperty {
    /// The name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The value.
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
}

/// Which case text an execution refers to (`case_text_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseTextVersion {
    /// The case's current text (sent as `"latest"`).
    Latest,
    /// A given history version.
    Version(i64),
}

impl Serialize for CaseTextVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            CaseTextVersion::Latest => serializer.serialize_str("latest"),
            CaseTextVersion::Version(v) => serializer.serialize_i64(*v),
        }
    }
}

/// Input of `TestExecution.update`: only the fields set are sent. Dates are sent with
/// [`crate::datetime::format_kiwi`] (UTC, microseconds when there are any).
///
/// **Send `start_date` and `stop_date` together with `status`.** An update that leaves the
/// dates out makes Kiwi write them back without their fraction of a second (`…06.500` becomes
/// `…06`, and `actual_duration` 1.5 s becomes 1 s); [`ExecutionUpdate::finished`] sets all
/// three. When `status` is set, Kiwi defaults `tested_by` to the caller and `build` to the
/// run's build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExecutionUpdate {
    /// The new status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TestExecutionStatusId>,
    /// When testing started.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date: Option<DateTime<Utc>>,
    /// When testing stopped.
    #[serde(
        with = "crate::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_date: Option<DateTime<Utc>>,
    /// Who tested (the server's default with a status: the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tested_by: Option<UserId>,
    /// Who it is assigned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
    /// The build tested (the server's default with a status: the run's build).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildId>,
    /// The case text version tested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_text_version: Option<CaseTextVersion>,
    /// The position in the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sortkey: Option<i64>,
}

impl ExecutionUpdate {
    /// Sets `status` with both dates, as a reporter should (see the type's docs on why the
    /// dates belong in the same call).
    pub fn finished(
        status: TestExecutionStatusId,
        start_date: DateTime<Utc>,
        stop_date: DateTime<Utc>,
    ) -> Self {
        Self {
            status: Some(status),
            start_date: Some(start_date),
            stop_date: Some(stop_date),
            ..Self::default()
        }
    }
}

/// Test execution methods; from [`Client::test_executions`].
#[derive(Debug, Clone, Copy)]
pub struct TestExecutions<'c> {
    client: &'c Client,
}

impl Client {
    /// Test execution methods (`TestExecution.*`), including comments and links.
    pub fn test_executions(&self) -> TestExecutions<'_> {
        TestExecutions { client: self }
    }
}

impl TestExecutions<'_> {
    /// `TestExecution.filter(query)`: every execution that matches (e.g. `{"run": id}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<TestExecution>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `TestExecution.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<TestExecution>> {
        filter_call("TestExecution.filter", query)
    }

    /// `TestExecution.update(execution_id, values)`: the updated execution.
    pub async fn update(
        &self,
        execution: TestExecutionId,
        update: &ExecutionUpdate,
    ) -> Result<TestExecution, Error> {
        self.client.send(Self::update_call(execution, update)).await
    }

    /// The `TestExecution.update` call, to send in a batch.
    pub fn update_call(
        execution: TestExecutionId,
        update: &ExecutionUpdate,
    ) -> Call<TestExecution> {
        id_values_call("TestExecution.update", execution.into(), update)
    }

    /// `TestExecution.add_comment(execution_id, comment)`: the new comment. Not idempotent:
    /// sending it twice posts two comments.
    pub async fn add_comment(
        &self,
        execution: TestExecutionId,
        comment: &str,
    ) -> Result<Comment, Error> {
        self.client
            .send(Self::add_comment_call(execution, comment))
            .await
    }

    /// The `TestExecution.add_comment` call, to send in a batch.
    pub fn add_comment_call(execution: TestExecutionId, comment: &str) -> Call<Comment> {
        positional_call(
            "TestExecution.add_comment",
            vec![execution.into(), Value::from(comment)],
        )
    }

    /// `TestExecution.get_comments(execution_id)`: the execution's comments.
    pub async fn get_comments(&self, execution: TestExecutionId) -> Result<Vec<Comment>, Error> {
        self.client.send(Self::get_comments_call(execution)).await
    }

    /// The `TestExecution.get_comments` call, to send in a batch.
    pub fn get_comments_call(execution: TestExecutionId) -> Call<Vec<Comment>> {
        positional_call("TestExecution.get_comments", vec![execution.into()])
    }

    /// `TestExecution.add_link(values, update_tracker)`: the new link. Not idempotent.
    pub async fn add_link(&self, link: &NewLink) -> Result<Link, Error> {
        self.client.send(Self::add_link_call(link)).await
    }

    /// The `TestExecution.add_link` call, to send in a batch.
    pub fn add_link_call(link: &NewLink) -> Call<Link> {
        let method = "TestExecution.add_link";
        positional_call(
            method,
            vec![to_value(method, link), Value::Bool(link.update_tracker)],
        )
    }

    /// `TestExecution.get_links(query)`: every link that matches (`{"execution": id}`, or
    /// `{"execution__run": id}` for a whole run).
    pub async fn get_links(&self, query: Query) -> Result<Vec<Link>, Error> {
        self.client.send(Self::get_links_call(query)).await
    }

    /// The `TestExecution.get_links` call, to send in a batch.
    pub fn get_links_call(query: Query) -> Call<Vec<Link>> {
        filter_call("TestExecution.get_links", query)
    }

    /// `TestExecution.create(values)` (Kiwi ≥ 15.3): the new execution. Not idempotent.
    pub async fn create(&self, new: &NewExecution) -> Result<TestExecution, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `TestExecution.create` call, to send in a batch.
    pub fn create_call(new: &NewExecution) -> Call<TestExecution> {
        values_call("TestExecution.create", new)
    }

    /// `TestExecution.add_property(execution_id, name, value)` (Kiwi ≥ 15.3): the property
    /// row; a duplicate returns the existing one (idempotent).
    pub async fn add_property(
        &self,
        execution: TestExecutionId,
        name: &str,
        value: &str,
    ) -> Result<ExecutionPropertyRow, Error> {
        self.client
            .send(Self::add_property_call(execution, name, value))
            .await
    }

    /// The `TestExecution.add_property` call, to send in a batch.
    pub fn add_property_call(
        execution: TestExecutionId,
        name: &str,
        value: &str,
    ) -> Call<ExecutionPropertyRow> {
        positional_call(
            "TestExecution.add_property",
            vec![execution.into(), Value::from(name), Value::from(value)],
        )
    }

    /// `TestExecution.properties(query)` (Kiwi ≥ 15.3): the property rows that match
    /// (`{"execution__run": id, "name": "profile"}`).
    pub async fn properties(&self, query: Query) -> Result<Vec<ExecutionPropertyRow>, Error> {
        self.client.send(Self::properties_call(query)).await
    }

    /// The `TestExecution.properties` call, to send in a batch.
    pub fn properties_call(query: Query) -> Call<Vec<ExecutionPropertyRow>> {
        filter_call("TestExecution.properties", query)
    }

    /// `TestExecution.add_attachment(execution_id, filename, b64content)` (Kiwi ≥ 15.3). Not
    /// idempotent. The server sanitises the file name (`log <1>.txt` becomes `log_1.txt`).
    pub async fn add_attachment(
        &self,
        execution: TestExecutionId,
        filename: &str,
        base64: &str,
    ) -> Result<(), Error> {
        self.client
            .send(Self::add_attachment_call(execution, filename, base64))
            .await
    }

    /// The `TestExecution.add_attachment` call, to send in a batch.
    pub fn add_attachment_call(
        execution: TestExecutionId,
        filename: &str,
        base64: &str,
    ) -> Call<()> {
        positional_call(
            "TestExecution.add_attachment",
            vec![execution.into(), Value::from(filename), Value::from(base64)],
        )
    }

    /// `TestExecution.list_attachments(execution_id)` (Kiwi ≥ 15.3).
    pub async fn list_attachments(
        &self,
        execution: TestExecutionId,
    ) -> Result<Vec<Attachment>, Error> {
        self.client
            .send(Self::list_attachments_call(execution))
            .await
    }

    /// The `TestExecution.list_attachments` call, to send in a batch.
    pub fn list_attachments_call(execution: TestExecutionId) -> Call<Vec<Attachment>> {
        positional_call("TestExecution.list_attachments", vec![execution.into()])
    }

    /// `TestExecution.add_tag(execution_id, name)` (Kiwi ≥ 16.1): the execution's tags.
    pub async fn add_tag(&self, execution: TestExecutionId, name: &str) -> Result<Vec<Tag>, Error> {
        self.client.send(Self::add_tag_call(execution, name)).await
    }

    /// The `TestExecution.add_tag` call, to send in a batch.
    pub fn add_tag_call(execution: TestExecutionId, name: &str) -> Call<Vec<Tag>> {
        positional_call(
            "TestExecution.add_tag",
            vec![execution.into(), Value::from(name)],
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration as ChronoDuration, TimeZone};
    use serde_json::json;

    use super::*;

    fn at(s: u32, ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, s).unwrap() + ChronoDuration::milliseconds(ms)
    }

    #[test]
    fn decodes_run_add_case_shape_12_4_and_16_2() {
        // 12.4.
        let rows: Vec<TestExecution> = serde_json::from_value(json!([{
            "id": 1, "assignee": 2, "tested_by": null, "case_text_version": 2,
            "start_date": null, "stop_date": null, "sortkey": 10, "run": 1, "case": 1,
            "status": 1, "build": 3, "properties": []
        }]))
        .unwrap();
        let e = &rows[0];
        assert_eq!(e.id, TestExecutionId::new(1));
        assert_eq!(e.status, Some(TestExecutionStatusId::new(1)));
        assert_eq!(e.tested_by, None);
        assert_eq!(e.sortkey, Some(10));
        assert!(e.properties.is_empty());
        assert_eq!(e.status_name, None);
        // 16.2: `tag` added, properties filled.
        let rows: Vec<TestExecution> = serde_json::from_value(json!([{
            "id": 9, "assignee": null, "tested_by": null, "case_text_version": 1,
            "start_date": null, "stop_date": null, "sortkey": 20, "run": 4, "case": 5,
            "status": 1, "build": 3, "properties": [{"name": "os", "value": "linux"}],
            "tag": [{"id": 1, "name": "nightly"}]
        }]))
        .unwrap();
        assert_eq!(rows[0].case, Some(TestCaseId::new(5)));
        assert_eq!(rows[0].properties[0].name, "os");
        assert_eq!(rows[0].properties[0].value, "linux");
    }

    #[test]
    fn decodes_update_and_filter_shapes() {
        let e: TestExecution = serde_json::from_value(json!({
            "id": 1, "assignee": 2, "tested_by": 2, "case_text_version": 2,
            "start_date": "2024-01-02T03:04:05", "stop_date": "2024-01-02T03:04:06.500",
            "sortkey": 10, "run": 1, "case": 1, "status": 4, "build": 3,
            "assignee__username": "admin", "tested_by__username": "admin",
            "case__summary": "s", "build__name": "b1", "status__name": "PASSED", "tag": []
        }))
        .unwrap();
        assert_eq!(e.start_date, Some(at(5, 0)));
        assert_eq!(e.stop_date, Some(at(6, 500)));
        assert_eq!(e.status_name.as_deref(), Some("PASSED"));
        assert_eq!(e.case_summary.as_deref(), Some("s"));
        assert_eq!(e.actual_duration, None);
        let rows: Vec<TestExecution> = serde_json::from_value(json!([{
            "id": 1, "assignee": 2, "assignee__username": "admin", "tested_by": 2,
            "tested_by__username": "admin", "case_text_version": 2,
            "start_date": "2024-01-02T03:04:05", "stop_date": "2024-01-02T03:04:06.500",
            "sortkey": 10, "run": 1, "case": 1, "case__summary": "s", "build": 3,
            "build__name": "b1", "status": 4, "status__name": "PASSED",
            "status__icon": "fa fa-check-circle-o", "status__color": "#92d400",
            "expected_duration": 5.0, "actual_duration": 1.5
        }, {
            "id": 2, "start_date": null, "stop_date": null, "expected_duration": null,
            "actual_duration": null
        }]))
        .unwrap();
        assert_eq!(rows[0].actual_duration, Some(Duration::from_millis(1500)));
        assert_eq!(rows[0].expected_duration, Some(Duration::from_secs(5)));
        assert_eq!(rows[0].status_color.as_deref(), Some("#92d400"));
        assert_eq!(rows[1].actual_duration, None);
        assert_eq!(rows[1].run, None);
    }

    #[test]
    fn update_sends_dates_in_kiwi_format() {
        let update = ExecutionUpdate {
            tested_by: Some(UserId::new(2)),
            case_text_version: Some(CaseTextVersion::Latest),
            ..ExecutionUpdate::finished(TestExecutionStatusId::new(4), at(5, 0), at(6, 500))
        };
        let call = TestExecutions::update_call(TestExecutionId::new(8), &update);
        assert_eq!(call.method(), "TestExecution.update");
        assert_eq!(
            call.params(),
            &json!([8, {
                "status": 4,
                "start_date": "2024-01-02 03:04:05",
                "stop_date": "2024-01-02 03:04:06.500000",
                "tested_by": 2,
                "case_text_version": "latest"
            }])
        );
        let only_build = ExecutionUpdate {
            build: Some(BuildId::new(3)),
            case_text_version: Some(CaseTextVersion::Version(4)),
            ..ExecutionUpdate::default()
        };
        assert_eq!(
            serde_json::to_value(&only_build).unwrap(),
            json!({"build": 3, "case_text_version": 4})
        );
        assert_eq!(
            serde_json::to_value(ExecutionUpdate::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn comment_and_link_calls() {
        let id = TestExecutionId::new(8);
        let call = TestExecutions::add_comment_call(id, "failed: <assert>");
        assert_eq!(call.method(), "TestExecution.add_comment");
        assert_eq!(call.params(), &json!([8, "failed: <assert>"]));
        let call = TestExecutions::get_comments_call(id);
        assert_eq!(call.method(), "TestExecution.get_comments");
        assert_eq!(call.params(), &json!([8]));
        let mut link = NewLink::new(id, "https://ci.example.com/job/1");
        link.name = Some("CI".into());
        let call = TestExecutions::add_link_call(&link);
        assert_eq!(call.method(), "TestExecution.add_link");
        assert_eq!(
            call.params(),
            &json!([{"execution_id": 8, "url": "https://ci.example.com/job/1", "name": "CI"}, false])
        );
        let call = TestExecutions::get_links_call(Query::new().eq("execution", id));
        assert_eq!(call.method(), "TestExecution.get_links");
        assert_eq!(call.params(), &json!([{"execution": 8}]));
        let call = TestExecutions::filter_call(Query::new().eq("run", TestRunId::new(5)));
        assert_eq!(call.params(), &json!([{"run": 5}]));
    }

    #[test]
    fn properties_call_and_rows() {
        let call = TestExecutions::properties_call(
            Query::new()
                .any_of("execution__run", [TestRunId::new(5)])
                .eq("name", "profile"),
        );
        assert_eq!(call.method(), "TestExecution.properties");
        assert_eq!(
            call.params(),
            &json!([{"execution__run__in": [5], "name": "profile"}])
        );
        assert!(call.is_retry_safe());
        let rows: Vec<ExecutionPropertyRow> = serde_json::from_value(json!([
            {"id": 1, "name": "profile", "value": "py27", "execution": 8}
        ]))
        .unwrap();
        assert_eq!(rows[0].execution, Some(TestExecutionId::new(8)));
        assert_eq!(rows[0].value, "py27");
    }
}
