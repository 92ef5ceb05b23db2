//! `Classification`: the family a product belongs to (`Classification.filter`, `.create`).

use serde::{Deserialize, Serialize};

use super::common::{filter_call, null_default, values_call};
use crate::client::Client;
use crate::error::Error;
use crate::ids::ClassificationId;
use crate::query::Query;
use crate::rpc::Call;

/// A classification as Kiwi returns it: `{"id", "name"}`.
///
/// A fresh Kiwi database has none, and `Product.create` needs one.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Classification {
    /// The id.
    pub id: ClassificationId,
    /// The unique name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}

/// Input of `Classification.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewClassification {
    /// The unique name (required).
    pub name: String,
}

impl NewClassification {
    /// A classification named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

/// Classification methods; from [`Client::classifications`].
#[derive(Debug, Clone, Copy)]
pub struct Classifications<'c> {
    client: &'c Client,
}

impl Client {
    /// Classification methods (`Classification.*`).
    pub fn classifications(&self) -> Classifications<'_> {
        Classifications { client: self }
    }
}

impl Classifications<'_> {
    /// `Classification.filter(query)`: every classification that matches.
    pub async fn filter(&self, query: Query) -> Result<Vec<Classification>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `Classification.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<Classification>> {
        filter_call("Classification.filter", query)
    }

    /// `Classification.create(values)`.
    pub async fn create(&self, new: &NewClassification) -> Result<Classification, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `Classification.create` call, to send in a batch.
    pub fn create_call(new: &NewClassification) -> Call<Classification> {
        values_call("Classification.create", new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_and_encodes() {
        let rows: Vec<Classification> =
            serde_json::from_value(json!([{"id": 1, "name": "probe"}, {"id": 2}])).unwrap();
        assert_eq!(rows[0].id, ClassificationId::new(1));
        assert_eq!(rows[0].name, "probe");
        assert_eq!(rows[1].name, "");
        let call = Classifications::create_call(&NewClassification::new("c"));
        assert_eq!(call.method(), "Classification.create");
        assert_eq!(call.params(), &json!([{"name": "c"}]));
    }
}
