//! A stateful in-memory Kiwi TCMS behind [`FakeKiwi`].
//!
//! [`Kiwi::install`] registers a handler on the fake for every method the reporting engine
//! uses, all sharing one [`Db`]. The handlers behave like Kiwi TCMS 12.4 (and 16.2 where the
//! two differ), as measured on real servers (`kiwi-api-notes.md`, `kiwi16-differences.md`):
//!
//! * **Methods**: `filter` and `create` of Classification, Product, Version, Build, Category
//!   and PlanType; `Priority.filter`, `TestCaseStatus.filter`, `TestExecutionStatus.filter`,
//!   `User.filter`; `TestPlan.filter/create/add_case`, `TestCase.filter/create`,
//!   `TestRun.filter/create/add_case/update`,
//!   `TestExecution.filter/update/add_comment/get_comments`. Any other method is unknown to
//!   the fake, which fails the scenario.
//! * **Seed data of a fresh server**: the execution statuses with their weights, priorities
//!   `P1`..`P5`, test case statuses (`CONFIRMED` is the confirmed one), the stock plan types,
//!   the logged-in user (id 2) and **no** Classification, Product, Version or Build.
//! * **Side effects**: `Product.create` also creates Version `unspecified` (with Build
//!   `unspecified`) and Category `--default--`; `Version.create` also creates Build
//!   `unspecified`.
//! * **Filters** take Django lookups: a field (`name`, `product`, `pk`, relation paths such as
//!   `category__product` or `plan`) optionally followed by `__in`. An unknown field is answered
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

use crate::fake::{DEFAULT_USERNAME, FakeKiwi, HandlerResult, RpcFault};
use chrono::{NaiveDate, NaiveDateTime, Timelike, Utc};
use serde_json::{Map, Value, json};

/// The id of the user the plugin logs in as (id 1 is django-guardian's `AnonymousUser`).
pub const CALLER_ID: i64 = 2;

/// Django's message for a foreign key that does not exist.
const INVALID_CHOICE: &str =
    "Select a valid choice. That choice is not one of the available choices.";

/// Django's message for a missing required field.
const REQUIRED: &str = "This field is required.";

/// A user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Id.
    pub id: i64,
    /// User name.
    pub username: String,
}

/// A classification of products.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
}

/// A product.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Its classification.
    pub classification: i64,
}

/// A version of a product.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// Id.
    pub id: i64,
    /// Value, unique per product.
    pub value: String,
    /// Its product.
    pub product: i64,
}

/// A build of a version.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// Id.
    pub id: i64,
    /// Name, unique per version.
    pub name: String,
    /// Its version.
    pub version: i64,
    /// Only active builds can be used by new runs.
    pub is_active: bool,
}

/// A category of test cases of a product.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// Id.
    pub id: i64,
    /// Name, unique per product.
    pub name: String,
    /// Its product.
    pub product: i64,
}

/// A plan type (`Unit`, `Integration`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanType {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
}

/// A priority (`P1`..`P5`).
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    /// Id.
    pub id: i64,
    /// Value.
    pub value: String,
}

/// A test case status.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseStatus {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Only cases of a confirmed status can be added to runs.
    pub is_confirmed: bool,
}

/// An execution status, which an administrator may rename.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionStatus {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Positive: good, negative: bad, zero: neutral.
    pub weight: i64,
}

/// A test plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Text.
    pub text: String,
    /// Its product.
    pub product: i64,
    /// Its version (of the product).
    pub product_version: i64,
    /// Its plan type.
    pub plan_type: i64,
    /// Its author.
    pub author: i64,
    /// Its parent plan.
    pub parent: Option<i64>,
    /// Active.
    pub is_active: bool,
    /// The cases of the plan and their sort keys.
    pub cases: Vec<(i64, i64)>,
}

/// A test case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Id.
    pub id: i64,
    /// Summary (at most 255 characters).
    pub summary: String,
    /// Its category (and so its product).
    pub category: i64,
    /// Its priority.
    pub priority: i64,
    /// Its status.
    pub case_status: i64,
    /// Automated.
    pub is_automated: bool,
    /// Notes.
    pub notes: String,
    /// Text.
    pub text: String,
    /// Author.
    pub author: i64,
    /// Default tester.
    pub default_tester: Option<i64>,
}

/// A test run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Id.
    pub id: i64,
    /// Summary.
    pub summary: String,
    /// Notes.
    pub notes: String,
    /// Its plan.
    pub plan: i64,
    /// Its build.
    pub build: i64,
    /// Manager.
    pub manager: i64,
    /// Default tester.
    pub default_tester: i64,
    /// Start.
    pub start_date: Option<NaiveDateTime>,
    /// Stop.
    pub stop_date: Option<NaiveDateTime>,
}

/// A test execution: one case in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// Id.
    pub id: i64,
    /// Its run.
    pub run: i64,
    /// Its case.
    pub case: i64,
    /// Build.
    pub build: i64,
    /// Status.
    pub status: i64,
    /// Who tested it.
    pub tested_by: Option<i64>,
    /// Assignee.
    pub assignee: Option<i64>,
    /// Start.
    pub start_date: Option<NaiveDateTime>,
    /// Stop.
    pub stop_date: Option<NaiveDateTime>,
    /// Sort key in the run.
    pub sortkey: i64,
    /// Version of the case text.
    pub case_text_version: i64,
}

/// A comment on an execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Id.
    pub id: i64,
    /// The execution.
    pub execution: i64,
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub user: i64,
}

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
    ("Classification.filter", Db::classification_filter),
    ("Classification.create", Db::classification_create),
    ("Product.filter", Db::product_filter),
    ("Product.create", Db::product_create),
    ("Version.filter", Db::version_filter),
    ("Version.create", Db::version_create),
    ("Build.filter", Db::build_filter),
    ("Build.create", Db::build_create),
    ("Category.filter", Db::category_filter),
    ("Category.create", Db::category_create),
    ("PlanType.filter", Db::plan_type_filter),
    ("PlanType.create", Db::plan_type_create),
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
    ("TestExecution.filter", Db::execution_filter),
    ("TestExecution.update", Db::execution_update),
    ("TestExecution.add_comment", Db::execution_add_comment),
    ("TestExecution.get_comments", Db::execution_get_comments),
    ("User.filter", Db::user_filter),
];

impl Kiwi {
    /// Seeds a fresh server and answers, on `fake`, every method the module docs list.
    pub fn install(fake: &FakeKiwi) -> Self {
        let kiwi = Self {
            db: Arc::new(Mutex::new(Db::fresh(fake.is_kiwi16()))),
        };
        for (name, method) in METHODS {
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

/// A record as a filter returns it, and the lookups it answers beyond its own keys.
struct Row {
    out: Map<String, Value>,
    extra: Vec<(&'static str, Vec<Value>)>,
}

impl Row {
    fn new(out: Value) -> Self {
        let out = match out {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Self {
            out,
            extra: Vec::new(),
        }
    }

    fn with(mut self, key: &'static str, values: Vec<Value>) -> Self {
        self.extra.push((key, values));
        self
    }

    /// The values of a lookup field (`pk` is `id`), `None` when the record has no such field.
    fn values(&self, field: &str) -> Option<Vec<Value>> {
        let field = if field == "pk" { "id" } else { field };
        if let Some(v) = self.out.get(field) {
            return Some(vec![v.clone()]);
        }
        self.extra
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.clone())
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

    fn username(&self, id: Option<i64>) -> Value {
        id.and_then(|id| self.users.iter().find(|u| u.id == id))
            .map_or(Value::Null, |u| json!(u.username))
    }

    fn status(&self, id: i64) -> Option<&ExecutionStatus> {
        self.statuses.iter().find(|s| s.id == id)
    }

    fn version(&self, id: i64) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    fn build(&self, id: i64) -> Option<&Build> {
        self.builds.iter().find(|b| b.id == id)
    }

    fn case(&self, id: i64) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }

    fn plan(&self, id: i64) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    fn category(&self, id: i64) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The product of a case (through its category).
    pub fn case_product(&self, case: &Case) -> Option<i64> {
        self.category(case.category).map(|c| c.product)
    }

    // ----- records as Kiwi returns them ------------------------------------------------

    fn product_json(p: &Product) -> Value {
        json!({"id": p.id, "name": p.name, "description": "", "classification": p.classification})
    }

    fn version_json(&self, v: &Version) -> Value {
        let product = self.products.iter().find(|p| p.id == v.product);
        json!({"id": v.id, "value": v.value, "product": v.product,
               "product__name": product.map(|p| p.name.clone())})
    }

    fn build_json(&self, b: &Build) -> Value {
        json!({"id": b.id, "name": b.name, "version": b.version,
               "version__value": self.version(b.version).map(|v| v.value.clone()),
               "is_active": b.is_active})
    }

    fn category_json(c: &Category) -> Value {
        json!({"id": c.id, "name": c.name, "product": c.product, "description": ""})
    }

    fn plan_json(&self, p: &Plan) -> Value {
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

    fn comment_json(c: &Comment, username: Value) -> Value {
        json!({
            "id": c.id, "content_type": 1, "object_pk": c.execution.to_string(), "site": 1,
            "user": c.user, "user_name": username, "user_email": "", "user_url": "",
            "comment": c.text, "submit_date": date_json(Some(Utc::now().naive_utc())),
            "ip_address": "127.0.0.1", "is_public": true, "is_removed": false,
        })
    }

    // ----- handlers --------------------------------------------------------------------

    fn classification_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .classifications
            .iter()
            .map(|c| Row::new(json!({"id": c.id, "name": c.name})))
            .collect();
        select("Classification", &["id", "name"], rows, params)
    }

    fn classification_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let name = required_text(values, "name")?;
        if self.classifications.iter().any(|c| c.name == name) {
            return Err(RpcFault::duplicate("Classification", "name"));
        }
        let id = next_id(self.classifications.iter().map(|c| c.id));
        self.classifications.push(Classification { id, name });
        let c = &self.classifications[self.classifications.len() - 1];
        Ok(json!({"id": c.id, "name": c.name}))
    }

    fn product_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .products
            .iter()
            .map(|p| Row::new(Self::product_json(p)))
            .collect();
        select(
            "Product",
            &["id", "name", "description", "classification"],
            rows,
            params,
        )
    }

    fn product_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let name = required_text(values, "name")?;
        let classification = required_id(values, "classification")?;
        if !self.classifications.iter().any(|c| c.id == classification) {
            return Err(invalid_choice("classification"));
        }
        if self.products.iter().any(|p| p.name == name) {
            return Err(RpcFault::duplicate("Product", "name"));
        }
        let id = next_id(self.products.iter().map(|p| p.id));
        let product = Product {
            id,
            name,
            classification,
        };
        let out = Self::product_json(&product);
        self.products.push(product);
        // Kiwi's post-save signals.
        self.insert_version(id, "unspecified");
        let category = next_id(self.categories.iter().map(|c| c.id));
        self.categories.push(Category {
            id: category,
            name: "--default--".into(),
            product: id,
        });
        Ok(out)
    }

    /// Adds a version and its `unspecified` build.
    fn insert_version(&mut self, product: i64, value: &str) -> i64 {
        let id = next_id(self.versions.iter().map(|v| v.id));
        self.versions.push(Version {
            id,
            value: value.into(),
            product,
        });
        let build = next_id(self.builds.iter().map(|b| b.id));
        self.builds.push(Build {
            id: build,
            name: "unspecified".into(),
            version: id,
            is_active: true,
        });
        id
    }

    fn version_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .versions
            .iter()
            .map(|v| Row::new(self.version_json(v)))
            .collect();
        select(
            "Version",
            &["id", "value", "product", "product__name"],
            rows,
            params,
        )
    }

    fn version_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let product = required_id(values, "product")?;
        let value = required_text(values, "value")?;
        if !self.products.iter().any(|p| p.id == product) {
            return Err(invalid_choice("product"));
        }
        if self
            .versions
            .iter()
            .any(|v| v.product == product && v.value == value)
        {
            return Err(RpcFault::validation(&[(
                "__all__",
                &["Version with this Product and Value already exists."],
            )]));
        }
        let id = self.insert_version(product, &value);
        Ok(json!({"id": id, "value": value, "product": product}))
    }

    fn build_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .builds
            .iter()
            .map(|b| Row::new(self.build_json(b)))
            .collect();
        select(
            "Build",
            &["id", "name", "version", "version__value", "is_active"],
            rows,
            params,
        )
    }

    fn build_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let name = required_text(values, "name")?;
        let version = required_id(values, "version")?;
        if self.version(version).is_none() {
            return Err(invalid_choice("version"));
        }
        if self
            .builds
            .iter()
            .any(|b| b.version == version && b.name == name)
        {
            return Err(RpcFault::validation(&[(
                "__all__",
                &["Build with this Version and Name already exists."],
            )]));
        }
        let is_active = values
            .get("is_active")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let id = next_id(self.builds.iter().map(|b| b.id));
        self.builds.push(Build {
            id,
            name: name.clone(),
            version,
            is_active,
        });
        Ok(json!({"id": id, "name": name, "version": version, "is_active": is_active}))
    }

    fn category_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .categories
            .iter()
            .map(|c| Row::new(Self::category_json(c)))
            .collect();
        select(
            "Category",
            &["id", "name", "product", "description"],
            rows,
            params,
        )
    }

    fn category_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let name = required_text(values, "name")?;
        let product = required_id(values, "product")?;
        if !self.products.iter().any(|p| p.id == product) {
            return Err(invalid_choice("product"));
        }
        if self
            .categories
            .iter()
            .any(|c| c.product == product && c.name == name)
        {
            return Err(RpcFault::validation(&[(
                "__all__",
                &["Category with this Product and Name already exists."],
            )]));
        }
        let id = next_id(self.categories.iter().map(|c| c.id));
        let category = Category { id, name, product };
        let out = Self::category_json(&category);
        self.categories.push(category);
        Ok(out)
    }

    fn plan_type_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .plan_types
            .iter()
            .map(|t| Row::new(json!({"id": t.id, "name": t.name, "description": ""})))
            .collect();
        select("PlanType", &["id", "name", "description"], rows, params)
    }

    fn plan_type_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let name = required_text(values, "name")?;
        if self.plan_types.iter().any(|t| t.name == name) {
            return Err(RpcFault::duplicate("PlanType", "name"));
        }
        let id = next_id(self.plan_types.iter().map(|t| t.id));
        self.plan_types.push(PlanType {
            id,
            name: name.clone(),
        });
        Ok(json!({"id": id, "name": name, "description": ""}))
    }

    fn priority_filter(&mut self, params: &Value) -> HandlerResult {
        let mut rows: Vec<Row> = self
            .priorities
            .iter()
            .map(|p| Row::new(json!({"id": p.id, "value": p.value, "is_active": true})))
            .collect();
        if self.priorities_reversed {
            rows.reverse();
        }
        select("Priority", &["id", "value", "is_active"], rows, params)
    }

    fn case_status_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .case_statuses
            .iter()
            .map(|s| {
                Row::new(json!({"id": s.id, "name": s.name, "description": "",
                                "is_confirmed": s.is_confirmed}))
            })
            .collect();
        select(
            "TestCaseStatus",
            &["id", "name", "description", "is_confirmed"],
            rows,
            params,
        )
    }

    fn status_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .statuses
            .iter()
            .map(|s| {
                Row::new(json!({"id": s.id, "name": s.name, "weight": s.weight,
                                "icon": "fa fa-check", "color": "#92d400"}))
            })
            .collect();
        select(
            "TestExecutionStatus",
            &["id", "name", "weight", "icon", "color"],
            rows,
            params,
        )
    }

    fn plan_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .plans
            .iter()
            .map(|p| Row::new(self.plan_json(p)))
            .collect();
        select(
            "TestPlan",
            &[
                "id",
                "name",
                "text",
                "create_date",
                "is_active",
                "extra_link",
                "product_version",
                "product_version__value",
                "product",
                "product__name",
                "author",
                "author__username",
                "type",
                "type__name",
                "parent",
            ],
            rows,
            params,
        )
    }

    fn plan_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        // Kiwi reads `values["product"]` before validating: a KeyError.
        let Some(product) = values.get("product") else {
            return Err(RpcFault::internal("'product'"));
        };
        let product = as_id(product).ok_or_else(|| invalid_choice("product"))?;
        let name = required_text(values, "name")?;
        let product_version = required_id(values, "product_version")?;
        let plan_type = required_id(values, "type")?;
        if !self.products.iter().any(|p| p.id == product) {
            return Err(invalid_choice("product"));
        }
        if self
            .version(product_version)
            .is_none_or(|v| v.product != product)
        {
            return Err(invalid_choice("product_version"));
        }
        if !self.plan_types.iter().any(|t| t.id == plan_type) {
            return Err(invalid_choice("type"));
        }
        let author = self.optional_user(values, "author")?.unwrap_or(CALLER_ID);
        let parent = match values.get("parent").filter(|v| !v.is_null()) {
            None => None,
            Some(v) => Some(
                as_id(v)
                    .filter(|id| self.plan(*id).is_some())
                    .ok_or_else(|| invalid_choice("parent"))?,
            ),
        };
        let id = next_id(self.plans.iter().map(|p| p.id));
        let plan = Plan {
            id,
            name,
            text: text_or_empty(values, "text")?,
            product,
            product_version,
            plan_type,
            author,
            parent,
            is_active: values
                .get("is_active")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            cases: Vec::new(),
        };
        let out = json!({
            "id": id, "parent": plan.parent, "name": plan.name, "text": plan.text,
            "is_active": plan.is_active, "extra_link": null,
            "product_version": plan.product_version, "author": plan.author,
            "product": plan.product, "type": plan.plan_type,
            "create_date": "2026-01-01T00:00:00",
        });
        self.plans.push(plan);
        Ok(out)
    }

    fn plan_add_case(&mut self, params: &Value) -> HandlerResult {
        let plan_id = id_arg(params, 0, "plan_id")?;
        let case_id = id_arg(params, 1, "case_id")?;
        if self.case(case_id).is_none() {
            return Err(RpcFault::does_not_exist("TestCase"));
        }
        let plan = self
            .plans
            .iter_mut()
            .find(|p| p.id == plan_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestPlan"))?;
        let sortkey = match plan.cases.iter().find(|(c, _)| *c == case_id) {
            Some((_, sortkey)) => *sortkey,
            None => {
                let sortkey = plan.cases.iter().map(|(_, s)| *s).max().unwrap_or(0) + 10;
                plan.cases.push((case_id, sortkey));
                sortkey
            }
        };
        let case = self
            .case(case_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestCase"))?;
        let mut out = self.case_json(case);
        out["sortkey"] = json!(sortkey);
        Ok(out)
    }

    fn case_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .cases
            .iter()
            .map(|c| {
                let plans = self
                    .plans
                    .iter()
                    .filter(|p| p.cases.iter().any(|(id, _)| *id == c.id))
                    .map(|p| json!(p.id))
                    .collect();
                let product = self.case_product(c).map_or(Value::Null, |p| json!(p));
                Row::new(self.case_json(c))
                    .with("plan", plans)
                    .with("category__product", vec![product])
            })
            .collect();
        select(
            "TestCase",
            &[
                "id",
                "summary",
                "is_automated",
                "notes",
                "text",
                "case_status",
                "case_status__name",
                "category",
                "category__name",
                "priority",
                "author",
                "default_tester",
                "plan",
                "category__product",
            ],
            rows,
            params,
        )
    }

    fn case_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let summary = required_text(values, "summary")?;
        let length = summary.chars().count();
        if length > 255 {
            return Err(RpcFault::validation(&[(
                "summary",
                &[&format!(
                    "Ensure this value has at most 255 characters (it has {length})."
                )],
            )]));
        }
        let category = required_id(values, "category")?;
        let priority = required_id(values, "priority")?;
        let case_status = required_id(values, "case_status")?;
        if self.category(category).is_none() {
            return Err(invalid_choice("category"));
        }
        if !self.priorities.iter().any(|p| p.id == priority) {
            return Err(invalid_choice("priority"));
        }
        if !self.case_statuses.iter().any(|s| s.id == case_status) {
            return Err(invalid_choice("case_status"));
        }
        let default_tester = self.optional_user(values, "default_tester")?;
        let author = self.optional_user(values, "author")?.unwrap_or(CALLER_ID);
        let id = next_id(self.cases.iter().map(|c| c.id));
        let case = Case {
            id,
            summary,
            category,
            priority,
            case_status,
            is_automated: values
                .get("is_automated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            notes: text_or_empty(values, "notes")?,
            text: text_or_empty(values, "text")?,
            author,
            default_tester,
        };
        let mut out = self.case_json(&case);
        // `TestCase.create` answers durations as the string "None".
        out["setup_duration"] = json!("None");
        out["testing_duration"] = json!("None");
        self.cases.push(case);
        Ok(out)
    }

    fn run_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .runs
            .iter()
            .map(|r| {
                let plan = self.plan(r.plan);
                Row::new(self.run_json(r))
                    .with("plan__product", vec![json!(plan.map(|p| p.product))])
                    .with(
                        "plan__product_version",
                        vec![json!(plan.map(|p| p.product_version))],
                    )
            })
            .collect();
        select(
            "TestRun",
            &[
                "id",
                "summary",
                "notes",
                "plan",
                "build",
                "manager",
                "default_tester",
                "start_date",
                "stop_date",
                "plan__product",
                "plan__product_version",
            ],
            rows,
            params,
        )
    }

    fn run_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let summary = required_text(values, "summary")?;
        let plan = required_id(values, "plan")?;
        let build = required_id(values, "build")?;
        let plan = self.plan(plan).ok_or_else(|| invalid_choice("plan"))?;
        // The build must be an active build of the plan's version.
        let build_ok = self
            .build(build)
            .is_some_and(|b| b.is_active && b.version == plan.product_version);
        if !build_ok {
            return Err(invalid_choice("build"));
        }
        let plan = plan.id;
        let manager = self
            .optional_user(values, "manager")?
            .ok_or_else(|| RpcFault::validation(&[("manager", &[REQUIRED])]))?;
        let default_tester = self
            .optional_user(values, "default_tester")?
            .unwrap_or(CALLER_ID);
        let run = Run {
            id: next_id(self.runs.iter().map(|r| r.id)),
            summary,
            notes: text_or_empty(values, "notes")?,
            plan,
            build,
            manager,
            default_tester,
            start_date: date_arg(values, "start_date")?.flatten(),
            stop_date: date_arg(values, "stop_date")?.flatten(),
        };
        let out = json!({
            "id": run.id, "start_date": date_json(run.start_date),
            "stop_date": date_json(run.stop_date), "planned_start": null, "planned_stop": null,
            "summary": run.summary, "notes": run.notes, "plan": run.plan, "build": run.build,
            "manager": run.manager, "default_tester": run.default_tester,
        });
        self.runs.push(run);
        Ok(out)
    }

    fn run_add_case(&mut self, params: &Value) -> HandlerResult {
        let run_id = id_arg(params, 0, "run_id")?;
        let case_id = id_arg(params, 1, "case_id")?;
        let run = self
            .runs
            .iter()
            .find(|r| r.id == run_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestRun"))?;
        let case = self
            .case(case_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestCase"))?;
        let confirmed = self
            .case_statuses
            .iter()
            .any(|s| s.id == case.case_status && s.is_confirmed);
        if !confirmed {
            return Err(RpcFault::internal(format!(
                "TC-{case_id} status is not confirmed"
            )));
        }
        let build = run.build;
        let existing: Vec<i64> = self
            .executions
            .iter()
            .filter(|e| e.run == run_id && e.case == case_id)
            .map(|e| e.id)
            .collect();
        let ids = if existing.is_empty() {
            let idle = self
                .statuses
                .iter()
                .filter(|s| s.weight == 0)
                .map(|s| s.id)
                .min()
                .ok_or_else(|| RpcFault::internal("no neutral execution status"))?;
            let sortkey = self
                .executions
                .iter()
                .filter(|e| e.run == run_id)
                .map(|e| e.sortkey)
                .max()
                .unwrap_or(0)
                + 10;
            let id = next_id(self.executions.iter().map(|e| e.id));
            self.executions.push(Execution {
                id,
                run: run_id,
                case: case_id,
                build,
                status: idle,
                tested_by: None,
                assignee: None,
                start_date: None,
                stop_date: None,
                sortkey,
                case_text_version: 1,
            });
            vec![id]
        } else {
            existing
        };
        let out: Vec<Value> = ids
            .iter()
            .filter_map(|id| self.executions.iter().find(|e| e.id == *id))
            .map(|e| {
                let mut v = json!({
                    "id": e.id, "assignee": e.assignee, "tested_by": e.tested_by,
                    "case_text_version": e.case_text_version,
                    "start_date": date_json(e.start_date), "stop_date": date_json(e.stop_date),
                    "sortkey": e.sortkey, "run": e.run, "case": e.case, "status": e.status,
                    "build": e.build, "properties": [],
                });
                if self.kiwi16 {
                    v["tag"] = json!([]);
                }
                v
            })
            .collect();
        Ok(Value::Array(out))
    }

    fn run_update(&mut self, params: &Value) -> HandlerResult {
        let run_id = id_arg(params, 0, "run_id")?;
        let values = values_arg(params, 1)?;
        let index = self
            .runs
            .iter()
            .position(|r| r.id == run_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestRun"))?;
        let start = date_arg(values, "start_date")?;
        let stop = date_arg(values, "stop_date")?;
        let manager = self.optional_user(values, "manager")?;
        let default_tester = self.optional_user(values, "default_tester")?;
        let run = &mut self.runs[index];
        if let Some(start) = start {
            run.start_date = start;
        }
        if let Some(stop) = stop {
            run.stop_date = stop;
        }
        if let Some(manager) = manager {
            run.manager = manager;
        }
        if let Some(tester) = default_tester {
            run.default_tester = tester;
        }
        if values.contains_key("summary") {
            run.summary = required_text(values, "summary")?;
        }
        if values.contains_key("notes") {
            run.notes = text_or_empty(values, "notes")?;
        }
        let run = self.runs[index].clone();
        Ok(self.run_json(&run))
    }

    fn execution_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .executions
            .iter()
            .map(|e| Row::new(self.execution_json(e)))
            .collect();
        select(
            "TestExecution",
            &[
                "id",
                "assignee",
                "tested_by",
                "case_text_version",
                "start_date",
                "stop_date",
                "sortkey",
                "run",
                "case",
                "case__summary",
                "build",
                "status",
                "status__name",
            ],
            rows,
            params,
        )
    }

    fn execution_update(&mut self, params: &Value) -> HandlerResult {
        let id = id_arg(params, 0, "execution_id")?;
        let values = values_arg(params, 1)?;
        let index = self
            .executions
            .iter()
            .position(|e| e.id == id)
            .ok_or_else(|| RpcFault::does_not_exist("TestExecution"))?;
        let status = match values.get("status") {
            None => None,
            Some(v) => Some(
                as_id(v)
                    .filter(|id| self.status(*id).is_some())
                    .ok_or_else(|| invalid_choice("status"))?,
            ),
        };
        let tested_by = self.optional_user(values, "tested_by")?;
        let assignee = self.optional_user(values, "assignee")?;
        let build = match values.get("build") {
            None => None,
            Some(v) => Some(
                as_id(v)
                    .filter(|id| self.build(*id).is_some())
                    .ok_or_else(|| invalid_choice("build"))?,
            ),
        };
        let start = date_arg(values, "start_date")?;
        let stop = date_arg(values, "stop_date")?;
        let run_build = self
            .runs
            .iter()
            .find(|r| r.id == self.executions[index].run)
            .map(|r| r.build);
        let e = &mut self.executions[index];
        // A date the update does not send is written back from the form's initial value,
        // which Django reads without its fractions of a second.
        match start {
            Some(start) => e.start_date = start,
            None => e.start_date = e.start_date.map(whole_seconds),
        }
        match stop {
            Some(stop) => e.stop_date = stop,
            None => e.stop_date = e.stop_date.map(whole_seconds),
        }
        if let Some(status) = status {
            e.status = status;
            e.tested_by = Some(tested_by.unwrap_or(CALLER_ID));
            e.build = build.or(run_build).unwrap_or(e.build);
        } else {
            if let Some(t) = tested_by {
                e.tested_by = Some(t);
            }
            if let Some(b) = build {
                e.build = b;
            }
        }
        if let Some(a) = assignee {
            e.assignee = Some(a);
        }
        if let Some(sortkey) = values.get("sortkey").and_then(Value::as_i64) {
            e.sortkey = sortkey;
        }
        let e = self.executions[index].clone();
        Ok(self.execution_json(&e))
    }

    fn execution_add_comment(&mut self, params: &Value) -> HandlerResult {
        let id = id_arg(params, 0, "execution_id")?;
        let text = arg(params, 1, "comment")?
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RpcFault::validation(&[("comment", &[REQUIRED])]))?
            .to_owned();
        if !self.executions.iter().any(|e| e.id == id) {
            return Err(RpcFault::does_not_exist("TestExecution"));
        }
        let comment = Comment {
            id: next_id(self.comments.iter().map(|c| c.id)),
            execution: id,
            text,
            user: CALLER_ID,
        };
        let mut out = Self::comment_json(&comment, self.username(Some(CALLER_ID)));
        // `add_comment` answers `object_pk` as a number, `get_comments` as text.
        out["object_pk"] = json!(id);
        self.comments.push(comment);
        Ok(out)
    }

    fn execution_get_comments(&mut self, params: &Value) -> HandlerResult {
        let id = id_arg(params, 0, "execution_id")?;
        if !self.executions.iter().any(|e| e.id == id) {
            return Err(RpcFault::does_not_exist("TestExecution"));
        }
        Ok(Value::Array(
            self.comments
                .iter()
                .filter(|c| c.execution == id)
                .map(|c| Self::comment_json(c, self.username(Some(c.user))))
                .collect(),
        ))
    }

    fn user_filter(&mut self, params: &Value) -> HandlerResult {
        // Without a query Kiwi answers the caller only.
        let params = match params {
            Value::Null => serde_json::json!([{"pk": CALLER_ID}]),
            Value::Array(items) if items.is_empty() => serde_json::json!([{"pk": CALLER_ID}]),
            other => other.clone(),
        };
        let rows = self
            .users
            .iter()
            .map(|u| {
                Row::new(json!({"id": u.id, "username": u.username, "email": "",
                                "first_name": "", "last_name": "", "is_active": true,
                                "is_staff": u.id == CALLER_ID, "is_superuser": u.id == CALLER_ID}))
            })
            .collect();
        select(
            "User",
            &[
                "id",
                "username",
                "email",
                "is_active",
                "is_staff",
                "is_superuser",
            ],
            rows,
            &params,
        )
    }

    /// A user id in `values[key]`: absent or null is `None`, an unknown user is refused.
    /// Accepts a user name too, as Kiwi does for `manager`.
    fn optional_user(
        &self,
        values: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<i64>, RpcFault> {
        match values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let found = match v.as_str().filter(|s| s.parse::<i64>().is_err()) {
                    Some(name) => self.users.iter().find(|u| u.username == name),
                    None => as_id(v).and_then(|id| self.users.iter().find(|u| u.id == id)),
                };
                found.map(|u| Some(u.id)).ok_or_else(|| invalid_choice(key))
            }
        }
    }

    // ----- set-up and inspection for the steps -----------------------------------------

    /// Calls one of the in-memory methods directly (to set up a scenario: not logged as a
    /// call).
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let (_, f) = METHODS
            .iter()
            .find(|(name, _)| *name == method)
            .ok_or_else(|| format!("the in-memory Kiwi TCMS has no method {method}"))?;
        f(self, &params).map_err(|fault| format!("{method}: {}", fault.message))
    }

    /// Finds the id of a record by kind and name; `parent` narrows versions and categories
    /// (by product name) and builds (by version value).
    pub fn find(&self, kind: &str, name: &str, parent: Option<&str>) -> Result<i64, String> {
        let product = |p: i64| self.products.iter().find(|x| x.id == p).map(|x| &x.name);
        let ids: Vec<i64> = match kind {
            "product" => by_name(&self.products, |p| (p.id, &p.name), name),
            "classification" => by_name(&self.classifications, |c| (c.id, &c.name), name),
            "plan type" => by_name(&self.plan_types, |t| (t.id, &t.name), name),
            "test plan" => by_name(&self.plans, |p| (p.id, &p.name), name),
            "test run" => by_name(&self.runs, |r| (r.id, &r.summary), name),
            "test case" => by_name(&self.cases, |c| (c.id, &c.summary), name),
            "user" => by_name(&self.users, |u| (u.id, &u.username), name),
            "status" | "execution status" => by_name(&self.statuses, |s| (s.id, &s.name), name),
            "priority" => by_name(&self.priorities, |p| (p.id, &p.value), name),
            "case status" => by_name(&self.case_statuses, |s| (s.id, &s.name), name),
            "version" => self
                .versions
                .iter()
                .filter(|v| v.value == name)
                .filter(|v| parent.is_none_or(|p| product(v.product).is_some_and(|n| n == p)))
                .map(|v| v.id)
                .collect(),
            "category" => self
                .categories
                .iter()
                .filter(|c| c.name == name)
                .filter(|c| parent.is_none_or(|p| product(c.product).is_some_and(|n| n == p)))
                .map(|c| c.id)
                .collect(),
            "build" => self
                .builds
                .iter()
                .filter(|b| b.name == name)
                .filter(|b| {
                    parent.is_none_or(|p| self.version(b.version).is_some_and(|v| v.value == p))
                })
                .map(|b| b.id)
                .collect(),
            other => return Err(format!("no such kind of record: {other}")),
        };
        let within = parent.map(|p| format!(" of {p:?}")).unwrap_or_default();
        match ids.as_slice() {
            [id] => Ok(*id),
            [] => Err(format!("the server has no {kind} {name:?}{within}")),
            _ => Err(format!(
                "the server has {} records of kind {kind} named {name:?}{within}; say which",
                ids.len()
            )),
        }
    }

    /// How many records of a kind there are.
    pub fn count(&self, kind: &str) -> Result<usize, String> {
        Ok(match kind {
            "product" => self.products.len(),
            "classification" => self.classifications.len(),
            "version" => self.versions.len(),
            "build" => self.builds.len(),
            "category" => self.categories.len(),
            "plan type" => self.plan_types.len(),
            "test plan" => self.plans.len(),
            "test run" => self.runs.len(),
            "test case" => self.cases.len(),
            "execution" => self.executions.len(),
            "comment" => self.comments.len(),
            other => return Err(format!("no such kind of record: {other}")),
        })
    }

    /// A record as its `filter` returns it (raw, not escaped).
    pub fn record_json(&self, kind: &str, id: i64) -> Result<Value, String> {
        let missing = || format!("no {kind} with id {id}");
        match kind {
            "product" => self
                .products
                .iter()
                .find(|p| p.id == id)
                .map(Self::product_json),
            "version" => self.version(id).map(|v| self.version_json(v)),
            "build" => self.build(id).map(|b| self.build_json(b)),
            "test plan" => self.plan(id).map(|p| self.plan_json(p)),
            "test run" => self
                .runs
                .iter()
                .find(|r| r.id == id)
                .map(|r| self.run_json(r)),
            "test case" => self.case(id).map(|c| self.case_json(c)),
            "execution" => self
                .executions
                .iter()
                .find(|e| e.id == id)
                .map(|e| self.execution_json(e)),
            other => return Err(format!("records of kind {other} cannot be inspected")),
        }
        .ok_or_else(missing)
    }

    /// The executions of a run, in sort order.
    pub fn executions_of(&self, run: i64) -> Vec<&Execution> {
        let mut out: Vec<&Execution> = self.executions.iter().filter(|e| e.run == run).collect();
        out.sort_by_key(|e| (e.sortkey, e.id));
        out
    }

    /// The executions of the case named `summary` (in any run).
    pub fn executions_named(&self, summary: &str) -> Vec<&Execution> {
        self.executions
            .iter()
            .filter(|e| self.case(e.case).is_some_and(|c| c.summary == summary))
            .collect()
    }

    /// The summary of a case.
    pub fn case_summary(&self, id: i64) -> Option<&str> {
        self.case(id).map(|c| c.summary.as_str())
    }

    /// The summary of the case of an execution.
    pub fn execution_case_summary(&self, execution: i64) -> Option<&str> {
        self.executions
            .iter()
            .find(|e| e.id == execution)
            .and_then(|e| self.case_summary(e.case))
    }

    /// The name of an execution status.
    pub fn status_name(&self, id: i64) -> Option<&str> {
        self.status(id).map(|s| s.name.as_str())
    }

    /// The user name of a user.
    pub fn user_name(&self, id: i64) -> Option<&str> {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.username.as_str())
    }

    /// The comments of an execution, oldest first.
    pub fn comments_of(&self, execution: i64) -> Vec<&str> {
        self.comments
            .iter()
            .filter(|c| c.execution == execution)
            .map(|c| c.text.as_str())
            .collect()
    }

    /// The summaries of a plan's cases, in sort order.
    pub fn plan_case_summaries(&self, plan: i64) -> Vec<&str> {
        let Some(plan) = self.plan(plan) else {
            return Vec::new();
        };
        let mut cases = plan.cases.clone();
        cases.sort_by_key(|(id, sortkey)| (*sortkey, *id));
        cases
            .iter()
            .filter_map(|(id, _)| self.case_summary(*id))
            .collect()
    }

    /// The values of a product's versions, oldest first.
    pub fn version_values(&self, product: i64) -> Vec<&str> {
        self.versions
            .iter()
            .filter(|v| v.product == product)
            .map(|v| v.value.as_str())
            .collect()
    }
}

/// The ids of the records whose name is `name`.
fn by_name<T>(rows: &[T], key: impl Fn(&T) -> (i64, &String), name: &str) -> Vec<i64> {
    rows.iter()
        .map(key)
        .filter(|(_, n)| n.as_str() == name)
        .map(|(id, _)| id)
        .collect()
}

/// The next id of a table.
fn next_id(ids: impl Iterator<Item = i64>) -> i64 {
    ids.max().unwrap_or(0) + 1
}

/// Drops the fractions of a second.
fn whole_seconds(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(0).unwrap_or(at)
}

/// A date as Django's JSON encoder writes it: ISO, milliseconds only when there are any.
pub fn date_json(at: Option<NaiveDateTime>) -> Value {
    match at {
        None => Value::Null,
        Some(at) => {
            let mut text = at.format("%Y-%m-%dT%H:%M:%S").to_string();
            let micros = at.nanosecond() / 1_000;
            if micros != 0 {
                text.push_str(&format!(".{:03}", micros / 1_000));
            }
            Value::String(text)
        }
    }
}

/// A date field of an RPC form: absent is `None`, null clears (`Some(None)`), text must be
/// naive (Kiwi runs with `USE_TZ=False`).
fn date_arg(
    values: &Map<String, Value>,
    key: &str,
) -> Result<Option<Option<NaiveDateTime>>, RpcFault> {
    let text = match values.get(key) {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(None)),
        Some(Value::String(s)) => s.trim(),
        Some(_) => {
            return Err(RpcFault::validation(&[(
                key,
                &["Enter a valid date/time."],
            )]));
        }
    };
    let time_part = text.get(10..).unwrap_or("");
    if time_part.ends_with('Z') || time_part.contains('+') || time_part.contains('-') {
        return Err(RpcFault::internal(
            "SQLite backend does not support timezone-aware datetimes when USE_TZ is False.",
        ));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(Some(at)));
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Some(day.and_hms_opt(0, 0, 0)));
    }
    Err(RpcFault::internal(
        "Invalid date format. Expected YYYY-MM-DD [HH:MM:SS].",
    ))
}

fn invalid_choice(field: &str) -> RpcFault {
    RpcFault::validation(&[(field, &[INVALID_CHOICE])])
}

/// A positional (or named) argument.
fn arg<'a>(params: &'a Value, index: usize, name: &str) -> Result<&'a Value, RpcFault> {
    let found = match params {
        Value::Array(items) => items.get(index),
        Value::Object(map) => map.get(name),
        _ => None,
    };
    found.ok_or_else(|| {
        RpcFault::invalid_params(format!("missing 1 required positional argument: '{name}'"))
    })
}

/// An id argument.
fn id_arg(params: &Value, index: usize, name: &str) -> Result<i64, RpcFault> {
    let value = arg(params, index, name)?;
    as_id(value).ok_or_else(|| {
        RpcFault::internal(format!("Field '{name}' expected a number but got {value}."))
    })
}

/// The `values` object argument.
fn values_arg(params: &Value, index: usize) -> Result<&Map<String, Value>, RpcFault> {
    arg(params, index, "values")?
        .as_object()
        .ok_or_else(|| RpcFault::internal("'values' must be an object"))
}

/// A text value as a Django form cleans it: NUL characters refused, surrounding whitespace
/// (Python's `str.strip`) dropped.
fn clean_text(key: &str, text: &str) -> Result<String, RpcFault> {
    if text.contains('\0') {
        return Err(RpcFault::validation(&[(
            key,
            &["Null characters are not allowed."],
        )]));
    }
    Ok(text
        .trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
        .to_owned())
}

/// A required text value, cleaned; blank is missing.
fn required_text(values: &Map<String, Value>, key: &str) -> Result<String, RpcFault> {
    let text = match values.get(key) {
        Some(Value::String(s)) => clean_text(key, s)?,
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if text.is_empty() {
        return Err(RpcFault::validation(&[(key, &[REQUIRED])]));
    }
    Ok(text)
}

/// A required foreign key.
fn required_id(values: &Map<String, Value>, key: &str) -> Result<i64, RpcFault> {
    match values.get(key) {
        None | Some(Value::Null) => Err(RpcFault::validation(&[(key, &[REQUIRED])])),
        Some(v) => as_id(v).ok_or_else(|| invalid_choice(key)),
    }
}

/// An optional text value, cleaned.
fn text_or_empty(values: &Map<String, Value>, key: &str) -> Result<String, RpcFault> {
    clean_text(
        key,
        values.get(key).and_then(Value::as_str).unwrap_or_default(),
    )
}

/// A number, or text holding one.
fn as_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Equality the way Django compares a lookup value with a column: `"5"` equals `5`.
fn loose_eq(column: &Value, wanted: &Value) -> bool {
    match (column, wanted) {
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            as_id(column).is_some() && as_id(column) == as_id(wanted)
        }
        _ => column == wanted,
    }
}

/// The lookups Django knows but the in-memory server does not emulate.
const OTHER_LOOKUPS: &[&str] = &[
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "gt",
    "gte",
    "lt",
    "lte",
    "isnull",
    "range",
    "regex",
];

/// Runs a Django-style `filter(query)` over `rows`.
fn select(model: &str, fields: &[&str], rows: Vec<Row>, params: &Value) -> HandlerResult {
    let query = match params {
        Value::Null => Map::new(),
        Value::Array(items) => match items.first() {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(q)) => q.clone(),
            Some(other) => {
                return Err(RpcFault::internal(format!(
                    "'{}' object has no attribute 'items'",
                    json_type(other)
                )));
            }
        },
        Value::Object(named) => match named.get("query") {
            Some(Value::Object(q)) => q.clone(),
            _ => Map::new(),
        },
        other => {
            return Err(RpcFault::invalid_params(format!(
                "unexpected params {other}"
            )));
        }
    };
    let mut conditions = Vec::new();
    for (key, wanted) in &query {
        let (field, is_in) = match key.strip_suffix("__in") {
            Some(field) => (field, true),
            None => (key.as_str(), false),
        };
        if let Some((_, lookup)) = field.rsplit_once("__")
            && OTHER_LOOKUPS.contains(&lookup)
        {
            return Err(RpcFault::internal(format!(
                "Unsupported lookup '{lookup}' in this fake for {model}.{key}"
            )));
        }
        if field != "pk" && !fields.contains(&field) {
            let mut choices: Vec<&str> = fields.to_vec();
            choices.sort_unstable();
            return Err(RpcFault::internal(format!(
                "Cannot resolve keyword '{field}' into field. Choices are: {}",
                choices.join(", ")
            )));
        }
        if is_in && !wanted.is_array() {
            return Err(RpcFault::internal(format!(
                "'{}' object is not iterable",
                json_type(wanted)
            )));
        }
        conditions.push((field, is_in, wanted));
    }
    let mut out = Vec::new();
    for row in rows {
        let keep = conditions.iter().all(|(field, is_in, wanted)| {
            let Some(values) = row.values(field) else {
                return false;
            };
            values.iter().any(|column| match (is_in, wanted) {
                (true, Value::Array(options)) => options.iter().any(|w| loose_eq(column, w)),
                _ => loose_eq(column, wanted),
            })
        });
        if keep {
            out.push(Value::Object(row.out));
        }
    }
    Ok(Value::Array(out))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
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
}
