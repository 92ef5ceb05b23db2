//! `Product` (`Product.filter`, `.create`).

use serde::{Deserialize, Serialize};

use super::common::{filter_call, null_default, values_call};
use crate::client::Client;
use crate::error::Error;
use crate::ids::{ClassificationId, ProductId};
use crate::query::Query;
use crate::rpc::Call;

/// A product as Kiwi returns it: `{"id", "name", "description", "classification"}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Product {
    /// The id.
    pub id: ProductId,
    /// The unique name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Free text (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// The classification it belongs to.
    #[serde(default)]
    pub classification: Option<ClassificationId>,
}

/// Input of `Product.create`.
///
/// Creating a product also creates its Version `unspecified` (with a Build `unspecified`) and
/// its Category `--default--`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewProduct {
    /// The unique name (required).
    pub name: String,
    /// The classification (required).
    pub classification: ClassificationId,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewProduct {
    /// A product named `name` in `classification`.
    pub fn new(name: impl Into<String>, classification: ClassificationId) -> Self {
        Self {
            name: name.into(),
            classification,
            description: None,
        }
    }
}

/// Product methods; from [`Client::products`].
#[derive(Debug, Clone, Copy)]
pub struct Products<'c> {
    client: &'c Client,
}

impl Client {
    /// Product methods (`Product.*`).
    pub fn products(&self) -> Products<'_> {
        Products { client: self }
    }
}

impl Products<'_> {
    /// `Product.filter(query)`: every product that matches, ordered by id.
    pub async fn filter(&self, query: Query) -> Result<Vec<Product>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `Product.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<Product>> {
        filter_call("Product.filter", query)
    }

    /// `Product.create(values)`. A duplicate name is refused
    /// ([`crate::RpcError::is_duplicate`]).
    pub async fn create(&self, new: &NewProduct) -> Result<Product, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `Product.create` call, to send in a batch.
    pub fn create_call(new: &NewProduct) -> Call<Product> {
        values_call("Product.create", new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_filter_and_create_shapes() {
        // Product.filter (12.4 and 16.2), then Product.create (key order differs).
        let rows: Vec<Product> = serde_json::from_value(json!([
            {"id": 1, "name": "p", "description": "d<>", "classification": 1},
            {"id": 2, "name": "q", "classification": 1, "description": ""},
            {"id": 3, "name": "r", "description": null, "classification": null, "new": [1]},
        ]))
        .unwrap();
        assert_eq!(rows[0].id, ProductId::new(1));
        assert_eq!(rows[0].description, "d<>");
        assert_eq!(rows[1].classification, Some(ClassificationId::new(1)));
        assert_eq!(rows[2].description, "");
        assert_eq!(rows[2].classification, None);
    }

    #[test]
    fn create_skips_unset_fields() {
        let mut new = NewProduct::new("p", ClassificationId::new(4));
        assert_eq!(
            Products::create_call(&new).params(),
            &json!([{"name": "p", "classification": 4}])
        );
        new.description = Some("text".into());
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"name": "p", "classification": 4, "description": "text"})
        );
        assert_eq!(
            Products::filter_call(Query::new().eq("name", "p")).params(),
            &json!([{"name": "p"}])
        );
    }
}
