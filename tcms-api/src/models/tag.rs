//! `Tag`: the labels of runs (and, from Kiwi 16.1, of executions), as `add_tag` returns them.

use serde::Deserialize;

use super::common::null_default;
use crate::ids::TagId;

/// A tag as `TestRun.add_tag` / `remove_tag` return them: `{"id", "name"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Tag {
    /// The id.
    pub id: TagId,
    /// The name, unique.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}
