//! Dates as Kiwi TCMS reads and writes them.
//!
//! Kiwi runs Django with `USE_TZ = False` and `TIME_ZONE = UTC`: it stores and returns naive
//! datetimes that mean UTC, and refuses any offset on input (`Z` or `+00:00` gives
//! `SQLite backend does not support timezone-aware datetimes when USE_TZ is False`).
//!
//! * Sending: [`format_kiwi`] writes `YYYY-MM-DD HH:MM:SS`, plus `.ffffff` when the time has a
//!   fraction of a second.
//! * Receiving: [`parse_kiwi`] and the serde helper [`option`] read Kiwi's JSON-RPC output
//!   (`2026-11-23T02:13:36.211`, `2024-01-02T03:04:05`, also with a space, also `null`) as
//!   `Option<DateTime<Utc>>`.
//!
//! Kiwi stores microseconds but its JSON output carries milliseconds (`…05.123`), so a time
//! sent with microseconds comes back truncated to the millisecond.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};

/// Formats `at` for Kiwi: `2024-01-02 03:04:05`, or `2024-01-02 03:04:05.250000` when there is
/// a fraction of a second (microseconds, the precision Django stores; nanoseconds are dropped).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tcms_api::datetime::format_kiwi;
///
/// let at = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
/// assert_eq!(format_kiwi(at), "2024-01-02 03:04:05");
/// let later = at + chrono::Duration::milliseconds(250);
/// assert_eq!(format_kiwi(later), "2024-01-02 03:04:05.250000");
/// ```
pub fn format_kiwi(at: DateTime<Utc>) -> String {
    // A leap second is carried in the nanoseconds (>= 1e9); Kiwi cannot store it, so it is
    // folded into the last microsecond of that second.
    let micros = (at.nanosecond() / 1_000).min(999_999);
    let base = at.format("%Y-%m-%d %H:%M:%S");
    if micros == 0 {
        base.to_string()
    } else {
        format!("{base}.{micros:06}")
    }
}

/// Reads a datetime as Kiwi returns it, as UTC.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS` with an optional fraction, a space instead of the `T`, no
/// seconds (`HH:MM`), a bare date (midnight), and an explicit offset (`Z`, `+02:00`: converted
/// to UTC, for a server configured with `USE_TZ = True`). Returns `None` for anything else.
///
/// ```
/// use tcms_api::datetime::{format_kiwi, parse_kiwi};
///
/// let at = parse_kiwi("2026-11-23T02:13:36.211").unwrap();
/// assert_eq!(format_kiwi(at), "2026-11-23 02:13:36.211000");
/// assert_eq!(parse_kiwi("2026-11-23 02:13:36"), parse_kiwi("2026-11-23T02:13:36"));
/// assert!(parse_kiwi("yesterday").is_none());
/// ```
pub fn parse_kiwi(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|naive| naive.and_utc())
}

/// Serde helper for `Option<DateTime<Utc>>` fields in Kiwi's format:
/// `#[serde(with = "tcms_api::datetime::option", default)]`.
///
/// Deserializing accepts what [`parse_kiwi`] accepts, plus `null` and `""` (both `None`); any
/// other string is an error that names the value. Serializing writes [`format_kiwi`] or `null`
/// (pair it with `skip_serializing_if = "Option::is_none"` to leave the key out instead).
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de};

    use super::{format_kiwi, parse_kiwi};

    /// Writes `Some(at)` as [`format_kiwi`] text and `None` as `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => serializer.serialize_str(&format_kiwi(*at)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads Kiwi's naive ISO text (see [`parse_kiwi`]), `null` or `""`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        if text.trim().is_empty() {
            return Ok(None);
        }
        parse_kiwi(&text).map(Some).ok_or_else(|| {
            de::Error::invalid_value(
                de::Unexpected::Str(&text),
                &"a date and time like 2024-01-02T03:04:05.123",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 2, h, m, s).unwrap()
    }

    #[test]
    fn formats_without_offset_and_with_fractions_only_when_present() {
        assert_eq!(format_kiwi(at(3, 4, 5)), "2024-01-02 03:04:05");
        assert_eq!(
            format_kiwi(at(3, 4, 5) + Duration::milliseconds(500)),
            "2024-01-02 03:04:05.500000"
        );
        assert_eq!(
            format_kiwi(at(3, 4, 5) + Duration::microseconds(1)),
            "2024-01-02 03:04:05.000001"
        );
        // Below a microsecond there is nothing Kiwi can store.
        assert_eq!(
            format_kiwi(at(3, 4, 5) + Duration::nanoseconds(999)),
            "2024-01-02 03:04:05"
        );
        assert_eq!(
            format_kiwi(Utc.with_ymd_and_hms(999, 12, 31, 23, 59, 59).unwrap()),
            "0999-12-31 23:59:59"
        );
    }

    #[test]
    fn parses_kiwi_output() {
        let cases = [
            (
                "2026-11-23T02:13:36.211",
                Some((2026, 11, 23, 2, 13, 36, 211_000)),
            ),
            (
                "2026-11-23 02:13:36.211",
                Some((2026, 11, 23, 2, 13, 36, 211_000)),
            ),
            ("2024-01-02T03:04:05", Some((2024, 1, 2, 3, 4, 5, 0))),
            ("2024-01-02 03:04:05", Some((2024, 1, 2, 3, 4, 5, 0))),
            (
                "2024-01-02T03:04:05.123456",
                Some((2024, 1, 2, 3, 4, 5, 123_456)),
            ),
            ("2024-01-02T03:04", Some((2024, 1, 2, 3, 4, 0, 0))),
            ("2024-01-02", Some((2024, 1, 2, 0, 0, 0, 0))),
            ("2024-01-02T03:04:05Z", Some((2024, 1, 2, 3, 4, 5, 0))),
            ("2024-01-02T05:04:05+02:00", Some((2024, 1, 2, 3, 4, 5, 0))),
            (" 2024-01-02 03:04:05 ", Some((2024, 1, 2, 3, 4, 5, 0))),
            ("yesterday", None),
            ("2024-13-02 03:04:05", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let expected = expected.map(|(y, mo, d, h, mi, s, us)| {
                Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap() + Duration::microseconds(us)
            });
            assert_eq!(parse_kiwi(text), expected, "{text:?}");
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        for t in [
            at(0, 0, 0),
            at(23, 59, 59) + Duration::microseconds(999_999),
            at(12, 0, 1) + Duration::milliseconds(1),
        ] {
            assert_eq!(parse_kiwi(&format_kiwi(t)), Some(t));
        }
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "option", default)]
        date: Option<DateTime<Utc>>,
    }

    #[test]
    fn serde_helper_reads_strings_null_empty_and_missing() {
        let read = |v: serde_json::Value| serde_json::from_value::<Row>(v).map(|r| r.date);
        assert_eq!(
            read(json!({"date": "2024-01-02T03:04:05.500"})).unwrap(),
            Some(at(3, 4, 5) + Duration::milliseconds(500))
        );
        assert_eq!(
            read(json!({"date": "2024-01-02 03:04:05"})).unwrap(),
            Some(at(3, 4, 5))
        );
        assert_eq!(read(json!({"date": null})).unwrap(), None);
        assert_eq!(read(json!({"date": ""})).unwrap(), None);
        assert_eq!(read(json!({})).unwrap(), None);
        let err = read(json!({"date": "soon"})).unwrap_err().to_string();
        assert!(err.contains("soon"), "{err}");
        assert!(read(json!({"date": 5})).is_err());
    }

    #[test]
    fn serde_helper_writes_kiwi_text() {
        let row = Row {
            date: Some(at(3, 4, 5) + Duration::milliseconds(123)),
        };
        assert_eq!(
            serde_json::to_value(&row).unwrap(),
            json!({"date": "2024-01-02 03:04:05.123000"})
        );
        assert_eq!(
            serde_json::to_value(Row { date: None }).unwrap(),
            json!({"date": null})
        );
    }
}
