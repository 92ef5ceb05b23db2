//! What the server holds before the plugin runs. Records are made through the in-memory
//! server's own methods (so they obey the same rules), without going over the wire: they do
//! not appear in the call log.

use serde_json::{Value, json};

use super::{Args, StepFn};
use crate::world::World;
use tcms_test_kit::kiwi::Db;

/// The server step table.
pub(super) const STEPS: &[(&str, StepFn)] = &[
    (r"a Kiwi TCMS (\d+\.\d+) server", server),
    (r"the server has the classification {Q}", classification),
    (r"the product {Q} exists", product),
    (
        r"the product {Q} with version {Q} and build {Q}",
        product_version_build,
    ),
    (
        r"the test plan {Q} of product {Q} version {Q}(?: by the user {Q})?",
        plan,
    ),
    (r"the test run {Q} of test plan {Q} for build {Q}", run),
    (r"the test case {Q} of product {Q}", case),
    (
        r"the test plan {Q} contains the test case {Q}",
        plan_contains,
    ),
    (r"the test run {Q} contains the test case {Q}", run_contains),
    (r"the user {Q} with id (\d+)", user),
    (
        r"the administrator renamed the execution status (\w+) to {Q}",
        rename_status,
    ),
    (r"the server has no plan type {Q}", no_plan_type),
    (
        r"the server lists priorities in reverse order",
        reversed_priorities,
    ),
];

fn server(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    world.start_server(args.get(1))
}

fn with_db<T>(world: &World, f: impl FnOnce(&mut Db) -> Result<T, String>) -> Result<T, String> {
    let kiwi = world.kiwi()?;
    let mut db = kiwi.db();
    f(&mut db)
}

fn id_of(value: &Value) -> Result<i64, String> {
    value["id"]
        .as_i64()
        .ok_or_else(|| format!("no id in {value}"))
}

fn classification(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        db.call("Classification.create", json!([{"name": args.get(1)}]))
            .map(|_| ())
    })
}

fn create_product(db: &mut Db, name: &str) -> Result<i64, String> {
    let classification = db.classifications.iter().map(|c| c.id).min().ok_or(
        "the server has no classification: add `Given the server has the classification \"...\"`",
    )?;
    let product = db.call(
        "Product.create",
        json!([{"name": name, "classification": classification}]),
    )?;
    id_of(&product)
}

fn product(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| create_product(db, args.get(1)).map(|_| ()))
}

fn product_version_build(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let product = match db.find("product", args.get(1), None) {
            Ok(id) => id,
            Err(_) => create_product(db, args.get(1))?,
        };
        let version = db.call(
            "Version.create",
            json!([{"product": product, "value": args.get(2)}]),
        )?;
        db.call(
            "Build.create",
            json!([{"version": id_of(&version)?, "name": args.get(3)}]),
        )
        .map(|_| ())
    })
}

fn plan(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let product = db.find("product", args.get(2), None)?;
        let version = db.find("version", args.get(3), Some(args.get(2)))?;
        let plan_type = db.find("plan type", "Integration", None)?;
        let mut values = json!({
            "name": args.get(1), "product": product, "product_version": version,
            "type": plan_type, "text": "made before the scenario",
        });
        if let Some(user) = args.opt(4) {
            values["author"] = json!(db.find("user", user, None)?);
        }
        db.call("TestPlan.create", json!([values])).map(|_| ())
    })
}

fn run(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let plan = db.find("test plan", args.get(2), None)?;
        let version = db
            .plans
            .iter()
            .find(|p| p.id == plan)
            .map(|p| p.product_version)
            .ok_or("no such plan")?;
        let version_value = db
            .versions
            .iter()
            .find(|v| v.id == version)
            .map(|v| v.value.clone())
            .ok_or("no such version")?;
        let build = db.find("build", args.get(3), Some(&version_value))?;
        db.call(
            "TestRun.create",
            json!([{"summary": args.get(1), "plan": plan, "build": build,
                    "manager": tcms_test_kit::kiwi::CALLER_ID}]),
        )
        .map(|_| ())
    })
}

fn case(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let category = db.find("category", "--default--", Some(args.get(2)))?;
        let confirmed = db.find("case status", "CONFIRMED", None)?;
        db.call(
            "TestCase.create",
            json!([{"summary": args.get(1), "category": category, "priority": 1,
                    "case_status": confirmed, "is_automated": true}]),
        )
        .map(|_| ())
    })
}

fn plan_contains(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let plan = db.find("test plan", args.get(1), None)?;
        let case = db.find("test case", args.get(2), None)?;
        db.call("TestPlan.add_case", json!([plan, case]))
            .map(|_| ())
    })
}

fn run_contains(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let run = db.find("test run", args.get(1), None)?;
        let case = db.find("test case", args.get(2), None)?;
        db.call("TestRun.add_case", json!([run, case])).map(|_| ())
    })
}

fn user(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    let id: i64 = args
        .get(2)
        .parse()
        .map_err(|_| format!("not an id: {}", args.get(2)))?;
    with_db(world, |db| {
        if db.users.iter().any(|u| u.id == id) {
            return Err(format!("user id {id} is taken"));
        }
        db.users.push(tcms_test_kit::kiwi::User {
            id,
            username: args.get(1).to_owned(),
        });
        Ok(())
    })
}

fn rename_status(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let status = db
            .statuses
            .iter_mut()
            .find(|s| s.name == args.get(1))
            .ok_or_else(|| format!("no execution status {}", args.get(1)))?;
        status.name = args.get(2).to_owned();
        Ok(())
    })
}

fn no_plan_type(world: &mut World, args: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        let before = db.plan_types.len();
        db.plan_types.retain(|t| t.name != args.get(1));
        if db.plan_types.len() == before {
            return Err(format!("there was no plan type {}", args.get(1)));
        }
        Ok(())
    })
}

fn reversed_priorities(world: &mut World, _: &Args<'_>) -> Result<(), String> {
    with_db(world, |db| {
        db.priorities_reversed = true;
        Ok(())
    })
}
