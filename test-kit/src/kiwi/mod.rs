//! A stateful in-memory Kiwi TCMS behind [`FakeKiwi`].
//!
//! [`Kiwi::install`] registers a handler on the fake for every method the reporting engine
//! uses, all sharing one [`Db`]. The handlers behave like Kiwi TCMS 12.4 (and 16.2 where the
//! two differ), as measured on real servers (`kiwi-api-notes.md`, `kiwi16-differences.md`):
//!
//! * **Methods**: `filter` and `create` of Classification, Product, Version, Build, Category
//!   and PlanType; `Priority.filter`, `TestCaseStatus.filter`, `TestExecutionStatus.filter`,
//!   `User.filter`; `TestPlan.filter/create/add_case`, `TestCase.filter/create`,
//!   `TestRun.filter/create/add_case/update/add_tag/remove_tag/add_attachment`, `Tag.filter`,
//!   `TestCase.history`, `TestExecution.filter/update/add_comment/get_comments/add_link/
//!   get_links`, and from 15.3 `TestExecution.create/add_property/properties/add_attachment/
//!   list_attachments` and `TestRun.add_property/list_attachments`. Any other method is
//!   unknown to the fake, which fails the scenario.
//! * **Seed data of a fresh server**: the execution statuses with their weights, priorities
//!   `P1`..`P5`, test case statuses (`CONFIRMED` is the confirmed one), the stock plan types,
//!   the logged-in user (id 2) and **no** Classification, Product, Version or Build.
//! * **Side effects**: `Product.create` also creates Version `unspecified` (with Build
//!   `unspecified`) and Category `--default--`; `Version.create` also creates Build
//!   `unspecified`.
//! * **Filters** take Django lookups: a field (`name`, `product`, `pk`, relation paths such as
//!   `category__product`, `plan`, `run__plan__product__name`) optionally followed by `__in`
//!   (and `__contains` or `__startswith` on text). An unknown field is answered
//!   `Cannot resolve keyword ...` and any other lookup `Unsupported lookup ...`, as Django does,
//!   so a lookup the engine gets wrong fails the scenario.
//! * **Validation**: required fields, unique names (`Product with this Name already exists.`),
//!   foreign keys that must exist (`Select a valid choice. ...`), summaries of at most 255
//!   characters, `TestPlan.create` without `product` (a `'product'` KeyError), a run's build
//!   must belong to its plan's version, `TestRun.add_case` only takes CONFIRMED cases,
//!   `TestPlan.add_case` and `TestRun.add_case` are idempotent, dates are naive
//!   (`YYYY-MM-DD HH:MM:SS[.ffffff]`; an offset is refused) and an update that does not send a
//!   date again drops its fractions of a second. Text is cleaned as Django forms clean it:
//!   surrounding whitespace stripped, NUL characters refused.
//!
//! Results are returned raw: the fake HTML-escapes them the way the emulated version does, so
//! a client that forgets to unescape creates duplicates here as it would on a real server.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::fake::{DEFAULT_USERNAME, FakeKiwi, HandlerResult};

mod args;
mod handlers;
mod inspect;
mod kiwi16;
mod lookup;
mod named;

use named::Named;
mod records;
#[cfg(test)]
mod tests;

pub use kiwi16::{AttachmentRow, LinkRow, PropertyRow};
pub use lookup::date_json;
pub use records::*;

/// The id of the user the plugin logs in as (id 1 is django-guardian's `AnonymousUser`).
pub const CALLER_ID: i64 = 2;

/// Django's message for a foreign key that does not exist.
pub(crate) const INVALID_CHOICE: &str =
    "Select a valid choice. That choice is not one of the available choices.";

/// Django's message for a missing required field.
pub(crate) const REQUIRED: &str = "This field is required.";

/// Everything the in-memory server holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Db {
    /// Emulate 16.x record shapes.
    pub kiwi16: bool,
    /// Answer `Priority.filter` in reverse id order (Kiwi does not promise an order).
    pub priorities_reversed: bool,
    /// Users.
    pub users: Vec<User>,
    /// Classifications.
    pub classifications: Vec<Classification>,
    /// Products.
    pub products: Vec<Product>,
    /// Versions.
    pub versions: Vec<Version>,
    /// Builds.
    pub builds: Vec<Build>,
    /// Categories.
    pub categories: Vec<Category>,
    /// Plan types.
    pub plan_types: Vec<PlanType>,
    /// Priorities.
    pub priorities: Vec<Priority>,
    /// Test case statuses.
    pub case_statuses: Vec<CaseStatus>,
    /// Execution statuses.
    pub statuses: Vec<ExecutionStatus>,
    /// Test plans.
    pub plans: Vec<Plan>,
    /// Test cases.
    pub cases: Vec<Case>,
    /// Test runs.
    pub runs: Vec<Run>,
    /// Test executions.
    pub executions: Vec<Execution>,
    /// Comments.
    pub comments: Vec<Comment>,
    /// Tag names; a tag's id is its position + 1.
    pub tags: Vec<String>,
    /// Execution properties (15.3).
    pub execution_properties: Vec<PropertyRow>,
    /// Run properties (15.3).
    pub run_properties: Vec<PropertyRow>,
    /// Links on executions.
    pub links: Vec<LinkRow>,
    /// Attached files.
    pub attachments: Vec<AttachmentRow>,
}

/// The in-memory server: a handle on the [`Db`] that the fake's handlers share.
#[derive(Debug, Clone)]
pub struct Kiwi {
    db: Arc<Mutex<Db>>,
}

/// A handler body.
type Method = fn(&mut Db, &Value) -> HandlerResult;

/// Every method the in-memory server answers.
const METHODS: &[(&str, Method)] = &[
    ("Classification.filter", Db::filter_named::<Classification>),
    ("Classification.create", Db::create_named::<Classification>),
    ("Product.filter", Db::filter_named::<Product>),
    ("Product.create", Db::create_named::<Product>),
    ("Version.filter", Db::filter_named::<Version>),
    ("Version.create", Db::create_named::<Version>),
    ("Build.filter", Db::filter_named::<Build>),
    ("Build.create", Db::create_named::<Build>),
    ("Category.filter", Db::filter_named::<Category>),
    ("Category.create", Db::create_named::<Category>),
    ("PlanType.filter", Db::filter_named::<PlanType>),
    ("PlanType.create", Db::create_named::<PlanType>),
    ("Priority.filter", Db::priority_filter),
    ("TestCaseStatus.filter", Db::case_status_filter),
    ("TestExecutionStatus.filter", Db::status_filter),
    ("TestPlan.filter", Db::plan_filter),
    ("TestPlan.create", Db::plan_create),
    ("TestPlan.add_case", Db::plan_add_case),
    ("TestCase.filter", Db::case_filter),
    ("TestCase.create", Db::case_create),
    ("TestRun.filter", Db::run_filter),
    ("TestRun.create", Db::run_create),
    ("TestRun.add_case", Db::run_add_case),
    ("TestRun.update", Db::run_update),
    ("TestRun.add_tag", Db::run_add_tag),
    ("TestRun.remove_tag", Db::run_remove_tag),
    ("TestExecution.filter", Db::execution_filter),
    ("TestExecution.update", Db::execution_update),
    ("TestExecution.add_comment", Db::execution_add_comment),
    ("TestExecution.get_comments", Db::execution_get_comments),
    ("User.filter", Db::user_filter),
    ("TestExecution.add_link", Db::execution_add_link),
    ("TestExecution.get_links", Db::execution_get_links),
    ("TestRun.add_attachment", Db::run_add_attachment),
    ("TestCase.history", Db::case_history),
    ("Tag.filter", Db::tag_filter),
];

/// What Kiwi TCMS 15.3 added (answered when the fake emulates 15.3 or later).
const METHODS_15_3: &[(&str, Method)] = &[
    ("TestExecution.create", Db::execution_create),
    ("TestExecution.add_property", Db::execution_add_property),
    ("TestExecution.properties", Db::execution_properties),
    ("TestExecution.add_attachment", Db::execution_add_attachment),
    (
        "TestExecution.list_attachments",
        Db::execution_list_attachments,
    ),
    ("TestRun.add_property", Db::run_add_property),
    ("TestRun.list_attachments", Db::run_list_attachments),
];

impl Kiwi {
    /// Seeds a fresh server and answers, on `fake`, every method the module docs list.
    pub fn install(fake: &FakeKiwi) -> Self {
        let kiwi = Self {
            db: Arc::new(Mutex::new(Db::fresh(fake.is_kiwi16()))),
        };
        let v153 = tcms_api::ServerVersion::parse(fake.version()).at_least(15, 3);
        let methods = METHODS.iter().chain(METHODS_15_3.iter().filter(|_| v153));
        for (name, method) in methods {
            let db = Arc::clone(&kiwi.db);
            let method = *method;
            fake.on(name, move |params| {
                let mut db = db.lock().unwrap_or_else(PoisonError::into_inner);
                method(&mut db, params)
            });
        }
        kiwi
    }

    /// The data, to set up a scenario or to check what landed.
    pub fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Db {
    /// A fresh server: seed rows only.
    pub fn fresh(kiwi16: bool) -> Self {
        let statuses = [
            ("IDLE", 0),
            ("RUNNING", 0),
            ("PAUSED", 0),
            ("PASSED", 20),
            ("FAILED", -30),
            ("BLOCKED", -10),
            ("ERROR", -20),
            ("WAIVED", 10),
        ];
        let plan_types = [
            "Unit",
            "Integration",
            "Function",
            "System",
            "Acceptance",
            "Installation",
            "Performance",
            "Product",
            "Interoperability",
            "Smoke",
            "Regression",
        ];
        let case_statuses = [
            ("PROPOSED", false),
            ("CONFIRMED", true),
            ("DISABLED", false),
            ("NEED_UPDATE", false),
        ];
        Self {
            kiwi16,
            users: vec![
                User {
                    id: 1,
                    username: "AnonymousUser".into(),
                },
                User {
                    id: CALLER_ID,
                    username: DEFAULT_USERNAME.into(),
                },
            ],
            statuses: statuses
                .iter()
                .zip(1..)
                .map(|((name, weight), id)| ExecutionStatus {
                    id,
                    name: (*name).into(),
                    weight: *weight,
                })
                .collect(),
            plan_types: plan_types
                .iter()
                .zip(1..)
                .map(|(name, id)| PlanType {
                    id,
                    name: (*name).into(),
                })
                .collect(),
            priorities: (1..=5)
                .map(|id| Priority {
                    id,
                    value: format!("P{id}"),
                })
                .collect(),
            case_statuses: case_statuses
                .iter()
                .zip(1..)
                .map(|((name, is_confirmed), id)| CaseStatus {
                    id,
                    name: (*name).into(),
                    is_confirmed: *is_confirmed,
                })
                .collect(),
            ..Self::default()
        }
    }

    // ----- names for the `__name` keys -------------------------------------------------

    pub(crate) fn username(&self, id: Option<i64>) -> Value {
        id.and_then(|id| self.users.iter().find(|u| u.id == id))
            .map_or(Value::Null, |u| json!(u.username))
    }

    pub(crate) fn status(&self, id: i64) -> Option<&ExecutionStatus> {
        self.statuses.iter().find(|s| s.id == id)
    }

    pub(crate) fn version(&self, id: i64) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    pub(crate) fn build(&self, id: i64) -> Option<&Build> {
        self.builds.iter().find(|b| b.id == id)
    }

    pub(crate) fn case(&self, id: i64) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }

    pub(crate) fn plan(&self, id: i64) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    pub(crate) fn category(&self, id: i64) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The product of a case (through its category).
    pub fn case_product(&self, case: &Case) -> Option<i64> {
        self.category(case.category).map(|c| c.product)
    }

    // ----- records as Kiwi returns them ------------------------------------------------

    pub(crate) fn plan_json(&self, p: &Plan) -> Value {
        json!({
            "id": p.id, "name": p.name, "text": p.text, "create_date": "2026-01-01T00:00:00",
            "is_active": p.is_active, "extra_link": null,
            "product_version": p.product_version,
            "product_version__value": self.version(p.product_version).map(|v| v.value.clone()),
            "product": p.product,
            "product__name": self.products.iter().find(|x| x.id == p.product).map(|x| x.name.clone()),
            "author": p.author, "author__username": self.username(Some(p.author)),
            "type": p.plan_type,
            "type__name": self.plan_types.iter().find(|t| t.id == p.plan_type).map(|t| t.name.clone()),
            "parent": p.parent,
            "children__count": self.plans.iter().filter(|c| c.parent == Some(p.id)).count(),
        })
    }

    /// A case as `TestCase.filter` returns it.
    pub fn case_json(&self, c: &Case) -> Value {
        let status = self.case_statuses.iter().find(|s| s.id == c.case_status);
        let priority = self.priorities.iter().find(|p| p.id == c.priority);
        json!({
            "id": c.id, "create_date": "2026-01-01T00:00:00", "is_automated": c.is_automated,
            "script": "", "arguments": "", "extra_link": null, "summary": c.summary,
            "requirement": null, "notes": c.notes, "text": c.text,
            "case_status": c.case_status, "case_status__name": status.map(|s| s.name.clone()),
            "category": c.category,
            "category__name": self.category(c.category).map(|x| x.name.clone()),
            "priority": c.priority, "priority__value": priority.map(|p| p.value.clone()),
            "author": c.author, "author__username": self.username(Some(c.author)),
            "default_tester": c.default_tester,
            "default_tester__username": self.username(c.default_tester),
            "reviewer": null, "reviewer__username": null,
            "setup_duration": null, "testing_duration": null, "expected_duration": 0,
        })
    }

    /// A run as `TestRun.filter` returns it (12.4 or 16.x keys).
    pub fn run_json(&self, r: &Run) -> Value {
        let plan = self.plan(r.plan);
        let build = self.build(r.build);
        let mut out = json!({
            "id": r.id, "start_date": date_json(r.start_date), "stop_date": date_json(r.stop_date),
            "planned_start": null, "planned_stop": null, "summary": r.summary, "notes": r.notes,
            "plan": r.plan, "plan__name": plan.map(|p| p.name.clone()),
            "build": r.build, "build__name": build.map(|b| b.name.clone()),
            "manager": r.manager, "manager__username": self.username(Some(r.manager)),
            "default_tester": r.default_tester,
            "default_tester__username": self.username(Some(r.default_tester)),
        });
        if self.kiwi16 {
            let version = build.and_then(|b| self.version(b.version));
            out["build__version"] = json!(version.map(|v| v.id));
            out["build__version__value"] = json!(version.map(|v| v.value.clone()));
            out["build__version__product"] = json!(version.map(|v| v.product));
        } else {
            out["plan__product_version"] = json!(plan.map(|p| p.product_version));
            out["plan__product_version__value"] = json!(
                plan.and_then(|p| self.version(p.product_version))
                    .map(|v| v.value.clone())
            );
            out["plan__product"] = json!(plan.map(|p| p.product));
        }
        out
    }

    /// An execution as `TestExecution.filter` returns it.
    pub fn execution_json(&self, e: &Execution) -> Value {
        let status = self.status(e.status);
        let actual = match (e.start_date, e.stop_date) {
            (Some(start), Some(stop)) => json!((stop - start).as_seconds_f64()),
            _ => Value::Null,
        };
        json!({
            "id": e.id, "assignee": e.assignee, "assignee__username": self.username(e.assignee),
            "tested_by": e.tested_by, "tested_by__username": self.username(e.tested_by),
            "case_text_version": e.case_text_version,
            "start_date": date_json(e.start_date), "stop_date": date_json(e.stop_date),
            "sortkey": e.sortkey, "run": e.run, "case": e.case,
            "case__summary": self.case(e.case).map(|c| c.summary.clone()),
            "build": e.build, "build__name": self.build(e.build).map(|b| b.name.clone()),
            "status": e.status, "status__name": status.map(|s| s.name.clone()),
            "status__icon": "fa fa-check", "status__color": "#92d400",
            "expected_duration": null, "actual_duration": actual,
        })
    }

    pub(crate) fn comment_json(c: &Comment, username: Value) -> Value {
        json!({
            "id": c.id, "content_type": 1, "object_pk": c.execution.to_string(), "site": 1,
            "user": c.user, "user_name": username, "user_email": "", "user_url": "",
            "comment": c.text, "submit_date": date_json(Some(Utc::now().naive_utc())),
            "ip_address": "127.0.0.1", "is_public": true, "is_removed": false,
        })
    }
}
