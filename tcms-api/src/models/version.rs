//! Product `Version` (`Version.filter`, `.create`).

use serde::{Deserialize, Serialize};

use super::common::{filter_call, null_default, values_call};
use crate::client::Client;
use crate::error::Error;
use crate::ids::{ProductId, VersionId};
use crate::query::Query;
use crate::rpc::Call;

/// A product version as Kiwi returns it: `{"id", "value", "product", "product__name"}`
/// (`product__name` only from `filter`).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Version {
    /// The id.
    pub id: VersionId,
    /// The version text, unique per product (`1.0`, `unspecified`).
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
    /// The product.
    #[serde(default)]
    pub product: Option<ProductId>,
    /// The product name (`product__name`; only from `Version.filter`).
    #[serde(default, rename = "product__name")]
    pub product_name: Option<String>,
}

/// Input of `Version.create`. Also creates a Build `unspecified` for the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewVersion {
    /// The product (required).
    pub product: ProductId,
    /// The version text, unique per product (required).
    pub value: String,
}

impl NewVersion {
    /// Version `value` of `product`.
    pub fn new(product: ProductId, value: impl Into<String>) -> Self {
        Self {
            product,
            value: value.into(),
        }
    }
}

/// Version methods; from [`Client::versions`].
#[derive(Debug, Clone, Copy)]
pub struct Versions<'c> {
    client: &'c Client,
}

impl Client {
    /// Product version methods (`Version.*`).
    pub fn versions(&self) -> Versions<'_> {
        Versions { client: self }
    }
}

impl Versions<'_> {
    /// `Version.filter(query)`: every version that matches (e.g. `{"product": id, "value": v}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<Version>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `Version.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<Version>> {
        filter_call("Version.filter", query)
    }

    /// `Version.create(values)`. An existing value for the product is refused
    /// ([`crate::RpcError::is_duplicate`]).
    pub async fn create(&self, new: &NewVersion) -> Result<Version, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `Version.create` call, to send in a batch.
    pub fn create_call(new: &NewVersion) -> Call<Version> {
        values_call("Version.create", new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_filter_and_create_shapes() {
        let rows: Vec<Version> = serde_json::from_value(json!([
            {"id": 1, "value": "unspecified", "product": 1, "product__name": "p"},
            {"id": 2, "value": "1.0", "product": 1},
        ]))
        .unwrap();
        assert_eq!(rows[0].product_name.as_deref(), Some("p"));
        assert_eq!(rows[1].id, VersionId::new(2));
        assert_eq!(rows[1].value, "1.0");
        assert_eq!(rows[1].product, Some(ProductId::new(1)));
        assert_eq!(rows[1].product_name, None);
    }

    #[test]
    fn create_params() {
        let call = Versions::create_call(&NewVersion::new(ProductId::new(1), "1.0"));
        assert_eq!(call.method(), "Version.create");
        assert_eq!(call.params(), &json!([{"product": 1, "value": "1.0"}]));
    }
}
