//! Step definitions: plain functions matched by a table of regular expressions.
//!
//! Every pattern is anchored (`^...$`) and matched against the step text without its keyword.
//! A quoted value is written `"..."`; inside it `\"` stands for `"`, `\n` for a new line and
//! `\\` for `\`. A step that matches no pattern, or more than one, fails the scenario and says
//! so.

mod calls;
mod config;
mod expect;
mod plugin;
mod server;
mod state;

use std::sync::OnceLock;

use regex::Regex;

use crate::world::World;

pub use expect::{Expect, check, parse_expect, resolve_ref};

/// What a step gets: its captures (unescaped), its table and its doc string.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a> {
    captures: &'a [Option<String>],
    table: Option<&'a [Vec<String>]>,
    docstring: Option<&'a str>,
}

impl<'a> Args<'a> {
    /// The arguments of a step.
    pub fn new(
        captures: &'a [Option<String>],
        table: Option<&'a [Vec<String>]>,
        docstring: Option<&'a str>,
    ) -> Self {
        Self {
            captures,
            table,
            docstring,
        }
    }

    /// Capture group `i` (1-based, as in the pattern); empty when it did not take part.
    pub fn get(&self, i: usize) -> &'a str {
        self.captures
            .get(i.wrapping_sub(1))
            .and_then(|c| c.as_deref())
            .unwrap_or("")
    }

    /// Capture group `i`, `None` when it did not take part.
    pub fn opt(&self, i: usize) -> Option<&'a str> {
        self.captures
            .get(i.wrapping_sub(1))
            .and_then(|c| c.as_deref())
    }

    /// The step's data table.
    pub fn table(&self) -> Result<&'a [Vec<String>], String> {
        self.table
            .ok_or_else(|| "this step needs a data table".to_owned())
    }

    /// The step's doc string.
    pub fn docstring(&self) -> Result<&'a str, String> {
        self.docstring
            .ok_or_else(|| "this step needs a doc string (\"\"\")".to_owned())
    }
}

/// A step's body.
pub type StepFn = fn(&mut World, &Args<'_>) -> Result<(), String>;

/// A quoted value in a pattern: `"..."` with `\"` escapes.
pub(crate) const Q: &str = r#""((?:[^"\\]|\\.)*)""#;

/// A pattern and its body.
#[derive(Debug)]
pub struct StepDef {
    /// The anchored pattern.
    pub regex: Regex,
    /// The body.
    pub run: StepFn,
}

/// The step tables of every module.
const TABLES: &[&[(&str, StepFn)]] = &[
    config::STEPS,
    server::STEPS,
    plugin::STEPS,
    calls::STEPS,
    state::STEPS,
];

/// Every step definition, compiled once; an error names a pattern that does not compile.
pub fn definitions() -> Result<&'static [StepDef], String> {
    static DEFS: OnceLock<Result<Vec<StepDef>, String>> = OnceLock::new();
    DEFS.get_or_init(|| {
        let mut defs = Vec::new();
        for table in TABLES {
            for (pattern, run) in *table {
                let pattern = format!("^{}$", pattern.replace("{Q}", Q));
                let regex = Regex::new(&pattern)
                    .map_err(|e| format!("step pattern /{pattern}/ does not compile: {e}"))?;
                defs.push(StepDef { regex, run: *run });
            }
        }
        Ok(defs)
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// The one definition that matches `text`, and its captures (unescaped).
pub fn find(text: &str) -> Result<(&'static StepDef, Vec<Option<String>>), String> {
    let mut found = definitions()?
        .iter()
        .filter_map(|def| def.regex.captures(text).map(|c| (def, c)));
    let Some((def, captures)) = found.next() else {
        return Err(format!("undefined step: `{text}`"));
    };
    if let Some((other, _)) = found.next() {
        return Err(format!(
            "ambiguous step: `{text}` matches both /{}/ and /{}/",
            def.regex.as_str(),
            other.regex.as_str()
        ));
    }
    let captures = captures
        .iter()
        .skip(1)
        .map(|c| c.map(|m| unescape(m.as_str())))
        .collect();
    Ok((def, captures))
}

/// Undoes the escapes of a quoted value: `\"`, `\n`, `\t`, `\\`.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The quoted values of a list such as `"a", "b" and "c"`.
pub fn quoted_list(text: &str) -> Result<Vec<String>, String> {
    static QUOTED: OnceLock<Option<Regex>> = OnceLock::new();
    let regex = QUOTED
        .get_or_init(|| Regex::new(Q).ok())
        .as_ref()
        .ok_or("bad quoted-value pattern")?;
    let items: Vec<String> = regex
        .captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| unescape(m.as_str())))
        .collect();
    if items.is_empty() {
        return Err(format!("expected a list of quoted values, got `{text}`"));
    }
    Ok(items)
}

/// `not called` 0, `called once` 1, `called twice` 2, `called N times` N; `called` means
/// at least once (`None`).
pub fn parse_times(text: &str) -> Result<Option<usize>, String> {
    let text = text.trim();
    Ok(Some(match text {
        "not called" => 0,
        "called" => return Ok(None),
        "called once" => 1,
        "called twice" => 2,
        other => other
            .strip_prefix("called ")
            .and_then(|t| t.strip_suffix(" times"))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("cannot read a number of calls from `{other}`"))?,
    }))
}

/// A two-column table as pairs, without a `field | expectation` header row.
pub fn pairs(table: &[Vec<String>]) -> Result<Vec<(&str, &str)>, String> {
    table
        .iter()
        .map(|row| match row.as_slice() {
            [key, value] => Ok((key.as_str(), value.as_str())),
            other => Err(format!("expected two cells per row, got {other:?}")),
        })
        .collect()
}

/// A table with a header row, as maps from column name to cell.
pub fn records(table: &[Vec<String>]) -> Result<Vec<Vec<(&str, &str)>>, String> {
    let (header, rows) = table
        .split_first()
        .ok_or_else(|| "the table needs a header row".to_owned())?;
    rows.iter()
        .map(|row| {
            if row.len() != header.len() {
                return Err(format!(
                    "row {row:?} has {} cells, the header {}",
                    row.len(),
                    header.len()
                ));
            }
            Ok(header
                .iter()
                .map(String::as_str)
                .zip(row.iter().map(String::as_str))
                .collect())
        })
        .collect()
}

/// A cell of a record by column name.
pub fn cell<'a>(record: &[(&str, &'a str)], column: &str) -> Option<&'a str> {
    record.iter().find(|(c, _)| *c == column).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_unescapes() {
        assert!(definitions().unwrap().len() > 50);
        assert_eq!(unescape(r#"a\"b\nc\\d"#), "a\"b\nc\\d");
        assert_eq!(
            quoted_list(r#""a", "b\"c" and "d""#).unwrap(),
            vec!["a", "b\"c", "d"]
        );
        assert_eq!(parse_times("called 3 times").unwrap(), Some(3));
        assert_eq!(parse_times("called").unwrap(), None);
    }
}
