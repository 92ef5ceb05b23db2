//! Kiwi TCMS's web pages of a report's records.
//!
//! Kiwi (12.4 to 16.x, `tcms/urls.py`) has a page per TestRun (`/runs/<id>/`) and per
//! TestCase (`/case/<id>/`); a TestExecution has no page of its own (its
//! `get_absolute_url` is its run's page), but its row on the run page carries the HTML id
//! `test-execution-<id>` (`testruns/js/get.js`), so `/runs/<run>/#test-execution-<id>`
//! points at it.

use tcms_api::report::Summary;
use tcms_api::{TestCaseId, TestExecutionId};

/// The pages of a report's records, from its run's URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    run: Option<String>,
    base: Option<String>,
}

impl Links {
    /// The links of `summary`: none when the run has no URL (a dry run that would create it).
    pub fn of(summary: &Summary) -> Self {
        let run = summary.run_url.clone();
        let base = match (&summary.run_url, summary.run_id) {
            (Some(url), Some(id)) => url
                .strip_suffix(&format!("/runs/{}/", id.get()))
                .map(str::to_owned),
            _ => None,
        };
        Self { run, base }
    }

    /// The run's page.
    pub fn run(&self) -> Option<&str> {
        self.run.as_deref()
    }

    /// A case's page: `<base>/case/<id>/`.
    pub fn case(&self, id: TestCaseId) -> Option<String> {
        self.base
            .as_ref()
            .map(|base| format!("{base}/case/{}/", id.get()))
    }

    /// An execution's row on the run's page: `<run>#test-execution-<id>`.
    pub fn execution(&self, id: TestExecutionId) -> Option<String> {
        self.run
            .as_ref()
            .map(|run| format!("{run}#test-execution-{}", id.get()))
    }
}
