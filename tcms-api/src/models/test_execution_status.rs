//! `TestExecutionStatus` (`TestExecutionStatus.filter`).

use serde::Deserialize;

use super::common::{filter_call, null_default};
use crate::client::Client;
use crate::error::Error;
use crate::ids::TestExecutionStatusId;
use crate::query::Query;
use crate::rpc::Call;

/// A test execution status as Kiwi returns it: `{"id", "name", "weight", "icon", "color"}`.
///
/// The `weight` says what the status means: positive is a pass (PASSED 20, WAIVED 10),
/// negative a failure (FAILED -30, ERROR -20, BLOCKED -10), zero not finished (IDLE, RUNNING,
/// PAUSED). Admins can rename statuses and add their own, so pick statuses by weight rather
/// than by name or id. The unfiltered list is not ordered by id.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct TestExecutionStatus {
    /// The id.
    pub id: TestExecutionStatusId,
    /// The name (`PASSED`).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Positive: passed; negative: failed; zero: not finished. 0 when the server leaves it
    /// out.
    #[serde(default, deserialize_with = "null_default")]
    pub weight: i64,
    /// The CSS icon class (`fa fa-check-circle-o`).
    #[serde(default, deserialize_with = "null_default")]
    pub icon: String,
    /// The colour (`#92d400`).
    #[serde(default, deserialize_with = "null_default")]
    pub color: String,
}

impl TestExecutionStatus {
    /// A passing status (weight above zero).
    pub fn is_positive(&self) -> bool {
        self.weight > 0
    }

    /// A failing status (weight below zero).
    pub fn is_negative(&self) -> bool {
        self.weight < 0
    }

    /// A status that says the execution is not finished (weight zero).
    pub fn is_neutral(&self) -> bool {
        self.weight == 0
    }
}

/// Test execution status methods; from [`Client::test_execution_statuses`].
#[derive(Debug, Clone, Copy)]
pub struct TestExecutionStatuses<'c> {
    client: &'c Client,
}

impl Client {
    /// Test execution status methods (`TestExecutionStatus.*`).
    pub fn test_execution_statuses(&self) -> TestExecutionStatuses<'_> {
        TestExecutionStatuses { client: self }
    }
}

impl TestExecutionStatuses<'_> {
    /// `TestExecutionStatus.filter(query)`: every status that matches (e.g.
    /// `{"weight__gt": 0}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<TestExecutionStatus>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `TestExecutionStatus.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<TestExecutionStatus>> {
        filter_call("TestExecutionStatus.filter", query)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_with_weight() {
        let rows: Vec<TestExecutionStatus> = serde_json::from_value(json!([
            {"id": 4, "name": "PASSED", "weight": 20, "icon": "fa fa-check-circle-o", "color": "#92d400"},
            {"id": 5, "name": "FAILED", "weight": -30, "icon": "fa fa-times-circle-o", "color": "#cc0000"},
            {"id": 1, "name": "IDLE", "weight": 0},
            {"id": 9, "name": "CUSTOM"},
        ]))
        .unwrap();
        assert_eq!(rows[0].id, TestExecutionStatusId::new(4));
        assert!(rows[0].is_positive());
        assert_eq!(rows[1].weight, -30);
        assert!(rows[1].is_negative());
        assert!(rows[2].is_neutral());
        assert!(rows[3].is_neutral());
        assert_eq!(rows[3].icon, "");
    }
}
