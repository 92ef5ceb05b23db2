//! Assertions on the calls the plugin made (the fake's call log, from the start of the last
//! report).

use serde_json::Value;
use tcms_test_kit::fake::RecordedCall;

use super::{Args, Expect, StepFn, check, pairs, parse_expect, parse_times, resolve_ref};
use crate::world::World;

/// The call-log step table.
pub(super) const STEPS: &[(&str, StepFn)] = &[
    (
        r"([A-Z]\w*\.\w+)(?: for {Q})? is (?:called|sent) with:",
        called_with,
    ),
    (
        r"([A-Z]\w*\.\w+) is called with the arguments (.+)",
        called_with_arguments,
    ),
    (
        r"([A-Z]\w*\.\w+)(?: for {Q})? is (not called|called|called once|called twice|called \d+ times)",
        called_times,
    ),
    (r"no method named `([^`]+)` is called", no_method_named),
    (r"the plugin makes no change on the server", no_change),
    (
        r"the name of the created test plan has (\d+) characters and starts with {Q}",
        created_plan_name,
    ),
];

/// Whether a method changes the server.
fn is_write(method: &str) -> bool {
    let name = method.rsplit('.').next().unwrap_or(method);
    ["create", "update", "add_", "remove", "delete"]
        .iter()
        .any(|w| name.starts_with(w))
}

/// Whether a call concerns the test case named `case`: `TestExecution.*` by the case of the
/// execution (first argument), `*.add_case` by the case (second argument), `TestCase.create`
/// by its summary.
fn concerns(world: &World, call: &RecordedCall, case: &str) -> Result<bool, String> {
    let db = world.kiwi()?.db();
    let arg = |i: usize| call.params.get(i).and_then(Value::as_i64);
    Ok(if call.method.starts_with("TestExecution.") {
        arg(0).and_then(|e| db.execution_case_summary(e)) == Some(case)
    } else if call.method.ends_with(".add_case") {
        arg(1).and_then(|c| db.case_summary(c)) == Some(case)
    } else if call.method == "TestCase.create" {
        call.params[0]["summary"].as_str() == Some(case)
    } else {
        return Err(format!(
            "`for \"...\"` is not defined for {}: use it with TestExecution.*, *.add_case or \
             TestCase.create",
            call.method
        ));
    })
}

/// The calls of `method` in the last report, narrowed to a case if `case` is given.
fn calls_of(world: &World, method: &str, case: Option<&str>) -> Result<Vec<RecordedCall>, String> {
    let mut out = Vec::new();
    for call in world.calls()? {
        if call.method != method {
            continue;
        }
        match case {
            Some(case) if !concerns(world, &call, case)? => {}
            _ => out.push(call),
        }
    }
    Ok(out)
}

/// The calls, one per line, for failure messages.
fn listing(calls: &[RecordedCall]) -> String {
    if calls.is_empty() {
        return "  (none)".into();
    }
    calls
        .iter()
        .map(|c| {
            let mut params = c.params.to_string();
            if params.len() > 600 {
                let mut end = 600;
                while !params.is_char_boundary(end) {
                    end -= 1;
                }
                params.truncate(end);
                params.push_str("...");
            }
            format!("  {}({params})", c.method)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The object argument of a call: the values of a `create` or an `update`, the query of a
/// `filter`.
fn values_of(call: &RecordedCall) -> Option<&serde_json::Map<String, Value>> {
    match &call.params {
        Value::Array(items) => items.iter().find_map(Value::as_object),
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn called_with(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let method = args.get(1);
    let expectations: Vec<(&str, Expect)> = pairs(args.table()?)?
        .into_iter()
        .map(|(field, cell)| parse_expect(world, cell).map(|e| (field, e)))
        .collect::<Result<_, _>>()?;
    let calls = calls_of(world, method, args.opt(2))?;
    let mut reasons = Vec::new();
    for call in &calls {
        let Some(values) = values_of(call) else {
            reasons.push(format!("{}: no object argument", call.params));
            continue;
        };
        let mismatches: Vec<String> = expectations
            .iter()
            .filter_map(|(field, expect)| {
                check(expect, values.get(*field))
                    .err()
                    .map(|e| format!("{field}: {e}"))
            })
            .collect();
        if mismatches.is_empty() {
            return Ok(());
        }
        reasons.push(mismatches.join("; "));
    }
    let whom = args
        .opt(2)
        .map(|c| format!(" for {c:?}"))
        .unwrap_or_default();
    Err(format!(
        "no call of {method}{whom} matches ({}); the calls:\n{}",
        reasons.join(" | "),
        listing(&calls)
    ))
}

/// Splits `a, "b, c", d` at the commas outside quotes.
fn split_arguments(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

fn called_with_arguments(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let method = args.get(1);
    let expected: Vec<Expect> = split_arguments(args.get(2))
        .into_iter()
        .map(|a| parse_expect(world, a))
        .collect::<Result<_, _>>()?;
    let calls = calls_of(world, method, None)?;
    let matches = |call: &RecordedCall| {
        let Value::Array(params) = &call.params else {
            return false;
        };
        params.len() == expected.len()
            && expected
                .iter()
                .zip(params)
                .all(|(e, v)| check(e, Some(v)).is_ok())
    };
    if calls.iter().any(matches) {
        Ok(())
    } else {
        Err(format!(
            "no call of {method} has the arguments {expected:?}; the calls:\n{}",
            listing(&calls)
        ))
    }
}

fn called_times(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let method = args.get(1);
    let calls = calls_of(world, method, args.opt(2))?;
    let whom = args
        .opt(2)
        .map(|c| format!(" for {c:?}"))
        .unwrap_or_default();
    let ok = match parse_times(args.get(3))? {
        Some(n) => calls.len() == n,
        None => !calls.is_empty(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {method}{whom} to be {}, it was called {} time(s):\n{}",
            args.get(3),
            calls.len(),
            listing(&calls)
        ))
    }
}

/// `*` in a method pattern stands for any text.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last {
            return remaining.ends_with(part);
        }
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.is_empty()
}

fn no_method_named(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let pattern = args.get(1);
    let offending: Vec<RecordedCall> = world
        .calls()?
        .into_iter()
        .filter(|c| glob_matches(pattern, &c.method))
        .collect();
    if offending.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "methods matching `{pattern}` were called:\n{}",
            listing(&offending)
        ))
    }
}

fn no_change(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    let writes: Vec<RecordedCall> = world
        .calls()?
        .into_iter()
        .filter(|c| is_write(&c.method))
        .collect();
    if !writes.is_empty() {
        return Err(format!(
            "the plugin changed the server:\n{}",
            listing(&writes)
        ));
    }
    let before = world
        .before
        .as_ref()
        .ok_or("the plugin has not reported yet")?;
    if *before != *world.kiwi()?.db() {
        return Err("the server's data changed although no write method was called".into());
    }
    Ok(())
}

fn created_plan_name(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let calls = calls_of(world, "TestPlan.create", None)?;
    let [call] = calls.as_slice() else {
        return Err(format!(
            "expected one TestPlan.create, got:\n{}",
            listing(&calls)
        ));
    };
    let name = call.params[0]["name"].as_str().unwrap_or_default();
    let length: usize = args
        .get(1)
        .parse()
        .map_err(|_| format!("not a number: {}", args.get(1)))?;
    if name.chars().count() != length {
        return Err(format!(
            "the plan name has {} characters: {name:?}",
            name.chars().count()
        ));
    }
    if !name.starts_with(args.get(2)) {
        return Err(format!("the plan name is {name:?}"));
    }
    // The plan is then found under that name (the server holds the same text).
    resolve_ref(
        world,
        &format!("test plan \"{}\"", name.replace('"', "\\\"")),
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_writes() {
        assert!(glob_matches("*.create", "TestPlan.create"));
        assert!(!glob_matches("*.create", "TestPlan.filter"));
        assert!(glob_matches("Product.*", "Product.filter"));
        assert!(glob_matches("*", "Auth.login"));
        assert!(!glob_matches("Product.*", "TestPlan.filter"));
        assert!(is_write("TestExecution.add_comment"));
        assert!(is_write("TestRun.update"));
        assert!(!is_write("TestExecution.get_comments"));
        assert_eq!(
            split_arguments(r#"test plan "a, b", test case "c\"d""#),
            vec![r#"test plan "a, b""#, r#"test case "c\"d""#]
        );
    }
}
