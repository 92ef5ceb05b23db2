//! Test case `Category` of a product (`Category.filter`, `.create`).

use serde::{Deserialize, Serialize};

use super::common::{filter_call, null_default, values_call};
use crate::client::Client;
use crate::error::Error;
use crate::ids::{CategoryId, ProductId};
use crate::query::Query;
use crate::rpc::Call;

/// A category as Kiwi returns it: `{"id", "name", "product", "description"}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Category {
    /// The id.
    pub id: CategoryId,
    /// The name, unique per product (every product has `--default--`).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The product.
    #[serde(default)]
    pub product: Option<ProductId>,
    /// Free text (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
}

/// Input of `Category.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCategory {
    /// The name, unique per product (required).
    pub name: String,
    /// The product (required).
    pub product: ProductId,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewCategory {
    /// Category `name` of `product`.
    pub fn new(name: impl Into<String>, product: ProductId) -> Self {
        Self {
            name: name.into(),
            product,
            description: None,
        }
    }
}

/// Category methods; from [`Client::categories`].
#[derive(Debug, Clone, Copy)]
pub struct Categories<'c> {
    client: &'c Client,
}

impl Client {
    /// Test case category methods (`Category.*`).
    pub fn categories(&self) -> Categories<'_> {
        Categories { client: self }
    }
}

impl Categories<'_> {
    /// `Category.filter(query)`: every category that matches (e.g. `{"product": id}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<Category>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `Category.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<Category>> {
        filter_call("Category.filter", query)
    }

    /// `Category.create(values)`.
    pub async fn create(&self, new: &NewCategory) -> Result<Category, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `Category.create` call, to send in a batch.
    pub fn create_call(new: &NewCategory) -> Call<Category> {
        values_call("Category.create", new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_and_encodes() {
        let rows: Vec<Category> = serde_json::from_value(json!([
            {"id": 1, "name": "--default--", "product": 1, "description": ""},
            {"id": 2, "name": "cat2", "product": 1},
        ]))
        .unwrap();
        assert_eq!(rows[0].name, "--default--");
        assert_eq!(rows[1].id, CategoryId::new(2));
        assert_eq!(rows[1].product, Some(ProductId::new(1)));
        assert_eq!(
            Categories::create_call(&NewCategory::new("c", ProductId::new(1))).params(),
            &json!([{"name": "c", "product": 1}])
        );
    }
}
