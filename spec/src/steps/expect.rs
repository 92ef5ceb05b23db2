//! Expectations written in table cells, and references to records by name.
//!
//! | cell | means |
//! |---|---|
//! | `"text"` | that string (with `\"`, `\n` escapes) |
//! | `12`, `true`, `false`, `null` | that JSON value |
//! | `product "P"`, `test plan "Nightly"`, `version "v1" of product "P"`, ... | that record's id |
//! | `the test run of the last report` | the id of the run (or plan) the last report used |
//! | `the first 255 characters of the long name` | the long name a step made, cut |
//! | `the stored summary of the long name` | its case summary (`tcms_api::report::case_summary`) |
//! | `[a, b]` | a list of the above |
//! | `starting with "..."` / `containing "..."` | a text that starts with / contains it |
//! | `absent` / `present` | the key is missing / present (any value) |
//! | `a date` | a Kiwi date: `YYYY-MM-DD HH:MM:SS[.ffffff]` or with a `T` |

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::{Q, unescape};
use crate::world::World;

/// What a cell expects of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// The key must be missing.
    Absent,
    /// The key must be present, whatever its value.
    Present,
    /// A date Kiwi accepts or returns.
    Date,
    /// Exactly this value (numbers compare by value).
    Value(Value),
    /// A string that starts with this text (`starting with "..."`).
    Prefix(String),
    /// A string that contains this text (`containing "..."`).
    Contains(String),
}

/// The kinds of record a reference can name.
const KINDS: &str = "product|classification|version|build|category|plan type|test plan|test run|test case|user|execution status|status|priority|case status";

fn ref_regex() -> Result<&'static Regex, String> {
    static RE: OnceLock<Result<Regex, String>> = OnceLock::new();
    RE.get_or_init(|| {
        let pattern = format!(
            "^(?:the )?(?:id of (?:the )?)?({KINDS}) {Q}(?: of (?:the )?(?:product|version) {Q})?$"
        );
        Regex::new(&pattern).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The id of a record named in a step: `the test plan "Nightly"`, `version "v1" of product
/// "P"`, `the test run of the last report`.
pub fn resolve_ref(world: &World, text: &str) -> Result<i64, String> {
    let text = text.trim();
    match text {
        "the test run of the last report" => {
            return world
                .summary()?
                .run_id
                .map(|id| id.get())
                .ok_or_else(|| "the last report has no test run".into());
        }
        "the test plan of the last report" => {
            return world
                .summary()?
                .plan_id
                .map(|id| id.get())
                .ok_or_else(|| "the last report has no test plan".into());
        }
        _ => {}
    }
    let captures = ref_regex()?
        .captures(text)
        .ok_or_else(|| format!("cannot read a record reference from `{text}`"))?;
    let kind = captures.get(1).map_or("", |m| m.as_str());
    let name = unescape(captures.get(2).map_or("", |m| m.as_str()));
    let parent = captures.get(3).map(|m| unescape(m.as_str()));
    world.kiwi()?.db().find(kind, &name, parent.as_deref())
}

/// Reads a cell.
pub fn parse_expect(world: &World, cell: &str) -> Result<Expect, String> {
    let cell = cell.trim();
    match cell {
        "absent" => return Ok(Expect::Absent),
        "present" => return Ok(Expect::Present),
        "a date" => return Ok(Expect::Date),
        _ => {}
    }
    if let Some(rest) = cell.strip_prefix("containing ") {
        return match parse_value(world, rest)? {
            Value::String(part) => Ok(Expect::Contains(part)),
            other => Err(format!("`containing` needs a quoted text, found {other}")),
        };
    }
    if let Some(rest) = cell.strip_prefix("starting with ") {
        return match parse_value(world, rest)? {
            Value::String(prefix) => Ok(Expect::Prefix(prefix)),
            other => Err(format!(
                "`starting with` needs a quoted text, found {other}"
            )),
        };
    }
    parse_value(world, cell).map(Expect::Value)
}

/// Reads a cell that must be a value.
fn parse_value(world: &World, cell: &str) -> Result<Value, String> {
    let cell = cell.trim();
    if cell.len() >= 2 && cell.starts_with('"') && cell.ends_with('"') {
        return Ok(Value::String(unescape(&cell[1..cell.len() - 1])));
    }
    if let Some(inner) = cell.strip_prefix('[').and_then(|c| c.strip_suffix(']')) {
        return split_top_level(inner)
            .into_iter()
            .filter(|item| !item.trim().is_empty())
            .map(|item| parse_value(world, item))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    match cell {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "null" => return Ok(Value::Null),
        _ => {}
    }
    if let Ok(n) = cell.parse::<i64>() {
        return Ok(Value::from(n));
    }
    if cell == "the stored summary of the long name" {
        let long = world
            .long_name
            .as_ref()
            .ok_or("no long name was made by an earlier step")?;
        return Ok(Value::String(tcms_api::report::case_summary(long)));
    }
    if let Some(n) = cell
        .strip_prefix("the first ")
        .and_then(|c| c.strip_suffix(" characters of the long name"))
    {
        let n: usize = n
            .parse()
            .map_err(|_| format!("not a number of characters: `{n}`"))?;
        let long = world
            .long_name
            .as_ref()
            .ok_or("no long name was made by an earlier step")?;
        return Ok(Value::String(long.chars().take(n).collect()));
    }
    resolve_ref(world, cell).map(Value::from)
}

/// Splits `a, "b, c", d` at the commas outside quotes.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Numbers equal by value, `"5"` never equals `5`, lists element by element.
fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => actual == expected,
    }
}

fn date_regex() -> Result<&'static Regex, String> {
    static RE: OnceLock<Result<Regex, String>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Checks a value (`None`: the key is missing) against an expectation.
pub fn check(expect: &Expect, actual: Option<&Value>) -> Result<(), String> {
    match (expect, actual) {
        (Expect::Absent, None) | (Expect::Present, Some(_)) => Ok(()),
        (Expect::Absent, Some(v)) => Err(format!("expected no value, found {v}")),
        (_, None) => Err("missing".into()),
        (Expect::Date, Some(Value::String(s))) if date_regex()?.is_match(s) => Ok(()),
        (Expect::Date, Some(v)) => Err(format!("expected a Kiwi date, found {v}")),
        (Expect::Value(expected), Some(v)) if same(v, expected) => Ok(()),
        (Expect::Value(expected), Some(v)) => Err(format!("expected {expected}, found {v}")),
        (Expect::Prefix(prefix), Some(Value::String(s))) if s.starts_with(prefix.as_str()) => {
            Ok(())
        }
        (Expect::Prefix(prefix), Some(v)) => Err(format!(
            "expected a text starting with {prefix:?}, found {v}"
        )),
        (Expect::Contains(part), Some(Value::String(s))) if s.contains(part.as_str()) => Ok(()),
        (Expect::Contains(part), Some(v)) => {
            Err(format!("expected a text containing {part:?}, found {v}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_checks() {
        let world = World::new().unwrap();
        assert_eq!(
            parse_expect(&world, r#""a \"b\"""#).unwrap(),
            Expect::Value(Value::from("a \"b\""))
        );
        assert_eq!(
            parse_expect(&world, r#"["x, y", 2]"#).unwrap(),
            Expect::Value(serde_json::json!(["x, y", 2]))
        );
        assert_eq!(
            parse_expect(&world, r#""""#).unwrap(),
            Expect::Value(Value::from(""))
        );
        assert!(
            check(
                &Expect::Date,
                Some(&Value::from("2026-01-01 00:00:00.125000"))
            )
            .is_ok()
        );
        assert!(check(&Expect::Date, Some(&Value::from("yesterday"))).is_err());
        assert!(check(&Expect::Value(Value::from(2)), Some(&Value::from("2"))).is_err());
        assert!(check(&Expect::Absent, None).is_ok());
        assert!(parse_expect(&world, "product \"P\"").is_err(), "no server");
    }
}
