//! `Link`: a URL attached to a test execution (Kiwi's `LinkReference`;
//! `TestExecution.add_link`, `.get_links`; the methods are on
//! [`crate::models::TestExecutions`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::null_default;
use crate::ids::{LinkId, TestExecutionId};

/// A link as Kiwi returns it: `{"id", "execution", "name", "url", "is_defect"}`, plus
/// `created_on` from `get_links`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Link {
    /// The id.
    pub id: LinkId,
    /// The execution it is attached to.
    #[serde(default)]
    pub execution: Option<TestExecutionId>,
    /// The label (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The URL.
    #[serde(default, deserialize_with = "null_default")]
    pub url: String,
    /// Whether it points at a defect in a bug tracker.
    #[serde(default, deserialize_with = "null_default")]
    pub is_defect: bool,
    /// When it was added (UTC; only from `get_links`).
    #[serde(default, with = "crate::datetime::option")]
    pub created_on: Option<DateTime<Utc>>,
}

/// Input of `TestExecution.add_link(values, update_tracker)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewLink {
    /// The execution (required; sent as `execution_id`).
    #[serde(rename = "execution_id")]
    pub execution: TestExecutionId,
    /// The URL (required; must be a valid URL).
    pub url: String,
    /// A label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether it points at a defect (the server's default: false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_defect: Option<bool>,
    /// Ask Kiwi to comment on the issue in a configured bug tracker (the second argument of
    /// `add_link`; the server then contacts that tracker). Default false.
    #[serde(skip)]
    pub update_tracker: bool,
}

impl NewLink {
    /// A link to `url` on `execution`.
    pub fn new(execution: TestExecutionId, url: impl Into<String>) -> Self {
        Self {
            execution,
            url: url.into(),
            name: None,
            is_defect: None,
            update_tracker: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_add_link_and_get_links_shapes() {
        let link: Link = serde_json::from_value(json!({
            "id": 1, "execution": 1, "name": "L", "url": "https://example.com/a?b=1&c=2",
            "is_defect": false
        }))
        .unwrap();
        assert_eq!(link.id, LinkId::new(1));
        assert_eq!(link.execution, Some(TestExecutionId::new(1)));
        assert_eq!(link.created_on, None);
        let rows: Vec<Link> = serde_json::from_value(json!([{
            "id": 1, "name": "L", "url": "https://example.com/", "execution": 1,
            "created_on": "2026-11-23T03:49:55.980", "is_defect": true
        }]))
        .unwrap();
        assert!(rows[0].is_defect);
        assert!(rows[0].created_on.is_some());
    }

    #[test]
    fn encodes_new_link() {
        let mut new = NewLink::new(TestExecutionId::new(4), "https://ci.example.com/1");
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"execution_id": 4, "url": "https://ci.example.com/1"})
        );
        new.name = Some("CI job".into());
        new.is_defect = Some(false);
        new.update_tracker = true;
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"execution_id": 4, "url": "https://ci.example.com/1", "name": "CI job",
                   "is_defect": false})
        );
    }
}
