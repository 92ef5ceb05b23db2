//! `TestCase` (`TestCase.filter`, `.create`, `.update`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{
    duration, duration_seconds, filter_call, id_values_call, null_default, values_call,
};
use crate::client::Client;
use crate::error::Error;
use crate::ids::{CategoryId, PriorityId, TestCaseId, TestCaseStatusId, UserId};
use crate::query::Query;
use crate::rpc::Call;

/// A test case as Kiwi returns it.
///
/// `TestCase.filter` gives `{"id", "create_date", "is_automated", "script", "arguments",
/// "extra_link", "summary", "requirement", "notes", "text", "case_status",
/// "case_status__name", "category", "category__name", "priority", "priority__value", "author",
/// "author__username", "default_tester", "default_tester__username", "reviewer",
/// "reviewer__username", "setup_duration", "testing_duration", "expected_duration"}` (16.2 adds
/// `history_date`); `create` leaves out the `__` keys and `expected_duration`;
/// `TestPlan.add_case` adds `sortkey`.
///
/// Durations come as seconds from `filter` (`5.0` or `null`) and as Python text from `create`
/// and `update` (`"0:00:05"`, `"None"`): both decode to [`Duration`].
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct TestCase {
    /// The id.
    pub id: TestCaseId,
    /// The one-line summary (at most 255 characters); reporters use it as the test name.
    #[serde(default, deserialize_with = "null_default")]
    pub summary: String,
    /// When it was created (UTC).
    #[serde(default, with = "crate::datetime::option")]
    pub create_date: Option<DateTime<Utc>>,
    /// Whether the case is automated.
    #[serde(default, deserialize_with = "null_default")]
    pub is_automated: bool,
    /// The script (free text; may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub script: String,
    /// The arguments (free text; may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub arguments: String,
    /// An external link.
    #[serde(default)]
    pub extra_link: Option<String>,
    /// The requirement.
    #[serde(default)]
    pub requirement: Option<String>,
    /// Notes (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub notes: String,
    /// The case document (Markdown; may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub text: String,
    /// The status (only CONFIRMED cases can be added to a run).
    #[serde(default)]
    pub case_status: Option<TestCaseStatusId>,
    /// The status name (`case_status__name`; from `filter` and `update`).
    #[serde(default, rename = "case_status__name")]
    pub case_status_name: Option<String>,
    /// The category (it names the product: `category__product`).
    #[serde(default)]
    pub category: Option<CategoryId>,
    /// The category name (`category__name`; from `filter` and `update`).
    #[serde(default, rename = "category__name")]
    pub category_name: Option<String>,
    /// The priority.
    #[serde(default)]
    pub priority: Option<PriorityId>,
    /// The priority label (`priority__value`; from `filter` and `update`).
    #[serde(default, rename = "priority__value")]
    pub priority_value: Option<String>,
    /// The author.
    #[serde(default)]
    pub author: Option<UserId>,
    /// The author's user name (`author__username`; from `filter` and `update`).
    #[serde(default, rename = "author__username")]
    pub author_username: Option<String>,
    /// The default tester.
    #[serde(default)]
    pub default_tester: Option<UserId>,
    /// The default tester's user name (`default_tester__username`).
    #[serde(default, rename = "default_tester__username")]
    pub default_tester_username: Option<String>,
    /// The reviewer.
    #[serde(default)]
    pub reviewer: Option<UserId>,
    /// The reviewer's user name (`reviewer__username`).
    #[serde(default, rename = "reviewer__username")]
    pub reviewer_username: Option<String>,
    /// Setup time.
    #[serde(default, deserialize_with = "duration")]
    pub setup_duration: Option<Duration>,
    /// Testing time.
    #[serde(default, deserialize_with = "duration")]
    pub testing_duration: Option<Duration>,
    /// Setup plus testing time (only from `filter`).
    #[serde(default, deserialize_with = "duration")]
    pub expected_duration: Option<Duration>,
    /// The position in a plan (only from `TestPlan.add_case`).
    #[serde(default)]
    pub sortkey: Option<i64>,
}

/// Input of `TestCase.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTestCase {
    /// The one-line summary (required; at most 255 characters).
    pub summary: String,
    /// The category (required; it decides the product).
    pub category: CategoryId,
    /// The priority (required).
    pub priority: PriorityId,
    /// The status (required; use CONFIRMED to add the case to runs).
    pub case_status: TestCaseStatusId,
    /// Whether the case is automated (the server's default: false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_automated: Option<bool>,
    /// The case document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The script.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// The arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// The requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// An external link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_link: Option<String>,
    /// The author (the server's default: the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<UserId>,
    /// The default tester.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_tester: Option<UserId>,
    /// The reviewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<UserId>,
    /// Setup time (sent as seconds).
    #[serde(
        serialize_with = "duration_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub setup_duration: Option<Duration>,
    /// Testing time (sent as seconds).
    #[serde(
        serialize_with = "duration_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub testing_duration: Option<Duration>,
}

impl NewTestCase {
    /// A case with `summary` in `category`, with `priority` and `case_status`.
    pub fn new(
        summary: impl Into<String>,
        category: CategoryId,
        priority: PriorityId,
        case_status: TestCaseStatusId,
    ) -> Self {
        Self {
            summary: summary.into(),
            category,
            priority,
            case_status,
            is_automated: None,
            text: None,
            notes: None,
            script: None,
            arguments: None,
            requirement: None,
            extra_link: None,
            author: None,
            default_tester: None,
            reviewer: None,
            setup_duration: None,
            testing_duration: None,
        }
    }
}

/// Input of `TestCase.update`: only the fields set are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestCaseUpdate {
    /// A new summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Another category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryId>,
    /// Another priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<PriorityId>,
    /// Another status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_status: Option<TestCaseStatusId>,
    /// Automated or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_automated: Option<bool>,
    /// A new case document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// New notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// A new script.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// New arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// A new requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// A new external link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_link: Option<String>,
    /// Another default tester.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_tester: Option<UserId>,
    /// Another reviewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<UserId>,
    /// A new setup time (sent as seconds).
    #[serde(
        serialize_with = "duration_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub setup_duration: Option<Duration>,
    /// A new testing time (sent as seconds).
    #[serde(
        serialize_with = "duration_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub testing_duration: Option<Duration>,
}

/// Test case methods; from [`Client::test_cases`].
#[derive(Debug, Clone, Copy)]
pub struct TestCases<'c> {
    client: &'c Client,
}

impl Client {
    /// Test case methods (`TestCase.*`).
    pub fn test_cases(&self) -> TestCases<'_> {
        TestCases { client: self }
    }
}

impl TestCases<'_> {
    /// `TestCase.filter(query)`: every case that matches. The product is reached through
    /// `category__product`, plan membership through `plan`.
    pub async fn filter(&self, query: Query) -> Result<Vec<TestCase>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `TestCase.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<TestCase>> {
        filter_call("TestCase.filter", query)
    }

    /// `TestCase.create(values)`. Not idempotent: sending it twice makes two cases.
    pub async fn create(&self, new: &NewTestCase) -> Result<TestCase, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `TestCase.create` call, to send in a batch.
    pub fn create_call(new: &NewTestCase) -> Call<TestCase> {
        values_call("TestCase.create", new)
    }

    /// `TestCase.update(case_id, values)`: the updated case.
    pub async fn update(
        &self,
        case: TestCaseId,
        update: &TestCaseUpdate,
    ) -> Result<TestCase, Error> {
        self.client.send(Self::update_call(case, update)).await
    }

    /// The `TestCase.update` call, to send in a batch.
    pub fn update_call(case: TestCaseId, update: &TestCaseUpdate) -> Call<TestCase> {
        id_values_call("TestCase.update", case.into(), update)
    }
}

/// One row of a case's history (`TestCase.history`): the version an execution tests is its
/// `history_id`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct CaseHistory {
    /// The history row's id: what `case_text_version` holds.
    pub history_id: i64,
    /// The case.
    #[serde(default)]
    pub id: Option<TestCaseId>,
}

impl TestCases<'_> {
    /// `TestCase.history(case_id, query)`: the case's history rows.
    pub async fn history(&self, case: TestCaseId) -> Result<Vec<CaseHistory>, Error> {
        self.client.send(Self::history_call(case)).await
    }

    /// The `TestCase.history` call, to send in a batch.
    pub fn history_call(case: TestCaseId) -> Call<Vec<CaseHistory>> {
        super::common::positional_call(
            "TestCase.history",
            vec![case.into(), Value::Object(serde_json::Map::new())],
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_filter_shape_with_numeric_durations() {
        // TestCase.filter on 12.4; 16.2 adds history_date.
        let rows: Vec<TestCase> = serde_json::from_value(json!([{
            "id": 1, "create_date": "2026-11-23T03:49:55.619", "is_automated": true,
            "script": "", "arguments": "", "extra_link": null, "summary": "login <works>",
            "requirement": null, "notes": "", "text": "", "case_status": 2,
            "case_status__name": "CONFIRMED", "category": 1, "category__name": "--default--",
            "priority": 1, "priority__value": "P1", "author": 2, "author__username": "admin",
            "default_tester": null, "default_tester__username": null, "reviewer": null,
            "reviewer__username": null, "setup_duration": null, "testing_duration": 5.0,
            "expected_duration": 5.0
        }, {
            "id": 2, "summary": "s", "history_date": "2026-11-23T03:49:56.001",
            "setup_duration": 1.5, "testing_duration": null, "expected_duration": 1.5
        }]))
        .unwrap();
        let case = &rows[0];
        assert_eq!(case.id, TestCaseId::new(1));
        assert_eq!(case.summary, "login <works>");
        assert!(case.is_automated);
        assert_eq!(case.case_status, Some(TestCaseStatusId::new(2)));
        assert_eq!(case.case_status_name.as_deref(), Some("CONFIRMED"));
        assert_eq!(case.category, Some(CategoryId::new(1)));
        assert_eq!(case.priority_value.as_deref(), Some("P1"));
        assert_eq!(case.default_tester, None);
        assert_eq!(case.setup_duration, None);
        assert_eq!(case.testing_duration, Some(Duration::from_secs(5)));
        assert_eq!(case.expected_duration, Some(Duration::from_secs(5)));
        assert!(case.create_date.is_some());
        let second = &rows[1];
        assert_eq!(second.setup_duration, Some(Duration::from_millis(1500)));
        assert_eq!(second.testing_duration, None);
        assert!(!second.is_automated);
        assert_eq!(second.create_date, None);
    }

    #[test]
    fn decodes_create_shape_with_text_durations() {
        let case: TestCase = serde_json::from_value(json!({
            "id": 2, "is_automated": false, "script": "", "arguments": "", "extra_link": null,
            "summary": "s", "requirement": null, "notes": "", "text": "",
            "setup_duration": "1 day, 1:01:01.250000", "testing_duration": "0:00:05",
            "case_status": 2, "category": 1, "priority": 1, "author": 2,
            "default_tester": null, "reviewer": null, "create_date": "2026-11-23T03:51:05.413"
        }))
        .unwrap();
        assert_eq!(
            case.setup_duration,
            Some(Duration::from_secs(90_061) + Duration::from_millis(250))
        );
        assert_eq!(case.testing_duration, Some(Duration::from_secs(5)));
        assert_eq!(case.expected_duration, None);
        let case: TestCase = serde_json::from_value(json!({
            "id": 3, "summary": "s", "setup_duration": "None", "testing_duration": "None"
        }))
        .unwrap();
        assert_eq!(case.setup_duration, None);
        assert_eq!(case.testing_duration, None);
    }

    #[test]
    fn decodes_plan_add_case_shape() {
        let case: TestCase = serde_json::from_value(json!({
            "id": 1, "summary": "s", "setup_duration": null, "testing_duration": 5.0,
            "case_status": 2, "category": 1, "priority": 1, "sortkey": 0
        }))
        .unwrap();
        assert_eq!(case.sortkey, Some(0));
    }

    #[test]
    fn encodes_inputs() {
        let mut new = NewTestCase::new(
            "s",
            CategoryId::new(1),
            PriorityId::new(1),
            TestCaseStatusId::new(2),
        );
        assert_eq!(
            TestCases::create_call(&new).params(),
            &json!([{"summary": "s", "category": 1, "priority": 1, "case_status": 2}])
        );
        new.is_automated = Some(true);
        new.testing_duration = Some(Duration::from_millis(2500));
        new.setup_duration = Some(Duration::from_secs(3));
        new.notes = Some("created by tcms-junit-xml".into());
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"summary": "s", "category": 1, "priority": 1, "case_status": 2,
                   "is_automated": true, "notes": "created by tcms-junit-xml",
                   "setup_duration": 3, "testing_duration": 2.5})
        );
        let update = TestCaseUpdate {
            text: Some("doc".into()),
            ..TestCaseUpdate::default()
        };
        let call = TestCases::update_call(TestCaseId::new(4), &update);
        assert_eq!(call.method(), "TestCase.update");
        assert_eq!(call.params(), &json!([4, {"text": "doc"}]));
        assert_eq!(
            serde_json::to_value(TestCaseUpdate::default()).unwrap(),
            json!({})
        );
        let call = TestCases::filter_call(Query::new().eq("summary", "s"));
        assert_eq!(call.method(), "TestCase.filter");
        assert_eq!(call.params(), &json!([{"summary": "s"}]));
    }
}
