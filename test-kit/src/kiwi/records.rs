//! The records the in-memory Kiwi holds, with the fields the engine uses.

use chrono::NaiveDateTime;

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
    /// Its tags (names).
    pub tags: Vec<String>,
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

/// A property of an execution (Kiwi ≥ 15.3: `TestExecution.add_property`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionProperty {
    /// Id.
    pub id: i64,
    /// The execution.
    pub execution: i64,
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}
