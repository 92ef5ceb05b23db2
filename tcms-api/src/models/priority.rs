//! Test case `Priority` (`Priority.filter`).

use serde::Deserialize;

use super::common::{bool_or_true, filter_call, null_default, yes};
use crate::client::Client;
use crate::error::Error;
use crate::ids::PriorityId;
use crate::query::Query;
use crate::rpc::Call;

/// A priority as Kiwi returns it: `{"id", "value", "is_active"}`; stock rows are `P1`..`P5`
/// with ids 1..5.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Priority {
    /// The id.
    pub id: PriorityId,
    /// The label (`P1`).
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
    /// Whether it may be chosen. True when the server leaves it out.
    #[serde(default = "yes", deserialize_with = "bool_or_true")]
    pub is_active: bool,
}

/// Priority methods; from [`Client::priorities`].
#[derive(Debug, Clone, Copy)]
pub struct Priorities<'c> {
    client: &'c Client,
}

impl Client {
    /// Test case priority methods (`Priority.*`).
    pub fn priorities(&self) -> Priorities<'_> {
        Priorities { client: self }
    }
}

impl Priorities<'_> {
    /// `Priority.filter(query)`: every priority that matches.
    pub async fn filter(&self, query: Query) -> Result<Vec<Priority>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `Priority.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<Priority>> {
        filter_call("Priority.filter", query)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes() {
        let rows: Vec<Priority> = serde_json::from_value(json!([
            {"id": 1, "value": "P1", "is_active": true},
            {"id": 9, "value": "P9", "is_active": false, "extra": "x"},
        ]))
        .unwrap();
        assert_eq!(rows[0].id, PriorityId::new(1));
        assert_eq!(rows[0].value, "P1");
        assert!(rows[0].is_active);
        assert!(!rows[1].is_active);
        assert_eq!(Priorities::filter_call(Query::new()).params(), &json!([{}]));
    }
}
