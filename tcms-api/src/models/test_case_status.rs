//! `TestCaseStatus` (`TestCaseStatus.filter`).

use serde::Deserialize;

use super::common::{filter_call, null_default};
use crate::client::Client;
use crate::error::Error;
use crate::ids::TestCaseStatusId;
use crate::query::Query;
use crate::rpc::Call;

/// A test case status as Kiwi returns it: `{"id", "name", "description", "is_confirmed"}`.
/// Stock rows: PROPOSED = 1, CONFIRMED = 2 (the only confirmed one), DISABLED = 3,
/// NEED_UPDATE = 4.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct TestCaseStatus {
    /// The id.
    pub id: TestCaseStatusId,
    /// The name (`CONFIRMED`).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Free text (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Whether cases with this status may be added to runs (`TestRun.add_case` refuses the
    /// others: `TC-2 status is not confirmed`). False when the server leaves it out.
    #[serde(default, deserialize_with = "null_default")]
    pub is_confirmed: bool,
}

/// Test case status methods; from [`Client::test_case_statuses`].
#[derive(Debug, Clone, Copy)]
pub struct TestCaseStatuses<'c> {
    client: &'c Client,
}

impl Client {
    /// Test case status methods (`TestCaseStatus.*`).
    pub fn test_case_statuses(&self) -> TestCaseStatuses<'_> {
        TestCaseStatuses { client: self }
    }
}

impl TestCaseStatuses<'_> {
    /// `TestCaseStatus.filter(query)`: every status that matches (e.g.
    /// `{"is_confirmed": true}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<TestCaseStatus>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `TestCaseStatus.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<TestCaseStatus>> {
        filter_call("TestCaseStatus.filter", query)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes() {
        let rows: Vec<TestCaseStatus> = serde_json::from_value(json!([
            {"id": 2, "name": "CONFIRMED", "description": "", "is_confirmed": true},
            {"id": 1, "name": "PROPOSED"},
        ]))
        .unwrap();
        assert_eq!(rows[0].id, TestCaseStatusId::new(2));
        assert!(rows[0].is_confirmed);
        assert!(!rows[1].is_confirmed);
        assert_eq!(
            TestCaseStatuses::filter_call(Query::new().eq("is_confirmed", true)).params(),
            &json!([{"is_confirmed": true}])
        );
    }
}
