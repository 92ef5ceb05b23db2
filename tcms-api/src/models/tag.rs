//! `Tag`: the labels of runs (and, from Kiwi 16.1, of executions): `Tag.filter`, and the lists
//! `add_tag` returns.

use serde::Deserialize;

use super::common::{filter_call, null_default};
use crate::client::Client;
use crate::error::Error;
use crate::ids::{TagId, TestRunId};
use crate::query::Query;
use crate::rpc::Call;

/// A tag as `TestRun.add_tag` / `remove_tag` return them (`{"id", "name"}`), or as a row of
/// `Tag.filter`.
///
/// `Tag.filter` gives `{"id", "name", "case", "plan", "run", "bugs"}`: **one row per tagged
/// record** (a tag on three runs is three rows, each with its `run`), and a filter on a
/// relation (`run__in`, `run__plan`) keeps only the rows of the records it matched. So
/// `Tag.filter({"run__plan": 5, "name__startswith": "tcms-profile:"})` lists the profile tags
/// of every run of plan 5, with the run each one is on, in one call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Tag {
    /// The id.
    pub id: TagId,
    /// The name, unique.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The run this row is about (only from `Tag.filter`; `None` for a tag of a case or plan).
    #[serde(default)]
    pub run: Option<TestRunId>,
}

/// Tag methods; from [`Client::tags`].
#[derive(Debug, Clone, Copy)]
pub struct Tags<'c> {
    client: &'c Client,
}

impl Client {
    /// Tag methods (`Tag.*`).
    pub fn tags(&self) -> Tags<'_> {
        Tags { client: self }
    }
}

impl Tags<'_> {
    /// `Tag.filter(query)`: one row per tag and tagged record (see [`Tag`]).
    pub async fn filter(&self, query: Query) -> Result<Vec<Tag>, Error> {
        self.client.send(Self::filter_call(query)).await
    }

    /// The `Tag.filter` call, to send in a batch.
    pub fn filter_call(query: Query) -> Call<Vec<Tag>> {
        filter_call("Tag.filter", query)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_filter_rows_and_add_tag_lists() {
        let rows: Vec<Tag> = serde_json::from_value(json!([
            {"id": 1, "name": "tcms-profile:py27", "case": null, "plan": null, "run": 7,
             "bugs": null},
            {"id": 1, "name": "tcms-profile:py27", "case": 3, "plan": null, "run": null},
        ]))
        .unwrap();
        assert_eq!(rows[0].run, Some(TestRunId::new(7)));
        assert_eq!(rows[1].run, None);
        let added: Vec<Tag> = serde_json::from_value(json!([{"id": 2, "name": "n"}])).unwrap();
        assert_eq!(added[0].run, None);
        let call = Tags::filter_call(Query::new().eq("run", TestRunId::new(7)));
        assert_eq!(call.method(), "Tag.filter");
        assert_eq!(call.params(), &json!([{"run": 7}]));
        assert!(call.is_retry_safe());
    }
}
