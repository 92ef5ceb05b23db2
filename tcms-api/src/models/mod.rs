//! Typed Kiwi TCMS records, their create/update inputs, and one handler per record family
//! (`client.test_runs().filter(...)`), in the style of octocrab.
//!
//! Records decode tolerantly: keys a server adds are ignored, keys it leaves out or sends as
//! `null` become `None` or an empty value, so the same types read Kiwi 12.4 and 16.x. Only
//! `id` is required. Strings arrive HTML-unescaped (the client undoes Kiwi's escaping).
//!
//! Every handler method that sends something has a `*_call` sibling that only builds the
//! [`Call<T>`](crate::Call) (`T`: what its answer decodes to), for
//! [`Client::send_all`](crate::Client::send_all) and [`Batch`](crate::Batch) batches.

pub(crate) mod auth;
mod build;
mod category;
mod classification;
mod comment;
mod common;
mod link;
mod plan_type;
mod priority;
mod product;
mod tag;
mod test_case;
mod test_case_status;
mod test_execution;
mod test_execution_status;
mod test_plan;
mod test_run;
mod user;
mod version;

pub use build::{Build, Builds, NewBuild};
pub use category::{Categories, Category, NewCategory};
pub use classification::{Classification, Classifications, NewClassification};
pub use comment::Comment;
pub use link::{Link, NewLink};
pub use plan_type::{NewPlanType, PlanType, PlanTypes};
pub use priority::{Priorities, Priority};
pub use product::{NewProduct, Product, Products};
pub use tag::{Tag, Tags};
pub use test_case::{CaseHistory, NewTestCase, TestCase, TestCaseUpdate, TestCases};
pub use test_case_status::{TestCaseStatus, TestCaseStatuses};
pub use test_execution::{
    Attachment, CaseTextVersion, ExecutionProperty, ExecutionPropertyRow, ExecutionUpdate,
    NewExecution, TestExecution, TestExecutions,
};
pub use test_execution_status::{TestExecutionStatus, TestExecutionStatuses};
pub use test_plan::{NewTestPlan, TestPlan, TestPlanUpdate, TestPlans};
pub use test_run::{NewTestRun, RunCase, TestRun, TestRunUpdate, TestRuns};
pub use user::{User, Users};
pub use version::{NewVersion, Version, Versions};
