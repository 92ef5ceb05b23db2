//! Reading a handler's arguments as Kiwi's forms read them.

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde_json::{Map, Value};

use super::lookup::as_id;
use super::{INVALID_CHOICE, REQUIRED};
use crate::fake::RpcFault;

pub(crate) fn whole_seconds(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(0).unwrap_or(at)
}

pub(crate) fn date_arg(
    values: &Map<String, Value>,
    key: &str,
) -> Result<Option<Option<NaiveDateTime>>, RpcFault> {
    let text = match values.get(key) {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(None)),
        Some(Value::String(s)) => s.trim(),
        Some(_) => {
            return Err(RpcFault::validation(&[(
                key,
                &["Enter a valid date/time."],
            )]));
        }
    };
    let time_part = text.get(10..).unwrap_or("");
    if time_part.ends_with('Z') || time_part.contains('+') || time_part.contains('-') {
        return Err(RpcFault::internal(
            "SQLite backend does not support timezone-aware datetimes when USE_TZ is False.",
        ));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(Some(at)));
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Some(day.and_hms_opt(0, 0, 0)));
    }
    Err(RpcFault::internal(
        "Invalid date format. Expected YYYY-MM-DD [HH:MM:SS].",
    ))
}

pub(crate) fn invalid_choice(field: &str) -> RpcFault {
    RpcFault::validation(&[(field, &[INVALID_CHOICE])])
}

pub(crate) fn arg<'a>(params: &'a Value, index: usize, name: &str) -> Result<&'a Value, RpcFault> {
    let found = match params {
        Value::Array(items) => items.get(index),
        Value::Object(map) => map.get(name),
        _ => None,
    };
    found.ok_or_else(|| {
        RpcFault::invalid_params(format!("missing 1 required positional argument: '{name}'"))
    })
}

pub(crate) fn id_arg(params: &Value, index: usize, name: &str) -> Result<i64, RpcFault> {
    let value = arg(params, index, name)?;
    as_id(value).ok_or_else(|| {
        RpcFault::internal(format!("Field '{name}' expected a number but got {value}."))
    })
}

pub(crate) fn values_arg(params: &Value, index: usize) -> Result<&Map<String, Value>, RpcFault> {
    arg(params, index, "values")?
        .as_object()
        .ok_or_else(|| RpcFault::internal("'values' must be an object"))
}

pub(crate) fn clean_text(key: &str, text: &str) -> Result<String, RpcFault> {
    if text.contains('\0') {
        return Err(RpcFault::validation(&[(
            key,
            &["Null characters are not allowed."],
        )]));
    }
    Ok(text
        .trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
        .to_owned())
}

pub(crate) fn required_text(values: &Map<String, Value>, key: &str) -> Result<String, RpcFault> {
    let text = match values.get(key) {
        Some(Value::String(s)) => clean_text(key, s)?,
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if text.is_empty() {
        return Err(RpcFault::validation(&[(key, &[REQUIRED])]));
    }
    Ok(text)
}

pub(crate) fn required_id(values: &Map<String, Value>, key: &str) -> Result<i64, RpcFault> {
    match values.get(key) {
        None | Some(Value::Null) => Err(RpcFault::validation(&[(key, &[REQUIRED])])),
        Some(v) => as_id(v).ok_or_else(|| invalid_choice(key)),
    }
}

pub(crate) fn text_or_empty(values: &Map<String, Value>, key: &str) -> Result<String, RpcFault> {
    clean_text(
        key,
        values.get(key).and_then(Value::as_str).unwrap_or_default(),
    )
}
