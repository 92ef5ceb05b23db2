//! Lenient readers for the attribute values that tools write in many forms: `time` and
//! `timestamp`, and attribute text with entity references.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Reads a `time` attribute: seconds, as a decimal number.
///
/// Accepted: `1.5`, `0,5` (decimal comma), `1,234.5` and `1.234,5` (thousands separators: the
/// last of `.` and `,` is the decimal separator), `1,234,567`, `+2`, `1e3`, surrounding spaces.
/// A single comma is a decimal comma (`1,234` is 1.234 s: test times are rarely over 1000 s).
/// Unknown (`None`): empty, `NaN`, infinite, negative, or anything else.
pub(crate) fn parse_seconds(raw: &str) -> Option<Duration> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let commas = s.matches(',').count();
    let normalized: Cow<'_, str> = match (s.rfind(','), s.rfind('.')) {
        (None, _) => Cow::Borrowed(s),
        (Some(comma), Some(dot)) if dot > comma => Cow::Owned(s.replace(',', "")),
        (Some(_), Some(_)) => Cow::Owned(s.replace('.', "").replace(',', ".")),
        (Some(_), None) if commas == 1 => Cow::Owned(s.replace(',', ".")),
        (Some(_), None) => Cow::Owned(s.replace(',', "")),
    };
    let n = normalized.strip_prefix('+').unwrap_or(&normalized);
    exact_decimal(n).or_else(|| {
        let v: f64 = n.parse().ok()?;
        if v.is_finite() && v >= 0.0 {
            Duration::try_from_secs_f64(v).ok()
        } else {
            None
        }
    })
}

/// `123.456` as an exact duration (no floating-point rounding); `None` for other forms.
fn exact_decimal(s: &str) -> Option<Duration> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut nanos: u32 = 0;
    for (i, digit) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(digit - b'0') * 10u32.pow(8 - i as u32);
    }
    Some(Duration::new(secs, nanos))
}

/// Reads a `timestamp` attribute.
///
/// Accepted: RFC 3339 / ISO 8601 date-times with a `T` or a space between date and time, with
/// or without a fraction of a second (any number of digits), ending in `Z`, an offset
/// (`+01:00`, `+0100`, `+01`) or nothing (naive: taken as UTC); a date alone (midnight UTC).
/// Unknown (`None`): anything else.
pub(crate) fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.len() < 10 || !s.is_char_boundary(10) {
        return None;
    }
    let (date, rest) = s.split_at(10);
    if rest.is_empty() {
        let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        return Some(day.and_hms_opt(0, 0, 0)?.and_utc());
    }
    // `2024-01-03 12:27:54`, `2024-01-03T 12:40:13` -> `2024-01-03T12:27:54`.
    let time = rest.strip_prefix(['T', 't', ' '])?.trim_start_matches(' ');
    let s = format!("{date}T{time}");
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z"] {
        if let Ok(t) = DateTime::parse_from_str(&s, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&s, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Resolves the references in an attribute value leniently: the five predefined entities and
/// character references are replaced, anything else (`&nbsp;`, a lone `&`) is kept as written.
/// Whitespace characters become spaces, as the XML specification normalizes attribute values.
pub(crate) fn lenient_attribute_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        push_normalized(&mut out, &rest[..amp]);
        let after = &rest[amp + 1..];
        let resolved = after.find(';').and_then(|semi| {
            let name = &after[..semi];
            resolve_reference(name).map(|c| (c, semi))
        });
        match resolved {
            Some((text, semi)) => {
                out.push_str(&text);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    push_normalized(&mut out, rest);
    out
}

fn push_normalized(out: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The text an entity or character reference (without `&` and `;`) stands for.
pub(crate) fn resolve_reference(name: &str) -> Option<Cow<'static, str>> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return match char::from_u32(code) {
            Some(c) if code != 0 => Some(Cow::Owned(c.to_string())),
            _ => None,
        };
    }
    quick_xml::escape::resolve_xml_entity(name).map(Cow::Borrowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(raw: &str) -> Option<f64> {
        parse_seconds(raw).map(|d| d.as_secs_f64())
    }

    #[test]
    fn seconds_in_the_forms_tools_write() {
        assert_eq!(parse_seconds("0.025"), Some(Duration::from_millis(25)));
        assert_eq!(parse_seconds("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_seconds(" 2.5 "), Some(Duration::from_millis(2500)));
        assert_eq!(parse_seconds(".5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_seconds("3."), Some(Duration::from_secs(3)));
        assert_eq!(parse_seconds("0,5"), Some(Duration::from_millis(500)));
        assert_eq!(secs("1,234.5"), Some(1234.5));
        assert_eq!(secs("1.234,5"), Some(1234.5));
        assert_eq!(secs("1,234,567"), Some(1_234_567.0));
        assert_eq!(secs("1,234"), Some(1.234));
        assert_eq!(secs("+2"), Some(2.0));
        assert_eq!(secs("1e3"), Some(1000.0));
        assert_eq!(
            parse_seconds("0.1234567891"),
            Some(Duration::new(0, 123_456_789))
        );
    }

    #[test]
    fn unknown_seconds() {
        for raw in [
            "", "  ", "NaN", "nan", "inf", "-1", "-0.5", "abc", ".", "1..2", "1e999",
        ] {
            assert_eq!(parse_seconds(raw), None, "{raw:?}");
        }
    }

    fn ts(raw: &str) -> Option<String> {
        parse_timestamp(raw).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }

    #[test]
    fn timestamps_in_the_forms_tools_write() {
        let cases = [
            ("2024-05-01T12:00:00", "2024-05-01T12:00:00Z"),
            ("2024-05-01T12:00:00.123456", "2024-05-01T12:00:00.123456Z"),
            ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"),
            ("2024-05-01T12:00:00.5Z", "2024-05-01T12:00:00.500Z"),
            ("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
            (
                "2024-05-01T12:00:00.843536+00:00",
                "2024-05-01T12:00:00.843536Z",
            ),
            ("2024-05-01T12:00:00-0130", "2024-05-01T13:30:00Z"),
            ("2024-05-01T12:00:00+01", "2024-05-01T11:00:00Z"),
            ("2024-05-01 12:00:00", "2024-05-01T12:00:00Z"),
            ("2024-05-01 12:27:54Z", "2024-05-01T12:27:54Z"),
            ("2024-05-01T 12:40:13", "2024-05-01T12:40:13Z"),
            ("2024-05-01T12:40", "2024-05-01T12:40:00Z"),
            ("2024-05-01", "2024-05-01T00:00:00Z"),
            (
                "2024-05-01T12:00:00.123456789123Z",
                "2024-05-01T12:00:00.123456789Z",
            ),
            ("  2024-05-01T12:00:00Z ", "2024-05-01T12:00:00Z"),
        ];
        for (raw, want) in cases {
            assert_eq!(ts(raw).as_deref(), Some(want), "{raw:?}");
        }
    }

    #[test]
    fn unknown_timestamps() {
        for raw in [
            "",
            "yesterday",
            "2024-13-01T00:00:00",
            "2024-05-01X12:00:00",
            "12:00:00",
            "2024-05-01T25:00:00",
            "ééééééééééé",
            "1714564800",
        ] {
            assert_eq!(ts(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn lenient_attribute_values() {
        assert_eq!(lenient_attribute_value("a &amp; b &lt;c&gt;"), "a & b <c>");
        assert_eq!(lenient_attribute_value("&#10;&#x41;"), "\nA");
        assert_eq!(lenient_attribute_value("&nbsp;x & y"), "&nbsp;x & y");
        assert_eq!(lenient_attribute_value("&#0;&#xD800;"), "&#0;&#xD800;");
        assert_eq!(lenient_attribute_value("a\r\nb\tc"), "a b c");
        assert_eq!(lenient_attribute_value("trailing &"), "trailing &");
    }
}
