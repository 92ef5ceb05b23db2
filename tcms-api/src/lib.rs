//! Kiwi TCMS SDK. (crate docs: being written)

mod client;
mod config;
pub mod datetime;
mod error;
#[cfg(feature = "test-support")]
pub mod fake_kiwi;
mod ids;
pub mod models;
mod query;
pub mod report;
mod rpc;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use client::{Answer, Client, ClientBuilder, ServerVersion, USER_AGENT};
pub use config::{Config, ConfigBuilder, Secret};
pub use error::{ConfigError, Error, RpcError, codes};
pub use ids::{
    BuildId, CategoryId, ClassificationId, CommentId, LinkId, ParseIdError, PlanTypeId, PriorityId,
    ProductId, TestCaseId, TestCaseStatusId, TestExecutionId, TestExecutionStatusId, TestPlanId,
    TestRunId, UserId, VersionId,
};
pub use query::Query;
pub use rpc::{Call, is_idempotent, unescape_html};
