//! `Build` of a product version (`Build.filter`, `.create`).

use serde::{Deserialize, Serialize};

use super::common::{bool_or_true, filter_call, null_default, values_call, yes};
use crate::client::Client;
use crate::error::Error;
use crate::ids::{BuildId, VersionId};
use crate::query::Query;
use crate::rpc::Call;

/// A build as Kiwi returns it: `{"id", "name", "version", "version__value", "is_active"}`
/// (`version__value` only from `filter`).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Build {
    /// The id.
    pub id: BuildId,
    /// The build name (`unspecified`, `1.0.3`, a CI build number).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The version it belongs to.
    #[serde(default)]
    pub version: Option<VersionId>,
    /// The version text (`version__value`; only from `Build.filter`).
    #[serde(default, rename = "version__value")]
    pub version_value: Option<String>,
    /// Whether new runs may use it (`TestRun.create` refuses an inactive build). True when
    /// the server leaves it out.
    #[serde(default = "yes", deserialize_with = "bool_or_true")]
    pub is_active: bool,
}

/// Input of `Build.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewBuild {
    /// The build name (required).
    pub name: String,
    /// The version (required).
    pub version: VersionId,
    /// Active or not (the server's default: active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

impl NewBuild {
    /// Build `name` of `version`.
    pub fn new(name: impl Into<String>, version: VersionId) -> Self {
        Self {
            name: name.into(),
            version,
            is_active: None,
        }
    }
}

/// Build methods; from [`Client::builds`].
#[derive(Debug, Clone, Copy)]
pub struct Builds<'c> {
    client: &'c Client,
}

impl Client {
    /// Build methods (`Build.*`).
    pub fn builds(&self) -> Builds<'_> {
        Builds { client: self }
    }
}

impl Builds<'_> {
    /// `Build.filter(query)`: every build that matches (e.g. `{"version": id, "name": n}`).
    pub async fn filter(&self, query: Query) -> Result<Vec<Build>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `Build.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<Build>> {
        filter_call("Build.filter", query)
    }

    /// `Build.create(values)`.
    pub async fn create(&self, new: &NewBuild) -> Result<Build, Error> {
        self.client.send(Self::create_call(new)).await
    }

    /// The `Build.create` call, to send in a batch.
    pub fn create_call(new: &NewBuild) -> Call<Build> {
        values_call("Build.create", new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_filter_and_create_shapes() {
        let rows: Vec<Build> = serde_json::from_value(json!([
            {"id": 2, "name": "unspecified", "version": 2, "version__value": "1.0", "is_active": true},
            {"id": 3, "name": "b1", "version": 2, "is_active": false},
            {"id": 4, "name": "b2", "version": 2},
        ]))
        .unwrap();
        assert_eq!(rows[0].version_value.as_deref(), Some("1.0"));
        assert_eq!(rows[1].id, BuildId::new(3));
        assert!(!rows[1].is_active);
        assert!(rows[2].is_active);
        assert_eq!(rows[2].version, Some(VersionId::new(2)));
    }

    #[test]
    fn create_params() {
        let mut new = NewBuild::new("b1", VersionId::new(2));
        assert_eq!(
            Builds::create_call(&new).params(),
            &json!([{"name": "b1", "version": 2}])
        );
        new.is_active = Some(false);
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"name": "b1", "version": 2, "is_active": false})
        );
    }
}
