//! Test plan type: `PlanType` (`PlanType.filter`, `.create`).

use serde::{Deserialize, Serialize};

use super::common::{filter_call, null_default, values_call};
use crate::client::Client;
use crate::error::Error;
use crate::ids::PlanTypeId;
use crate::query::Query;
use crate::rpc::Call;

/// A plan type as Kiwi returns it: `{"id", "name", "description"}`. Stock rows: Unit = 1,
/// Integration = 2, Function = 3, System = 4, Acceptance = 5, Installation = 6,
/// Performance = 7, Product = 8, Interoperability = 9, Smoke = 10, Regression = 11.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct PlanType {
    /// The id.
    pub id: PlanTypeId,
    /// The unique name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Free text (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
}

/// Input of `PlanType.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPlanType {
    /// The unique name (required).
    pub name: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewPlanType {
    /// A plan type named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
        }
    }
}

/// Plan type methods; from [`Client::plan_types`].
#[derive(Debug, Clone, Copy)]
pub struct PlanTypes<'c> {
    client: &'c Client,
}

impl Client {
    /// Test plan type methods (`PlanType.*`).
    pub fn plan_types(&self) -> PlanTypes<'_> {
        PlanTypes { client: self }
    }
}

impl PlanTypes<'_> {
    /// `PlanType.filter(query)`: every plan type that matches (e.g. `{"name": "Unit"}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<PlanType>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `PlanType.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<PlanType>> {
        filter_call("PlanType.filter", query)
    }

    /// `PlanType.create(values)`.
    pub async fn create(&self, new: &NewPlanType) -> Result<PlanType, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `PlanType.create` call, to send in a batch.
    pub fn create_call(new: &NewPlanType) -> Call<PlanType> {
        values_call("PlanType.create", new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_and_encodes() {
        let rows: Vec<PlanType> = serde_json::from_value(json!([
            {"id": 1, "name": "Unit", "description": ""},
            {"id": 12, "name": "Custom"},
        ]))
        .unwrap();
        assert_eq!(rows[0].id, PlanTypeId::new(1));
        assert_eq!(rows[1].name, "Custom");
        assert_eq!(
            PlanTypes::create_call(&NewPlanType::new("Custom")).params(),
            &json!([{"name": "Custom"}])
        );
    }
}
