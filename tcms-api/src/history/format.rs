//! Lists of tests as the test runners take them (`cargo test`, pytest, nextest), and the JSON
//! documents of the `tcms` command.
//!
//! # JSON documents
//!
//! Every document has `"version": 1`; later versions only add keys. Profiles are keyed by
//! name, `""` standing for results without a profile (a profile name is never empty).
//!
//! `tcms failing --format json`:
//!
//! ```json
//! {
//!   "version": 1,
//!   "profiles": { "py27": ["it::a::b", "it::c"], "py34": [] },
//!   "runs": { "py27": { "id": 12, "summary": "...", "build": "b1" }, "py34": { ... } }
//! }
//! ```
//!
//! `profiles` maps each profile to the names that failed (FAILED or ERROR) in its latest run,
//! sorted; `runs` names that run. `jq -r '.profiles.py27[]'` is the flat list of one profile.
//!
//! `tcms flaky --format json`:
//!
//! ```json
//! {
//!   "version": 1,
//!   "runs": 20,
//!   "profiles": {
//!     "py27": [ { "name": "it::a", "flips": 3, "results": 10, "failures": 4,
//!                 "rate": 0.333, "last": "FAILED" } ]
//!   }
//! }
//! ```
//!
//! `runs` is how many runs per profile were read; the tests are most flaky first (see
//! [`super::Flaky`]).
//!
//! `tcms shard --format json`:
//!
//! ```json
//! {
//!   "version": 1,
//!   "total": 4,
//!   "runs": 10,
//!   "shards": [ { "index": 1, "tests": ["..."], "seconds": 12.5, "with_history": 40,
//!                 "without_history": 2 } ]
//! }
//! ```
//!
//! `shards` holds every shard, or only the one `--index` asks for; `seconds` is the sum of
//! the historic durations of its tests that have one.
//!
//! `tcms history NAME --format json`:
//!
//! ```json
//! {
//!   "version": 1,
//!   "name": "it::a",
//!   "results": [ { "run": 12, "build": "b1", "profile": "py27", "status": "FAILED",
//!                  "seconds": 0.25, "date": "2026-12-07T10:00:00Z" } ]
//! }
//! ```
//!
//! Newest first; `seconds` and `date` (the start, UTC) are `null` when unknown.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::failing::Failing;
use super::flaky::Flaky;
use super::profiles::{ByProfile, profile_key};
use super::read::Entry;
use super::shard::Shard;

/// The version of the JSON documents.
pub const JSON_VERSION: u32 = 1;

/// What a list of tests is printed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListFormat {
    /// One name per line, as the plugins named the cases.
    Names,
    /// Arguments of `cargo test` (see [`cargo_args`]).
    Cargo,
    /// pytest node ids (see [`pytest_ids`]).
    Pytest,
    /// A nextest filterset (see [`nextest_filter`]).
    Nextest,
}

/// The lines that print `names` in `format`. An empty list prints what runs no test in that
/// runner (`--no-run`, `--collect-only -q`, `none()`), never what runs them all.
pub fn list_lines(names: &[String], format: ListFormat) -> Vec<String> {
    match format {
        ListFormat::Names => names.to_vec(),
        ListFormat::Cargo => cargo_args(names),
        ListFormat::Pytest => pytest_args(names),
        ListFormat::Nextest => vec![nextest_filter(names)],
    }
}

/// Arguments that make `cargo test` (libtest, and the `tcms_cargo_test` harness) run exactly
/// `names`: one line per Cargo target, since one `cargo test` cannot filter targets
/// differently.
///
/// Names are `<target>::<test path>` (as `tcms-cargo-test` and the harness name cases); each
/// target's line is `--test <target> -- --exact <path> <path>...`, shell-quoted where needed.
/// A name without `::` has no target: its line is `-- --exact <name>` (every target).
///
/// ```sh
/// tcms failing --format cargo | xargs -r -L1 cargo test   # one cargo test per line
/// cargo test $(tcms failing --format cargo)              # one target, names without spaces
/// ```
///
/// Limits: `--test` selects integration tests and harness targets; the unit tests of a
/// library (target `my_crate`) are selected with `--lib`, which the name does not tell. Cargo
/// file names turn `-` into `_`, so a target `my-tests` is reported as `my_tests`. An empty
/// list gives `--no-run` (build, run nothing).
///
/// ```
/// use tcms_api::history::cargo_args;
///
/// let names = ["it::a::b", "it::c", "checks::has space"].map(String::from);
/// assert_eq!(
///     cargo_args(&names),
///     ["--test checks -- --exact 'has space'", "--test it -- --exact a::b c"]
/// );
/// ```
pub fn cargo_args(names: &[String]) -> Vec<String> {
    if names.is_empty() {
        return vec!["--no-run".to_owned()];
    }
    let mut by_target: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    for name in names {
        let (target, path) = match name.split_once("::") {
            Some((target, path)) if !target.is_empty() && !path.is_empty() => (Some(target), path),
            _ => (None, name.as_str()),
        };
        by_target.entry(target).or_default().push(path);
    }
    by_target
        .into_iter()
        .map(|(target, mut paths)| {
            paths.sort_unstable();
            paths.dedup();
            let mut words = Vec::new();
            if let Some(target) = target {
                words.push("--test".to_owned());
                words.push(shell_quote(target));
            }
            words.push("--".to_owned());
            words.push("--exact".to_owned());
            words.extend(paths.iter().map(|p| shell_quote(p)));
            words.join(" ")
        })
        .collect()
}

/// The pytest node id of a case named `classname.name` (the junit.xml plugin's default
/// names): `tests.test_math.TestAdd.test_one` is `tests/test_math.py::TestAdd::test_one`,
/// `tests.test_math.test_two[1.5-x]` is `tests/test_math.py::test_two[1.5-x]`.
///
/// The name is what follows the last `.` before any `[` (parameters may hold dots). In the
/// classname, the module path ends before the first part that starts with an upper-case
/// letter (a class, by PEP 8); without one, the whole classname is the module. A name that
/// already holds `::` is taken as a node id.
///
/// ```
/// use tcms_api::history::pytest_id;
///
/// assert_eq!(pytest_id("tests.test_math.TestAdd.test_one"), "tests/test_math.py::TestAdd::test_one");
/// assert_eq!(pytest_id("test_x.test_y[a.b]"), "test_x.py::test_y[a.b]");
/// assert_eq!(pytest_id("tests/test_a.py::test_b"), "tests/test_a.py::test_b");
/// ```
pub fn pytest_id(case: &str) -> String {
    if case.contains("::") {
        return case.to_owned();
    }
    let head_end = case.find('[').unwrap_or(case.len());
    let Some(dot) = case[..head_end].rfind('.') else {
        return case.to_owned();
    };
    let (classname, name) = (&case[..dot], &case[dot + 1..]);
    let parts: Vec<&str> = classname.split('.').collect();
    let first_class = parts
        .iter()
        .position(|p| p.chars().next().is_some_and(char::is_uppercase))
        .unwrap_or(parts.len());
    let (modules, classes) = parts.split_at(first_class);
    let mut id = String::new();
    if modules.is_empty() {
        id.push_str(&classes.join("::"));
    } else {
        id.push_str(&modules.join("/"));
        id.push_str(".py");
        for class in classes {
            id.push_str("::");
            id.push_str(class);
        }
    }
    id.push_str("::");
    id.push_str(name);
    id
}

/// The node ids of `names` (see [`pytest_id`]) as one line of shell-quoted arguments:
/// `pytest $(tcms failing --format pytest)`, or with `xargs pytest`. An empty list gives
/// `--collect-only -q` (collect, run nothing).
pub fn pytest_ids(names: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = names.iter().map(|n| pytest_id(n)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn pytest_args(names: &[String]) -> Vec<String> {
    if names.is_empty() {
        return vec!["--collect-only -q".to_owned()];
    }
    vec![
        pytest_ids(names)
            .iter()
            .map(|id| shell_quote(id))
            .collect::<Vec<_>>()
            .join(" "),
    ]
}

/// A nextest filterset that selects exactly the tests `names` (`<target>::<test path>`):
/// `test(=a::b) | test(=c::d)`, for `cargo nextest run -E "$(tcms failing --format
/// nextest)"`. Matched by test path in every binary: a path two targets share runs in both.
/// `\`, `)`, `,` and control characters are escaped; an empty list gives `none()`.
///
/// ```
/// use tcms_api::history::nextest_filter;
///
/// let names = ["it::a::b", "it::f(x, y)"].map(String::from);
/// assert_eq!(nextest_filter(&names), r"test(=a::b) | test(=f(x\, y\))");
/// ```
pub fn nextest_filter(names: &[String]) -> String {
    let mut paths: Vec<&str> = names
        .iter()
        .map(|n| match n.split_once("::") {
            Some((target, path)) if !target.is_empty() && !path.is_empty() => path,
            _ => n.as_str(),
        })
        .collect();
    paths.sort_unstable();
    paths.dedup();
    if paths.is_empty() {
        return "none()".to_owned();
    }
    paths
        .iter()
        .map(|p| format!("test(={})", nextest_escape(p)))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn nextest_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            ')' => out.push_str(r"\)"),
            ',' => out.push_str(r"\,"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// A word for a POSIX shell: as is when it holds only `A-Z a-z 0-9 _ - . / : = @ % + ,`,
/// else in single quotes (`'` written as `'\''`).
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'-' | b'.' | b'/' | b':' | b'=' | b'@' | b'%' | b'+' | b','
                )
        });
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The `failing` JSON document (see the module docs).
pub fn failing_json(failing: &ByProfile<Failing>) -> Value {
    let mut profiles = serde_json::Map::new();
    let mut runs = serde_json::Map::new();
    for (profile, f) in failing.iter() {
        let key = profile_key(profile);
        profiles.insert(key.clone(), json!(f.names()));
        runs.insert(
            key,
            json!({"id": f.run.id.get(), "summary": f.run.summary, "build": f.run.build}),
        );
    }
    json!({"version": JSON_VERSION, "profiles": profiles, "runs": runs})
}

/// The `flaky` JSON document (see the module docs).
pub fn flaky_json(flaky: &ByProfile<Vec<Flaky>>, runs: usize) -> Value {
    let mut profiles = serde_json::Map::new();
    for (profile, tests) in flaky.iter() {
        let tests: Vec<Value> = tests
            .iter()
            .map(|f| {
                json!({"name": f.name, "flips": f.flips, "results": f.results,
                       "failures": f.failures, "rate": round3(f.rate), "last": f.last})
            })
            .collect();
        profiles.insert(profile_key(profile), Value::Array(tests));
    }
    json!({"version": JSON_VERSION, "runs": runs, "profiles": profiles})
}

/// The `shard` JSON document (see the module docs).
pub fn shard_json(shards: &[Shard], total: usize, runs: usize) -> Value {
    let shards: Vec<Value> = shards
        .iter()
        .map(|s| {
            json!({"index": s.index, "tests": s.tests,
                   "seconds": round3(s.estimated.as_secs_f64()),
                   "with_history": s.with_history, "without_history": s.without_history()})
        })
        .collect();
    json!({"version": JSON_VERSION, "total": total, "runs": runs, "shards": shards})
}

/// The `history` JSON document (see the module docs).
pub fn history_json(name: &str, entries: &[Entry]) -> Value {
    let results: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({"run": e.run.get(), "build": e.build, "profile": profile_key(e.profile.as_ref()),
                   "status": e.status,
                   "seconds": e.duration().map(|d| round3(d.as_secs_f64())),
                   "date": e.started.map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())})
        })
        .collect();
    json!({"version": JSON_VERSION, "name": name, "results": results})
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn cargo_lines_per_target() {
        assert_eq!(cargo_args(&[]), ["--no-run"]);
        assert_eq!(
            cargo_args(&s(&["it::b", "it::a::x", "it::b", "other::t", "plain"])),
            [
                "-- --exact plain",
                "--test it -- --exact a::x b",
                "--test other -- --exact t",
            ]
        );
        assert_eq!(
            cargo_args(&s(&["it::it's", "it::$(rm -rf /)"])),
            [r"--test it -- --exact '$(rm -rf /)' 'it'\''s'"]
        );
        assert_eq!(cargo_args(&s(&["::x"])), ["-- --exact ::x"]);
    }

    #[test]
    fn pytest_node_ids() {
        for (case, id) in [
            (
                "tests.test_math.TestAdd.test_one",
                "tests/test_math.py::TestAdd::test_one",
            ),
            ("tests.test_math.test_two", "tests/test_math.py::test_two"),
            (
                "test_mod.TestA.TestB.test_c",
                "test_mod.py::TestA::TestB::test_c",
            ),
            (
                "pkg.test_p.test_q[1.5-a.b]",
                "pkg/test_p.py::test_q[1.5-a.b]",
            ),
            ("TestOnly.test_x", "TestOnly::test_x"),
            ("no_dots", "no_dots"),
            ("a/b.py::C::d", "a/b.py::C::d"),
        ] {
            assert_eq!(pytest_id(case), id, "{case}");
        }
        assert_eq!(
            list_lines(&s(&["t.test_a[x y]", "t.test_b"]), ListFormat::Pytest),
            ["'t.py::test_a[x y]' t.py::test_b"]
        );
        assert_eq!(list_lines(&[], ListFormat::Pytest), ["--collect-only -q"]);
    }

    #[test]
    fn nextest_filtersets() {
        assert_eq!(nextest_filter(&[]), "none()");
        assert_eq!(
            nextest_filter(&s(&["it::a::b", "other::a::b", "x", "it::t\\,\n"])),
            r"test(=a::b) | test(=t\\\,\n) | test(=x)"
        );
        assert_eq!(nextest_escape("\u{1}"), r"\u{1}");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("a::b"), "a::b");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("x*"), "'x*'");
    }

    #[test]
    fn names_lines_are_the_names() {
        let names = s(&["b", "a"]);
        assert_eq!(list_lines(&names, ListFormat::Names), names);
        assert!(list_lines(&[], ListFormat::Names).is_empty());
        assert_eq!(list_lines(&[], ListFormat::Nextest), ["none()"]);
    }
}
