//! Tests of the in-memory Kiwi.
use super::args::date_arg;
use super::*;

#[test]
fn filters_take_django_lookups_and_refuse_unknown_fields() {
    let mut db = Db::fresh(false);
    db.call("Classification.create", json!([{"name": "C"}]))
        .unwrap();
    db.call(
        "Product.create",
        json!([{"name": "P", "classification": 1}]),
    )
    .unwrap();
    let v = db.call("Version.filter", json!([{"product": 1}])).unwrap();
    assert_eq!(v[0]["value"], "unspecified");
    let none = db
        .call("Version.filter", json!([{"product__in": [2, 3]}]))
        .unwrap();
    assert_eq!(none, json!([]));
    let err = db.call("Version.filter", json!([{"nope": 1}])).unwrap_err();
    assert!(err.contains("Cannot resolve keyword 'nope'"), "{err}");
    let err = db
        .call("Product.filter", json!([{"name__icontains": "p"}]))
        .unwrap_err();
    assert!(err.contains("Unsupported lookup"), "{err}");
    assert_eq!(
        db.call("Category.filter", json!([{"product": "1"}]))
            .unwrap()[0]["name"],
        "--default--"
    );
}

/// A product `P` with versions `v1` (build `b1`) and `v2` (build `b2`), a plan of `v1`
/// and a run of it, a CONFIRMED case `c` and a PROPOSED case `p`.
fn db_with_plan() -> Db {
    let mut db = Db::fresh(false);
    db.call("Classification.create", json!([{"name": "C"}]))
        .unwrap();
    db.call(
        "Product.create",
        json!([{"name": "P", "classification": 1}]),
    )
    .unwrap();
    for (version, build) in [("v1", "b1"), ("v2", "b2")] {
        let v = db
            .call("Version.create", json!([{"product": 1, "value": version}]))
            .unwrap();
        db.call("Build.create", json!([{"version": v["id"], "name": build}]))
            .unwrap();
    }
    let v1 = db.find("version", "v1", Some("P")).unwrap();
    db.call(
        "TestPlan.create",
        json!([{"name": "plan", "product": 1, "product_version": v1, "type": 2}]),
    )
    .unwrap();
    let b1 = db.find("build", "b1", None).unwrap();
    db.call(
        "TestRun.create",
        json!([{"summary": "run", "plan": 1, "build": b1, "manager": 2}]),
    )
    .unwrap();
    for (summary, status) in [("c", 2), ("p", 1)] {
        db.call(
            "TestCase.create",
            json!([{"summary": summary, "category": 1, "priority": 1, "case_status": status}]),
        )
        .unwrap();
    }
    db
}

#[test]
fn runs_need_a_build_of_the_plan_version_and_confirmed_cases() {
    let mut db = db_with_plan();
    let b2 = db.find("build", "b2", None).unwrap();
    let err = db
        .call(
            "TestRun.create",
            json!([{"summary": "r", "plan": 1, "build": b2, "manager": 2}]),
        )
        .unwrap_err();
    assert!(err.contains("('build', ['Select a valid choice."), "{err}");
    let err = db.call("TestRun.add_case", json!([1, 2])).unwrap_err();
    assert!(err.contains("TC-2 status is not confirmed"), "{err}");
    let first = db.call("TestRun.add_case", json!([1, 1])).unwrap();
    let again = db.call("TestRun.add_case", json!([1, 1])).unwrap();
    assert_eq!(first, again, "idempotent");
    assert_eq!(db.executions.len(), 1);
    assert_eq!(first[0]["status"], 1, "IDLE");
    db.call("TestPlan.add_case", json!([1, 1])).unwrap();
    db.call("TestPlan.add_case", json!([1, 1])).unwrap();
    assert_eq!(db.plan_case_summaries(1), vec!["c"]);
    let err = db.call("TestRun.add_case", json!([9, 1])).unwrap_err();
    assert!(
        err.contains("TestRun matching query does not exist."),
        "{err}"
    );
}

#[test]
fn names_are_cleaned_unique_and_bounded() {
    let mut db = db_with_plan();
    let case = db
        .call(
            "TestCase.create",
            json!([{"summary": " spaced\t", "category": 1, "priority": 1, "case_status": 2}]),
        )
        .unwrap();
    assert_eq!(case["summary"], "spaced");
    let err = db
        .call(
            "Product.create",
            json!([{"name": "P ", "classification": 1}]),
        )
        .unwrap_err();
    assert!(
        err.contains("Product with this Name already exists."),
        "{err}"
    );
    let err = db
        .call(
            "Product.create",
            json!([{"name": "a\u{0}b", "classification": 1}]),
        )
        .unwrap_err();
    assert!(err.contains("Null characters are not allowed."), "{err}");
    let err = db
        .call(
            "TestCase.create",
            json!([{"summary": "x".repeat(256), "category": 1, "priority": 1, "case_status": 2}]),
        )
        .unwrap_err();
    assert!(err.contains("at most 255 characters (it has 256)"), "{err}");
    let err = db
        .call(
            "TestPlan.create",
            json!([{"name": "n", "product_version": 1, "type": 2}]),
        )
        .unwrap_err();
    assert!(err.ends_with("'product'"), "{err}");
    let me = db.call("User.filter", json!([])).unwrap();
    assert_eq!(me[0]["username"], DEFAULT_USERNAME);
}

#[test]
fn updates_without_dates_drop_their_fractions() {
    let mut db = db_with_plan();
    db.call("TestRun.add_case", json!([1, 1])).unwrap();
    db.call(
        "TestExecution.update",
        json!([1, {"status": 4, "stop_date": "2026-01-01 00:00:01.500"}]),
    )
    .unwrap();
    assert_eq!(
        date_json(db.executions[0].stop_date),
        json!("2026-01-01T00:00:01.500")
    );
    assert_eq!(db.executions[0].tested_by, Some(CALLER_ID));
    db.call("TestExecution.update", json!([1, {"status": 5}]))
        .unwrap();
    assert_eq!(
        date_json(db.executions[0].stop_date),
        json!("2026-01-01T00:00:01")
    );
}

#[test]
fn dates_are_naive_and_keep_milliseconds() {
    let mut values = Map::new();
    values.insert("d".into(), json!("2026-01-01 00:00:00.125"));
    let at = date_arg(&values, "d").unwrap().flatten();
    assert_eq!(date_json(at), json!("2026-01-01T00:00:00.125"));
    values.insert("d".into(), json!("2026-01-01T00:00:00+00:00"));
    assert!(date_arg(&values, "d").is_err());
    values.insert("d".into(), json!("2026-01-01"));
    assert_eq!(
        date_json(date_arg(&values, "d").unwrap().flatten()),
        json!("2026-01-01T00:00:00")
    );
}
