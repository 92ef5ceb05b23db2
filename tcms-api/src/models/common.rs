//! What the family files share: sending a [`Call`] and decoding its result, building
//! parameters, and the tolerant serde helpers for Kiwi's JSON.

use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use tracing::error;

use crate::query::Query;
use crate::rpc::Call;

/// A `*.filter(query)` call.
pub(crate) fn filter_call<T>(method: &str, query: Query) -> Call<T> {
    Call::new(method, Value::Array(vec![query.into_value()]))
}

/// A call whose only parameter is `values` (`*.create(values)`).
pub(crate) fn values_call<T, V: Serialize>(method: &str, values: &V) -> Call<T> {
    Call::new(method, Value::Array(vec![to_value(method, values)]))
}

/// A call with an id and a values dict (`*.update(id, values)`).
pub(crate) fn id_values_call<T, V: Serialize>(method: &str, id: Value, values: &V) -> Call<T> {
    Call::new(method, Value::Array(vec![id, to_value(method, values)]))
}

/// A call with positional parameters that are already JSON.
pub(crate) fn positional_call<T>(method: &str, params: Vec<Value>) -> Call<T> {
    Call::new(method, Value::Array(params))
}

/// Serializes an input struct of this module. They hold only strings, numbers, booleans and
/// ids, which always serialize; should one ever fail, the call carries `null` and the server
/// refuses it, instead of the library panicking.
pub(crate) fn to_value<T: Serialize>(method: &str, values: &T) -> Value {
    serde_json::to_value(values).unwrap_or_else(|e| {
        error!(method, "cannot serialize the parameters: {e}");
        Value::Null
    })
}

/// `null` or a missing key become `T::default()` (Kiwi sends `null` for empty text fields
/// such as `extra_link` and `requirement`). Use with `#[serde(default)]`.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// `true`: the default of `is_active` flags when a server leaves them out.
pub(crate) fn yes() -> bool {
    true
}

/// An `is_active` flag: `null` counts as active. Use with `#[serde(default = "yes")]`.
pub(crate) fn bool_or_true<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Option::<bool>::deserialize(deserializer).map(|b| b.unwrap_or(true))
}

/// A Django `DurationField` as Kiwi returns it, which depends on the method: seconds as a
/// number (`5.0`, `filter`), Python's `str(timedelta)` (`"0:00:05"`, `"1 day, 1:01:01.250000"`,
/// `create`/`update`), `"None"`, or `null`.
///
/// `null`, `"None"`, negative values and text in no known form are `None`: no reporting
/// decision depends on a duration, so an odd one must not fail the call.
pub(crate) fn duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    deserializer.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = Option<Duration>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a duration in seconds, a Python timedelta string, or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).ok().map(Duration::from_secs))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Duration::from_secs(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Duration::try_from_secs_f64(v).ok())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(parse_timedelta(v))
    }
}

/// Reads Python's `str(timedelta)`: `[D day[s], ]H:MM:SS[.ffffff]`, or plain seconds.
pub(crate) fn parse_timedelta(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() || text == "None" {
        return None;
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let (days, clock) = match text.split_once(", ") {
        Some((days, clock)) => {
            let count = days
                .strip_suffix(" days")
                .or_else(|| days.strip_suffix(" day"))?;
            (count.trim().parse::<i64>().ok()?, clock)
        }
        None => (0, text),
    };
    let mut parts = clock.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(0..60).contains(&minutes) || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let whole = days
        .checked_mul(86_400)?
        .checked_add(hours.checked_mul(3_600)?)?
        .checked_add(minutes * 60)?;
    // `-1 day, 23:59:55` is minus five seconds: not a duration we can hold.
    let whole = u64::try_from(whole).ok()?;
    Some(Duration::from_secs(whole) + Duration::try_from_secs_f64(seconds).ok()?)
}

/// Writes an optional duration as seconds: an integer when whole, else a float (Django reads
/// both: `5` and `90061.25`). Use with `skip_serializing_if = "Option::is_none"`.
pub(crate) fn duration_seconds<S: Serializer>(
    value: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        None => serializer.serialize_none(),
        Some(d) if d.subsec_nanos() == 0 => serializer.serialize_u64(d.as_secs()),
        Some(d) => serializer.serialize_f64(d.as_secs_f64()),
    }
}

/// A value Kiwi sends as a number in one method and as a string in another
/// (django_comments' `object_pk`: `1` from `add_comment`, `"1"` from `get_comments`), as text.
pub(crate) fn text_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(TextOrNumberVisitor)
}

struct TextOrNumberVisitor;

impl<'de> Visitor<'de> for TextOrNumberVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, a number or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct Durations {
        #[serde(
            default,
            deserialize_with = "duration",
            serialize_with = "duration_seconds"
        )]
        d: Option<Duration>,
    }

    fn read(v: Value) -> Option<Duration> {
        serde_json::from_value::<Durations>(v).unwrap().d
    }

    #[test]
    fn durations_from_numbers_strings_and_null() {
        let s = Duration::from_secs;
        assert_eq!(read(json!({"d": 5.0})), Some(s(5)));
        assert_eq!(read(json!({"d": 5})), Some(s(5)));
        assert_eq!(read(json!({"d": 1.5})), Some(Duration::from_millis(1500)));
        assert_eq!(read(json!({"d": null})), None);
        assert_eq!(read(json!({})), None);
        assert_eq!(read(json!({"d": "None"})), None);
        assert_eq!(read(json!({"d": ""})), None);
        assert_eq!(read(json!({"d": "0:00:05"})), Some(s(5)));
        assert_eq!(
            read(json!({"d": "2:03:04"})),
            Some(s(2 * 3600 + 3 * 60 + 4))
        );
        assert_eq!(
            read(json!({"d": "1 day, 1:01:01.250000"})),
            Some(s(90_061) + Duration::from_millis(250))
        );
        assert_eq!(read(json!({"d": "3 days, 0:00:00"})), Some(s(3 * 86_400)));
        assert_eq!(
            read(json!({"d": "90061.25"})),
            Some(Duration::from_secs_f64(90_061.25))
        );
        // Negative and unknown forms do not fail the record.
        assert_eq!(read(json!({"d": -1.5})), None);
        assert_eq!(read(json!({"d": -3})), None);
        assert_eq!(read(json!({"d": "-1 day, 23:59:55"})), None);
        assert_eq!(read(json!({"d": "P0DT00H00M05S"})), None);
        assert_eq!(read(json!({"d": "0:61:00"})), None);
        assert_eq!(read(json!({"d": "1:2:3:4"})), None);
    }

    #[test]
    fn durations_serialize_as_seconds() {
        let write = |d| serde_json::to_value(Durations { d }).unwrap();
        assert_eq!(write(Some(Duration::from_secs(5))), json!({"d": 5}));
        assert_eq!(write(Some(Duration::from_millis(1500))), json!({"d": 1.5}));
        assert_eq!(write(None), json!({"d": null}));
    }

    #[derive(Debug, Deserialize)]
    struct Loose {
        #[serde(default, deserialize_with = "null_default")]
        text: String,
        #[serde(default = "yes", deserialize_with = "bool_or_true")]
        active: bool,
        #[serde(default, deserialize_with = "text_or_number")]
        pk: Option<String>,
    }

    #[test]
    fn tolerant_scalars() {
        let l: Loose =
            serde_json::from_value(json!({"text": null, "active": null, "pk": 1})).unwrap();
        assert_eq!(
            (l.text.as_str(), l.active, l.pk.as_deref()),
            ("", true, Some("1"))
        );
        let l: Loose = serde_json::from_value(json!({})).unwrap();
        assert_eq!((l.text.as_str(), l.active, l.pk), ("", true, None));
        let l: Loose =
            serde_json::from_value(json!({"text": "t", "active": false, "pk": "7"})).unwrap();
        assert_eq!(
            (l.text.as_str(), l.active, l.pk.as_deref()),
            ("t", false, Some("7"))
        );
        assert!(serde_json::from_value::<Loose>(json!({"text": 5})).is_err());
    }

    #[test]
    fn calls_carry_positional_params() {
        let call: Call<Value> = filter_call("Product.filter", Query::new().eq("name", "p"));
        assert_eq!(call.method(), "Product.filter");
        assert_eq!(call.params(), &json!([{"name": "p"}]));
        let call: Call<Value> = id_values_call("TestRun.update", json!(5), &json!({"notes": "n"}));
        assert_eq!(call.params(), &json!([5, {"notes": "n"}]));
        let call: Call<Value> = values_call("Product.create", &json!({"name": "p"}));
        assert_eq!(call.params(), &json!([{"name": "p"}]));
    }
}
