//! What a report did: the records it used, counts per status, what did not land, and the
//! JSON receipt written from it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::error::ReportError;
use super::model::Location;
use super::status::KiwiStatus;
use crate::ids::{
    BuildId, ProductId, TestCaseId, TestExecutionId, TestPlanId, TestRunId, VersionId,
};

/// What happened to a record the report needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate<I> {
    /// It existed and was reused.
    Reused(I),
    /// This report created it.
    Created(I),
    /// It does not exist and a dry run would create it.
    WouldCreate,
}

impl<I: Copy> Fate<I> {
    /// The id, unless a dry run would create the record.
    pub fn id(&self) -> Option<I> {
        match self {
            Fate::Reused(id) | Fate::Created(id) => Some(*id),
            Fate::WouldCreate => None,
        }
    }

    /// True when the report created it, or a dry run would.
    pub fn is_new(&self) -> bool {
        !matches!(self, Fate::Reused(_))
    }
}

/// A record the report used: the Product, Version, Build, TestPlan and TestRun it reports
/// into, each reused, created, or (dry run) to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// The product.
    Product(String, Fate<ProductId>),
    /// The version.
    Version(String, Fate<VersionId>),
    /// The build.
    Build(String, Fate<BuildId>),
    /// The test plan.
    TestPlan(String, Fate<TestPlanId>),
    /// The test run.
    TestRun(String, Fate<TestRunId>),
}

impl Record {
    /// `Product`, `Version`, `Build`, `TP` or `TR`, as the receipt and the verbose lines say.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Product(..) => "Product",
            Record::Version(..) => "Version",
            Record::Build(..) => "Build",
            Record::TestPlan(..) => "TP",
            Record::TestRun(..) => "TR",
        }
    }

    /// Its name (the run's summary, the plan's name).
    pub fn name(&self) -> &str {
        match self {
            Record::Product(n, _)
            | Record::Version(n, _)
            | Record::Build(n, _)
            | Record::TestPlan(n, _)
            | Record::TestRun(n, _) => n,
        }
    }

    /// Its primary key, unless a dry run would create it.
    pub fn id(&self) -> Option<i64> {
        match self {
            Record::Product(_, f) => f.id().map(ProductId::get),
            Record::Version(_, f) => f.id().map(VersionId::get),
            Record::Build(_, f) => f.id().map(BuildId::get),
            Record::TestPlan(_, f) => f.id().map(TestPlanId::get),
            Record::TestRun(_, f) => f.id().map(TestRunId::get),
        }
    }

    /// True when the report created it (or a dry run would).
    pub fn is_new(&self) -> bool {
        match self {
            Record::Product(_, f) => f.is_new(),
            Record::Version(_, f) => f.is_new(),
            Record::Build(_, f) => f.is_new(),
            Record::TestPlan(_, f) => f.is_new(),
            Record::TestRun(_, f) => f.is_new(),
        }
    }

    /// `added: TP-5` / `reuse: TR-9` (the lines the Python plugins print with `--verbose`), or
    /// `would add: TP <name>` in a dry run.
    pub fn verbose_line(&self) -> String {
        let Some(id) = self.id() else {
            return format!("would add: {} {}", self.kind(), self.name());
        };
        let verb = if self.is_new() { "added" } else { "reuse" };
        match self {
            Record::TestPlan(..) | Record::TestRun(..) => format!("{verb}: {}-{id}", self.kind()),
            _ => format!("{verb}: {} {id} ({})", self.kind(), self.name()),
        }
    }
}

/// A result that did not land, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The case summary.
    pub name: String,
    /// What went wrong.
    pub error: String,
}

/// How many not-passed results a [`Summary`] lists (the count of all is
/// [`Summary::not_passed_total`]).
pub const MAX_NOT_PASSED: usize = 1000;

/// A case whose status is not PASSED, for job summaries and CI annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPassed {
    /// The case summary.
    pub name: String,
    /// Its status.
    pub status: KiwiStatus,
    /// The first line of its first message, if any.
    pub message: Option<String>,
    /// The case (its page: `<base>/case/<id>/`).
    pub case: Option<TestCaseId>,
    /// Its execution in the run.
    pub execution: Option<TestExecutionId>,
    /// Where the test or its failure is in the source, when the input says.
    pub location: Option<Location>,
}

/// What a report did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// The run reported into (none in a dry run that would create it).
    pub run_id: Option<TestRunId>,
    /// Its web page.
    pub run_url: Option<String>,
    /// Its plan.
    pub plan_id: Option<TestPlanId>,
    /// Records created or reused, in order: Product, Version, Build, TestPlan, TestRun.
    pub records: Vec<Record>,
    /// Results parsed and handed to the engine.
    pub parsed: usize,
    /// Distinct cases (names) reported.
    pub cases: usize,
    /// Cases created now (a dry run: that would be created).
    pub cases_created: usize,
    /// Executions added to the run now (a dry run: that would be added).
    pub executions_created: usize,
    /// Comments added now (a dry run: that would be added).
    pub comments_added: usize,
    /// Executions whose status landed, by status.
    pub accepted: BTreeMap<KiwiStatus, usize>,
    /// Cases that passed only on a re-run.
    pub flaky: usize,
    /// Cases that did not land.
    pub failures: Vec<Failure>,
    /// The first [`MAX_NOT_PASSED`] cases that landed with a status other than PASSED, in
    /// input order (a dry run: that would).
    pub not_passed: Vec<NotPassed>,
    /// How many cases landed with a status other than PASSED.
    pub not_passed_total: usize,
    /// HTTP requests sent.
    pub requests: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// True for a dry run: nothing was changed.
    pub dry_run: bool,
}

impl Summary {
    /// Distinct cases whose status landed.
    pub fn accepted_total(&self) -> usize {
        self.accepted.values().sum()
    }

    /// True when every result handed to the engine landed.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }

    /// One line: counts per status, the run and its URL.
    pub fn line(&self) -> String {
        let mut parts: Vec<String> = self
            .accepted
            .iter()
            .map(|(s, n)| format!("{n} {}", s.name().to_lowercase()))
            .collect();
        if self.flaky > 0 {
            parts.push(format!("{} flaky", self.flaky));
        }
        if !self.failures.is_empty() {
            parts.push(format!("{} NOT REPORTED", self.failures.len()));
        }
        if parts.is_empty() {
            parts.push("no results".into());
        }
        let target = match (&self.run_id, &self.run_url) {
            (Some(id), Some(url)) => format!("{id} {url}"),
            (Some(id), None) => id.to_string(),
            _ => "(no run)".into(),
        };
        let verb = if self.dry_run {
            "would report"
        } else {
            "reported"
        };
        format!(
            "{verb} {} case(s): {} -> {target} ({} requests, {:.1} s)",
            self.cases,
            parts.join(", "),
            self.requests,
            self.seconds
        )
    }

    /// What a dry run would create, in one line (`None` for a real report).
    pub fn dry_run_line(&self) -> Option<String> {
        self.dry_run.then(|| {
            format!(
                "would create {} case(s), {} execution(s) and {} comment(s)",
                self.cases_created, self.executions_created, self.comments_added
            )
        })
    }

    /// `not reported: NAME: ERROR` lines for the first `max` failures, and one line for the
    /// rest (all of them are in the receipt).
    pub fn failure_lines(&self, max: usize) -> Vec<String> {
        let mut lines: Vec<String> = self
            .failures
            .iter()
            .take(max)
            .map(|f| format!("not reported: {}: {}", f.name, f.error))
            .collect();
        if self.failures.len() > max {
            lines.push(format!(
                "not reported: ... and {} more (all of them are in the --receipt file)",
                self.failures.len() - max
            ));
        }
        lines
    }

    /// Writes the JSON receipt: counts, ids, records and failures (schema in [`Receipt`]).
    pub fn write_receipt(&self, path: &Path) -> Result<(), ReportError> {
        let text = serde_json::to_string_pretty(&Receipt::from(self))
            .map_err(|e| ReportError::Internal(format!("receipt: {e}")))?;
        std::fs::write(path, text + "\n").map_err(|source| ReportError::Receipt {
            path: path.to_owned(),
            source,
        })
    }
}

/// The JSON receipt of a report (`--receipt FILE`); the keys are stable.
#[derive(Debug, Serialize)]
pub struct Receipt<'a> {
    /// True for a dry run.
    pub dry_run: bool,
    /// Results parsed.
    pub parsed: usize,
    /// Distinct cases.
    pub cases: usize,
    /// Cases created.
    pub cases_created: usize,
    /// Executions whose status landed, by status name.
    pub accepted: BTreeMap<&'static str, usize>,
    /// Their total.
    pub accepted_total: usize,
    /// Cases that passed on a re-run.
    pub flaky: usize,
    /// The run (`null` in a dry run that would create it).
    pub run_id: Option<TestRunId>,
    /// Its web page.
    pub run_url: Option<&'a str>,
    /// Its plan.
    pub plan_id: Option<TestPlanId>,
    /// `{"kind", "id", "name", "created"}` per record; `id` is `null` for what a dry run
    /// would create.
    pub records: Vec<ReceiptRecord<'a>>,
    /// What did not land.
    pub failures: &'a [Failure],
    /// HTTP requests sent.
    pub requests: u64,
    /// Seconds spent.
    pub seconds: f64,
}

/// One record of a [`Receipt`].
#[derive(Debug, Serialize)]
pub struct ReceiptRecord<'a> {
    /// `Product`, `Version`, `Build`, `TP`, `TR`.
    pub kind: &'static str,
    /// Its id (`null`: a dry run would create it).
    pub id: Option<i64>,
    /// Its name.
    pub name: &'a str,
    /// Created now (or would be).
    pub created: bool,
}

impl<'a> From<&'a Summary> for Receipt<'a> {
    fn from(s: &'a Summary) -> Self {
        Self {
            dry_run: s.dry_run,
            parsed: s.parsed,
            cases: s.cases,
            cases_created: s.cases_created,
            accepted: s.accepted.iter().map(|(k, v)| (k.name(), *v)).collect(),
            accepted_total: s.accepted_total(),
            flaky: s.flaky,
            run_id: s.run_id,
            run_url: s.run_url.as_deref(),
            plan_id: s.plan_id,
            records: s
                .records
                .iter()
                .map(|r| ReceiptRecord {
                    kind: r.kind(),
                    id: r.id(),
                    name: r.name(),
                    created: r.is_new(),
                })
                .collect(),
            failures: &s.failures,
            requests: s.requests,
            seconds: s.seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_lines() {
        let plan = Record::TestPlan("p".into(), Fate::Created(TestPlanId::new(5)));
        assert_eq!(plan.verbose_line(), "added: TP-5");
        let run = Record::TestRun("r".into(), Fate::Reused(TestRunId::new(9)));
        assert_eq!(run.verbose_line(), "reuse: TR-9");
        let product = Record::Product("app".into(), Fate::Reused(ProductId::new(3)));
        assert_eq!(product.verbose_line(), "reuse: Product 3 (app)");
        let new = Record::Build("b1".into(), Fate::WouldCreate);
        assert_eq!(new.verbose_line(), "would add: Build b1");
        assert_eq!(new.id(), None);
        assert!(new.is_new());
    }
}
