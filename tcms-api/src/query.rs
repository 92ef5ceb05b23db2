//! [`Query`]: the Django lookup dict every Kiwi `*.filter` method takes.

use serde::Serialize;
use serde_json::{Map, Value};

/// A Django field lookup dict for Kiwi's `*.filter(query)` methods, e.g.
/// `{"summary": "login works", "category__product": 5, "pk__in": [1, 2]}`.
///
/// Keys are Django lookups: a field name (`name`), a relation path (`category__product`), and
/// optionally a lookup type (`__in`, `__icontains`, `__startswith`, `__isnull`, ...). All keys
/// must match (SQL `AND`). Kiwi returns **every** match, unpaged; the empty query matches all
/// records.
///
/// ```
/// use tcms_api::{ProductId, Query, TestCaseId};
///
/// let query = Query::new()
///     .eq("category__product", ProductId::new(5))
///     .any_of("pk", [TestCaseId::new(1), TestCaseId::new(2)])
///     .field("summary__startswith", "login");
/// assert_eq!(
///     serde_json::to_value(&query).unwrap(),
///     serde_json::json!({
///         "category__product": 5,
///         "pk__in": [1, 2],
///         "summary__startswith": "login",
///     }),
/// );
/// assert!(Query::new().is_empty());
/// ```
///
/// Values are sent as given: strings are matched raw on the server (Kiwi HTML-escapes only
/// what it returns), so pass the text as the user wrote it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Query {
    /// An object, unless converted from a [`Value`] that is neither an object nor `null`
    /// (then it is sent as is and the server refuses it).
    value: Value,
}

impl Query {
    /// The empty query: matches every record.
    pub fn new() -> Self {
        Self {
            value: Value::Object(Map::new()),
        }
    }

    /// Sets `lookup` (a key sent as is, e.g. `summary__in` or `run__plan`) to `value`.
    ///
    /// Setting the same key again replaces the value.
    pub fn field(mut self, lookup: impl Into<String>, value: impl Into<Value>) -> Self {
        // A query converted from a non-object value stays as it was: the server refuses it,
        // which is better than silently filtering on a part of it.
        if let Value::Object(map) = &mut self.value {
            map.insert(lookup.into(), value.into());
        }
        self
    }

    /// `field` equals `value` (exact match: the key is `field` itself).
    pub fn eq(self, field: &str, value: impl Into<Value>) -> Self {
        self.field(field, value)
    }

    /// `field` is one of `values` (`field__in`). An empty list matches nothing.
    pub fn any_of<I>(self, field: &str, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Value>,
    {
        let list: Vec<Value> = values.into_iter().map(Into::into).collect();
        self.field(format!("{field}__in"), list)
    }

    /// `field` contains `text`, ignoring case (`field__icontains`).
    pub fn icontains(self, field: &str, text: impl Into<String>) -> Self {
        self.field(format!("{field}__icontains"), text.into())
    }

    /// `field` is null (`true`) or not null (`false`) (`field__isnull`).
    pub fn is_null(self, field: &str, is_null: bool) -> Self {
        self.field(format!("{field}__isnull"), is_null)
    }

    /// True when the query has no key (it matches every record).
    pub fn is_empty(&self) -> bool {
        self.value.as_object().is_some_and(Map::is_empty)
    }

    /// The value set for `lookup`, if any.
    pub fn get(&self, lookup: &str) -> Option<&Value> {
        self.value.as_object().and_then(|map| map.get(lookup))
    }

    /// The lookup dict, or `None` when the query was converted from a JSON value that is not
    /// an object.
    pub fn as_map(&self) -> Option<&Map<String, Value>> {
        self.value.as_object()
    }

    /// The query as the JSON value sent to the server (`{}` for the empty query).
    pub fn into_value(self) -> Value {
        self.value
    }
}

impl Default for Query {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Map<String, Value>> for Query {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            value: Value::Object(map),
        }
    }
}

/// An object becomes the lookup dict and `null` the empty query. Any other value is kept and
/// sent as is, so the server refuses it instead of the call silently matching everything.
impl From<Value> for Query {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Self::new(),
            value => Self { value },
        }
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Query {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        iter.into_iter()
            .fold(Query::new(), |q, (k, v)| q.field(k, v))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ids::{ProductId, TestCaseId, TestRunId};

    #[test]
    fn empty_query_is_an_empty_object() {
        assert!(Query::new().is_empty());
        assert!(Query::default().is_empty());
        assert_eq!(serde_json::to_value(Query::new()).unwrap(), json!({}));
        assert_eq!(serde_json::to_value(Query::default()).unwrap(), json!({}));
        assert_eq!(Query::default().into_value(), json!({}));
        assert_eq!(Query::from(Value::Null).into_value(), json!({}));
    }

    #[test]
    fn builds_django_lookups() {
        let q = Query::new()
            .eq("summary", "a<b")
            .eq("category__product", ProductId::new(5))
            .any_of("pk", [TestCaseId::new(1), TestCaseId::new(2)])
            .icontains("name", "Smoke")
            .is_null("stop_date", true)
            .field("summary__in", vec!["x", "y"]);
        assert!(!q.is_empty());
        assert_eq!(q.get("category__product"), Some(&json!(5)));
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            json!({
                "summary": "a<b",
                "category__product": 5,
                "pk__in": [1, 2],
                "name__icontains": "Smoke",
                "stop_date__isnull": true,
                "summary__in": ["x", "y"],
            })
        );
    }

    #[test]
    fn later_value_replaces_earlier() {
        let q = Query::new()
            .eq("run", TestRunId::new(1))
            .eq("run", TestRunId::new(2));
        assert_eq!(q.into_value(), json!({"run": 2}));
    }

    #[test]
    fn converts_from_json_and_pairs() {
        let q = Query::from(json!({"plan": 3}));
        assert_eq!(q.as_map().map(Map::len), Some(1));
        let q = q.eq("summary", "s");
        assert_eq!(q.into_value(), json!({"plan": 3, "summary": "s"}));

        let q: Query = [("a", 1), ("b", 2)].into_iter().collect();
        assert_eq!(q.into_value(), json!({"a": 1, "b": 2}));

        let q = Query::from(Value::Null).eq("a", 1);
        assert_eq!(q.into_value(), json!({"a": 1}));
    }

    #[test]
    fn non_object_value_is_kept_for_the_server_to_refuse() {
        let q = Query::from(json!([1, 2])).eq("a", 1);
        assert!(!q.is_empty());
        assert!(q.as_map().is_none());
        assert_eq!(serde_json::to_value(&q).unwrap(), json!([1, 2]));
    }
}
