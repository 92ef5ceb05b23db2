//! The reporting engine every plugin uses, and the normalized result model it consumes.
//!
//! A plugin turns its input into [`TestResult`]s and hands them to a [`Reporter`]; the
//! reporter is the only code that talks to Kiwi for plugins. It works in phases, one module
//! each:
//!
//! 1. **resolve** (`resolve.rs`): one batch of reads: the server's execution statuses
//!    (renamed ones found by weight), priority and case status, the `TCMS_DEFAULT_TESTER_ID`
//!    user, and the run, plan or product the [`Settings`] name. A name that names nothing is
//!    refused here, before any write.
//! 2. **create** (`create.rs`): Product → Version → Build → TestPlan → TestRun, each found
//!    and reused, or created race-safe (unique-constraint races read back; the process that
//!    created the build leads, the others wait for its plan and shared run), or, in a dry
//!    run, "would create" ([`Fate::WouldCreate`]): the same code with writes switched off.
//! 3. **cases** (`cases.rs`), per batch of results: names looked up in bulk
//!    (`summary__in`), missing cases created, cases added to the plan and the run.
//! 4. **executions** (`executions.rs`): status and dates; a name seen again keeps its worst
//!    status and its dates widen.
//! 5. **comments** (`comments.rs`): failure text, never sent twice (a lost answer is looked
//!    up before anything is sent again).
//! 6. **finish**: the run's notes and stop date, the [`Journal`] removed (or kept for
//!    `--resume`), the receipt ([`Summary::write_receipt`]).
//!
//! [`ReportError::kind`] says whose fault an error is: the configuration's, the server's, or
//! the engine's own.
//!
//! ```no_run
//! use tcms_api::report::{Attempt, Options, Outcome, PluginInfo, Reporter, TestResult};
//!
//! # async fn demo() -> Result<(), tcms_api::report::ReportError> {
//! let plugin = PluginInfo::new("my-runner", "1.0", "[mine]");
//! let mut reporter = Reporter::connect(plugin, Options::new()).await?;
//! let mut failed = Attempt::new(Outcome::Failed);
//! failed.message = Some("expected 2, got 3".into());
//! reporter
//!     .report(&[
//!         TestResult::new("math::adds", Attempt::new(Outcome::Passed)),
//!         TestResult::new("math::subtracts", failed),
//!     ])
//!     .await?;
//! let summary = reporter.finish().await?;
//! println!("{}", summary.line());
//! # Ok(())
//! # }
//! ```

mod cases;
mod ci;
mod comment;
mod comments;
mod create;
mod error;
mod executions;
mod extras;
mod failures;
mod journal;
mod model;
mod names;
mod options;
mod profile;
mod reporter;
mod resolve;
mod settings;
mod status;
mod summary;

pub use ci::CiInfo;
pub use comment::{MAX_COMMENT_BYTES, Merged};
pub use error::{ErrorKind, ReportError};
pub use journal::{Journal, JournalMode};
pub use model::{Attempt, Location, Origin, Outcome, TestResult, Verdict};
pub use names::{MAX_SUMMARY_CHARS, case_summary, is_shortened};
pub use options::{DEFAULT_ATTACHMENT_LIMIT, Options};
pub use profile::Profile;
pub use reporter::Reporter;
pub use settings::{PluginInfo, Settings, SettingsError, Sourced};
pub use status::KiwiStatus;
pub use summary::{
    Failure, Fate, MAX_NOT_PASSED, NotPassed, Receipt, ReceiptRecord, Record, Summary,
};
