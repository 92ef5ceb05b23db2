//! Django lookups over rows (`select`), ids, and dates as Kiwi writes them.

use chrono::{NaiveDateTime, Timelike};
use serde_json::{Map, Value};

use crate::fake::{HandlerResult, RpcFault};

/// A record as a filter returns it, and the lookups it answers beyond its own keys.
pub(crate) struct Row {
    out: Map<String, Value>,
    extra: Vec<(&'static str, Vec<Value>)>,
}

impl Row {
    pub(crate) fn new(out: Value) -> Self {
        let out = match out {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Self {
            out,
            extra: Vec::new(),
        }
    }

    pub(crate) fn with(mut self, key: &'static str, values: Vec<Value>) -> Self {
        self.extra.push((key, values));
        self
    }

    /// The values of a lookup field (`pk` is `id`), `None` when the record has no such field.
    pub(crate) fn values(&self, field: &str) -> Option<Vec<Value>> {
        let field = if field == "pk" { "id" } else { field };
        if let Some(v) = self.out.get(field) {
            return Some(vec![v.clone()]);
        }
        self.extra
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.clone())
    }
}

/// The ids of the records whose name is `name`.
pub(crate) fn by_name<T>(rows: &[T], key: impl Fn(&T) -> (i64, &String), name: &str) -> Vec<i64> {
    rows.iter()
        .map(key)
        .filter(|(_, n)| n.as_str() == name)
        .map(|(id, _)| id)
        .collect()
}

/// The next id of a table.
pub(crate) fn next_id(ids: impl Iterator<Item = i64>) -> i64 {
    ids.max().unwrap_or(0) + 1
}

/// Drops the fractions of a second.
/// A date as Django's JSON encoder writes it: ISO, milliseconds only when there are any.
pub fn date_json(at: Option<NaiveDateTime>) -> Value {
    match at {
        None => Value::Null,
        Some(at) => {
            let mut text = at.format("%Y-%m-%dT%H:%M:%S").to_string();
            let micros = at.nanosecond() / 1_000;
            if micros != 0 {
                text.push_str(&format!(".{:03}", micros / 1_000));
            }
            Value::String(text)
        }
    }
}

/// A date field of an RPC form: absent is `None`, null clears (`Some(None)`), text must be
/// naive (Kiwi runs with `USE_TZ=False`).
/// A positional (or named) argument.
/// An id argument.
/// The `values` object argument.
/// A text value as a Django form cleans it: NUL characters refused, surrounding whitespace
/// (Python's `str.strip`) dropped.
/// A required text value, cleaned; blank is missing.
/// A required foreign key.
/// An optional text value, cleaned.
/// A number, or text holding one.
pub(crate) fn as_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Equality the way Django compares a lookup value with a column: `"5"` equals `5`.
pub(crate) fn loose_eq(column: &Value, wanted: &Value) -> bool {
    match (column, wanted) {
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            as_id(column).is_some() && as_id(column) == as_id(wanted)
        }
        _ => column == wanted,
    }
}

/// The lookups Django knows but the in-memory server does not emulate.
pub(crate) const OTHER_LOOKUPS: &[&str] = &[
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "gt",
    "gte",
    "lt",
    "lte",
    "isnull",
    "range",
    "regex",
];

/// How a filter condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Exact,
    In,
    Contains,
    StartsWith,
}

/// Runs a Django-style `filter(query)` over `rows`.
pub(crate) fn select(
    model: &str,
    fields: &[&str],
    rows: Vec<Row>,
    params: &Value,
) -> HandlerResult {
    let query = match params {
        Value::Null => Map::new(),
        Value::Array(items) => match items.first() {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(q)) => q.clone(),
            Some(other) => {
                return Err(RpcFault::internal(format!(
                    "'{}' object has no attribute 'items'",
                    json_type(other)
                )));
            }
        },
        Value::Object(named) => match named.get("query") {
            Some(Value::Object(q)) => q.clone(),
            _ => Map::new(),
        },
        other => {
            return Err(RpcFault::invalid_params(format!(
                "unexpected params {other}"
            )));
        }
    };
    let mut conditions = Vec::new();
    for (key, wanted) in &query {
        let (field, is_in) = match key.strip_suffix("__in") {
            Some(field) => (field, true),
            None => (key.as_str(), false),
        };
        // `__contains` on text (the engine finds a run again by a token in its notes), and
        // `__startswith` (the readers find profile tags by their prefix).
        if let (Some(field), false) = (field.strip_suffix("__contains"), is_in)
            && fields.contains(&field)
        {
            conditions.push((field, Match::Contains, wanted));
            continue;
        }
        if let (Some(field), false) = (field.strip_suffix("__startswith"), is_in)
            && fields.contains(&field)
        {
            conditions.push((field, Match::StartsWith, wanted));
            continue;
        }
        if let Some((_, lookup)) = field.rsplit_once("__")
            && OTHER_LOOKUPS.contains(&lookup)
        {
            return Err(RpcFault::internal(format!(
                "Unsupported lookup '{lookup}' in this fake for {model}.{key}"
            )));
        }
        if field != "pk" && !fields.contains(&field) {
            let mut choices: Vec<&str> = fields.to_vec();
            choices.sort_unstable();
            return Err(RpcFault::internal(format!(
                "Cannot resolve keyword '{field}' into field. Choices are: {}",
                choices.join(", ")
            )));
        }
        if is_in && !wanted.is_array() {
            return Err(RpcFault::internal(format!(
                "'{}' object is not iterable",
                json_type(wanted)
            )));
        }
        conditions.push((field, if is_in { Match::In } else { Match::Exact }, wanted));
    }
    let mut out = Vec::new();
    for row in rows {
        let keep = conditions.iter().all(|(field, how, wanted)| {
            let Some(values) = row.values(field) else {
                return false;
            };
            values.iter().any(|column| match (how, wanted) {
                (Match::In, Value::Array(options)) => options.iter().any(|w| loose_eq(column, w)),
                (Match::Contains, Value::String(part)) => column
                    .as_str()
                    .is_some_and(|text| text.contains(part.as_str())),
                (Match::StartsWith, Value::String(part)) => column
                    .as_str()
                    .is_some_and(|text| text.starts_with(part.as_str())),
                _ => loose_eq(column, wanted),
            })
        });
        if keep {
            out.push(Value::Object(row.out));
        }
    }
    Ok(Value::Array(out))
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
