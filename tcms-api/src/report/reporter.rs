//! The reporter: runs the phases in order (resolve, create, then per batch of results: cases,
//! executions, comments; at the end: notes, stop date, journal and receipt). The only code a
//! plugin uses to talk to Kiwi.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};

use super::cases::{self, NewCases};
use super::comment::Merged;
use super::comments::{self, Pending};
use super::create::{self, Target};
use super::error::ReportError;
use super::executions::{self, Seen};
use super::extras;
use super::failures::Failures;
use super::journal::Journal;
use super::model::{TestResult, Verdict};
use super::names::{MAX_SUMMARY_CHARS, case_summary, is_shortened};
use super::options::Options;
use super::resolve::{self, Reference};
use super::settings::{PluginInfo, Settings};
use super::status::KiwiStatus;
use super::summary::{Failure, MAX_NOT_PASSED, NotPassed, Record, Summary};
use crate::client::Client;
use crate::config::Config;
use crate::ids::{TestCaseId, TestExecutionId, TestPlanId, TestRunId};
use crate::models::{TestRunUpdate, TestRuns};

/// Reports results into Kiwi TCMS. Create with [`Reporter::connect`] (configuration from
/// `~/.tcms.conf` and the environment) or [`Reporter::start`] (your own [`Client`] and
/// [`Settings`]); feed with [`Reporter::report`] (once, or many times for live reporting); end
/// with [`Reporter::finish`].
#[derive(Debug)]
pub struct Reporter {
    client: Client,
    settings: Settings,
    options: Options,
    reference: Reference,
    target: Target,
    /// The cases reported in this session.
    seen: HashMap<String, Seen>,
    /// Their ids.
    case_of: HashMap<String, TestCaseId>,
    /// The cases whose status is not PASSED.
    not_passed: HashSet<String>,
    /// The summaries of names over 255 characters (a prefix and a hash), and their full names.
    long_names: HashMap<String, String>,
    /// Properties, links and attachments sent so far.
    sent_extras: extras::Sent,
    /// What the server could not hold.
    left_out: LeftOut,
    /// True once [`Reporter::update_notes`] wrote the notes (the last write drops its
    /// progress line).
    notes_written: bool,
    summary: Summary,
    started: Instant,
    requests_at_start: u64,
    latest_stop: Option<DateTime<Utc>>,
    /// What this report adds to the run's notes.
    added_notes: Vec<String>,
    journal: Option<PathBuf>,
}

impl Reporter {
    /// Loads the configuration (`~/.tcms.conf` or `/etc/tcms.conf`, then `TCMS_API_URL`,
    /// `TCMS_USERNAME`, `TCMS_PASSWORD`; [`Options::url`] over both), reads what to report into
    /// from the environment ([`Settings::from_env`]; [`Options::resume`] takes the run from a
    /// journal), and starts.
    pub async fn connect(plugin: PluginInfo, options: Options) -> Result<Self, ReportError> {
        let mut config = Config::builder();
        if let Some(url) = &options.url {
            config = config.url(url.clone());
        }
        let config = config.load()?;
        let mut client = Client::builder();
        if let Some(timeout) = options.timeout.filter(|t| !t.is_zero()) {
            client = client.timeout(timeout);
        }
        let client = client
            .config(config)
            .user_agent(format!("{}/{}", plugin.name, plugin.version))
            .build()?;
        let mut settings = Settings::from_env(plugin)?;
        if let Some(path) = &options.resume {
            let journal = Journal::read(path)?;
            info!("resuming {} from {}", journal.run_id, path.display());
            settings.run_id = Some(journal.run_id);
            settings.plan_id = None;
        }
        Self::start(client, settings, options).await
    }

    /// Validates the settings against the server and resolves or creates Product, Version,
    /// Build, TestPlan and TestRun. Everything is checked (reads only) before the first write,
    /// so a bad `TCMS_RUN_ID`, `TCMS_PLAN_ID` or a missing product name leaves nothing behind.
    pub async fn start(
        client: Client,
        settings: Settings,
        options: Options,
    ) -> Result<Self, ReportError> {
        let started = Instant::now();
        let requests_at_start = client.request_count();
        let (reference, existing) = resolve::read(&client, &settings).await?;
        let target = create::target(&client, &settings, &options, existing, reference.caps).await?;
        for record in &target.records {
            debug!("{}", record.verbose_line());
        }
        let summary = Summary {
            run_id: target.run,
            run_url: target.run.map(|r| run_url(&client, r)),
            plan_id: target.plan,
            records: target.records.clone(),
            dry_run: options.dry_run,
            ..Summary::default()
        };
        let journal = match (target.run, options.dry_run) {
            (Some(run), false) => options.journal_mode().path(run),
            _ => None,
        };
        let reporter = Self {
            client,
            settings,
            options,
            reference,
            target,
            seen: HashMap::new(),
            case_of: HashMap::new(),
            not_passed: HashSet::new(),
            long_names: HashMap::new(),
            sent_extras: extras::Sent::default(),
            left_out: LeftOut::default(),
            notes_written: false,
            summary,
            started,
            requests_at_start,
            latest_stop: None,
            added_notes: Vec::new(),
            journal,
        };
        reporter.write_journal(0, 0);
        Ok(reporter)
    }

    /// The records created or reused (`added: TP-5` lines).
    pub fn records(&self) -> &[Record] {
        &self.summary.records
    }

    /// The run results go into (none in a dry run that would create it).
    pub fn run_id(&self) -> Option<TestRunId> {
        self.target.run
    }

    /// Its plan.
    pub fn plan_id(&self) -> Option<TestPlanId> {
        self.target.plan
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The client in use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The summary so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The journal file, when one is kept.
    pub fn journal_path(&self) -> Option<&std::path::Path> {
        self.journal.as_deref()
    }

    /// Reports a batch of results: bulk lookups, then batched writes. Call it once with
    /// everything, or repeatedly as results arrive (live reporting). A name seen before keeps
    /// its worst status; its new text is added as a comment.
    ///
    /// Per-result failures are collected in the summary ([`Summary::failures`]); an `Err` means
    /// nothing of this batch could be reported.
    pub async fn report(&mut self, results: &[TestResult]) -> Result<(), ReportError> {
        self.submit(results, Stage::Done).await
    }

    /// Reports tests that could not run (an interrupted suite) as BLOCKED, with their message
    /// as the comment.
    pub async fn report_blocked(&mut self, tests: &[TestResult]) -> Result<(), ReportError> {
        self.submit(tests, Stage::Blocked).await
    }

    /// Puts tests into the run before they run, as IDLE executions (live progress: a reader
    /// sees what is planned). Only the names matter. A test already in this report is left
    /// as it is. Best effort: what cannot be planned is logged and reported later with its
    /// result.
    pub async fn plan(&mut self, tests: &[TestResult]) -> Result<(), ReportError> {
        self.submit(tests, Stage::Planned).await
    }

    /// Marks tests as RUNNING since their start (the first attempt's `started`, else now). A
    /// test that already has its result is left as it is. Best effort, like
    /// [`Reporter::plan`].
    pub async fn running(&mut self, tests: &[TestResult]) -> Result<(), ReportError> {
        self.submit(tests, Stage::Running).await
    }

    /// Adds a comment to the execution of the test `name` now (a test that hangs, say), when
    /// the test is in the run.
    pub async fn comment(&mut self, name: &str, text: &str) -> Result<(), ReportError> {
        let Some(seen) = self.seen.get(&case_summary(name)) else {
            return Ok(());
        };
        if self.options.dry_run {
            return Ok(());
        }
        let pending = seen
            .executions
            .iter()
            .map(|execution| Pending {
                summary: case_summary(name),
                execution: *execution,
                text: text.to_owned(),
            })
            .collect();
        let mut failed = Failures::default();
        comments::add(&self.client, pending, &mut failed).await;
        if let Some(e) = failed.take(&case_summary(name)) {
            warn!("cannot comment on {name}: {e}");
        }
        Ok(())
    }

    /// Writes the run's notes now: the notes it had, the lines added with
    /// [`Reporter::add_run_note`], and `progress` (a line that is replaced each time, e.g.
    /// `12 of 40 tests reported`).
    pub async fn update_notes(&mut self, progress: Option<&str>) -> Result<(), ReportError> {
        let (Some(run), false) = (self.target.run, self.options.dry_run) else {
            return Ok(());
        };
        let mut notes = self.notes();
        if let Some(line) = progress {
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(line);
        }
        let update = TestRunUpdate {
            notes: Some(notes),
            ..TestRunUpdate::default()
        };
        self.client
            .send(TestRuns::update_call(run, &update))
            .await?;
        self.notes_written = true;
        Ok(())
    }

    /// The run's notes with the lines added by this report.
    fn notes(&self) -> String {
        let mut notes = self.target.run_notes.trim_end().to_owned();
        for note in &self.added_notes {
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(note);
        }
        notes
    }

    async fn submit(&mut self, results: &[TestResult], stage: Stage) -> Result<(), ReportError> {
        if results.is_empty() {
            return Ok(());
        }
        let done = matches!(stage, Stage::Done | Stage::Blocked);
        if done {
            self.summary.parsed += results.len();
            for r in results {
                if let Some(stop) = r.stopped() {
                    self.latest_stop = Some(self.latest_stop.map_or(stop, |s| s.max(stop)));
                }
            }
        }
        let (mut order, groups) = self.group(results);
        if !done {
            // Planned or running: only what has no result yet.
            order.retain(|s| match self.seen.get(s) {
                None => true,
                Some(seen) => stage != Stage::Planned && !seen.status.is_final(),
            });
        }
        for (summary, group) in &groups {
            if let Some(long) = group.iter().find(|r| is_shortened(&r.name)) {
                self.long_names
                    .entry(summary.clone())
                    .or_insert_with(|| long.name.trim().to_owned());
            }
        }
        let mut failed = Failures::default();

        // Cases: look up the names not seen before, create the missing ones.
        let unseen: Vec<String> = order
            .iter()
            .filter(|s| !self.seen.contains_key(*s))
            .cloned()
            .collect();
        let mut case_ids = match self.target.product {
            Some(product) => cases::lookup(&self.client, product, &unseen).await?,
            None => HashMap::new(),
        };
        let missing: Vec<String> = unseen
            .iter()
            .filter(|s| !case_ids.contains_key(*s))
            .cloned()
            .collect();
        self.summary.cases_created += missing.len();
        let writes = !self.options.dry_run;
        if writes && !missing.is_empty() {
            let made = cases::create(
                &self.client,
                &self.new_cases()?,
                &missing,
                &self.long_names,
                &mut failed,
            )
            .await?;
            self.summary.cases_created -= missing.len() - made.len();
            case_ids.extend(made);
        }

        self.case_of
            .extend(case_ids.iter().map(|(s, id)| (s.clone(), *id)));
        // Plan and run membership of the cases not seen before.
        let placement = self
            .place(&case_ids, &missing, unseen.len(), &mut failed)
            .await?;
        let now = Utc::now();

        // Statuses and dates (a new execution: made with them), comments, extras.
        let mut updates = Vec::new();
        let mut update_owner = Vec::new();
        let mut creates = Vec::new();
        let mut texts: Vec<(String, String)> = Vec::new();
        for summary in &order {
            if failed.contains(summary) {
                continue;
            }
            let group = &groups[summary];
            let merged = Merged::new(group.clone());
            let (exec_ids, create) = match self.seen.get(summary) {
                Some(seen) => (seen.executions.clone(), None),
                None => match (
                    placement.executions.get(summary),
                    placement.to_create.get(summary),
                ) {
                    (Some(ids), _) => (ids.clone(), None),
                    (None, Some(create)) => (Vec::new(), Some(*create)),
                    (None, None) if writes => continue,
                    (None, None) => (Vec::new(), None),
                },
            };
            let (seen, changed) = match stage {
                Stage::Blocked => Seen::after(
                    self.seen.get(summary),
                    exec_ids,
                    KiwiStatus::Blocked,
                    group,
                    now,
                ),
                Stage::Done => Seen::after(
                    self.seen.get(summary),
                    exec_ids,
                    merged.status(),
                    group,
                    now,
                ),
                Stage::Planned => {
                    Seen::pending(self.seen.get(summary), exec_ids, KiwiStatus::Idle, None)
                }
                Stage::Running => {
                    let at = group
                        .iter()
                        .filter_map(|r| r.started())
                        .min()
                        .unwrap_or(now);
                    Seen::pending(
                        self.seen.get(summary),
                        exec_ids,
                        KiwiStatus::Running,
                        Some(at),
                    )
                }
            };
            if writes {
                let status = self.reference.status(seen.status)?;
                match (create, self.target.run, self.target.build) {
                    (Some((case, version)), Some(run), Some(build)) => {
                        let tester = self.settings.default_tester.or(self.reference.me);
                        creates.push((
                            summary.clone(),
                            seen.new_execution(run, case, build, status, version, tester),
                        ));
                    }
                    // A planned test keeps the status its execution has (IDLE when new).
                    _ if changed && stage != Stage::Planned => {
                        for call in seen.update_calls(status, self.settings.default_tester) {
                            updates.push(call);
                            update_owner.push(summary.clone());
                        }
                    }
                    _ => {}
                }
            }
            let text = match stage {
                Stage::Done => self.comment_text(summary, &merged, group),
                Stage::Blocked => group.iter().find_map(|r| r.last_attempt().message.clone()),
                _ => None,
            };
            if let Some(text) = text {
                if writes {
                    texts.push((summary.clone(), text));
                } else {
                    self.summary.comments_added += 1;
                }
            }
            if done && group.iter().any(|r| r.verdict() == Verdict::Flaky) {
                self.summary.flaky += 1;
            }
            self.seen.insert(summary.clone(), seen);
        }

        if writes {
            // Statuses and dates: retry-safe, sent on their own so the client may retry them;
            // new executions at the same time.
            let run = self.target.run.unwrap_or(TestRunId::new(0));
            let (answers, made) = tokio::join!(
                self.client.send_all(updates),
                executions::create(&self.client, run, creates, &placement.known, &mut failed),
            );
            for (answer, owner) in answers.into_iter().zip(update_owner) {
                if let Err(e) = answer {
                    failed.note(&owner, e.to_string());
                }
            }
            for (summary, execution) in made {
                if let Some(seen) = self.seen.get_mut(&summary) {
                    seen.executions = vec![execution];
                }
            }
            // Comments: re-reporting into an existing run skips those an execution has.
            let mut pending: Vec<Pending> = texts
                .into_iter()
                .filter(|(summary, _)| !failed.contains(summary))
                .flat_map(|(summary, text)| {
                    let executions = self
                        .seen
                        .get(&summary)
                        .map(|s| s.executions.clone())
                        .unwrap_or_default();
                    executions.into_iter().map(move |execution| Pending {
                        summary: summary.clone(),
                        execution,
                        text: text.clone(),
                    })
                })
                .collect();
            if self.target.run_existed && !pending.is_empty() {
                pending = comments::drop_existing(&self.client, pending, &mut failed).await;
            }
            let sent = pending.len();
            comments::add(&self.client, pending, &mut failed).await;
            self.summary.comments_added += sent;
            if done {
                self.send_extras(&order, &groups, &mut failed).await;
            }
        }
        for summary in &order {
            if let Some(error) = failed.take(summary) {
                self.seen.remove(summary);
                if done {
                    self.summary.failures.push(Failure {
                        name: summary.clone(),
                        error,
                    });
                } else {
                    warn!("cannot show {summary} as {stage:?} yet: {error}");
                }
            }
        }
        if done {
            self.note_not_passed(&order, &groups);
        }
        // Counts are recomputed from what is known to have landed.
        self.summary.accepted.clear();
        for seen in self.seen.values() {
            *self.summary.accepted.entry(seen.status).or_default() += 1;
        }
        self.summary.cases = self.seen.len() + self.summary.failures.len();
        debug!(
            results = results.len(),
            requests = self.client.request_count() - self.requests_at_start,
            "reported a batch"
        );
        Ok(())
    }

    /// Attaches a file to the run (`TestRun.add_attachment`, every version), e.g. the report
    /// file itself. Left out with a warning when it is missing or over
    /// [`Options::attachment_limit`]; in a run that existed, a file of the same name already
    /// attached (Kiwi 16) is not attached again.
    pub async fn attach_to_run(
        &mut self,
        path: &std::path::Path,
        name: Option<&str>,
    ) -> Result<(), ReportError> {
        let (Some(run), false) = (self.target.run, self.options.dry_run) else {
            return Ok(());
        };
        let Some((filename, base64)) = extras::read_attachment(path, self.options.attachment_limit)
        else {
            return Ok(());
        };
        let filename = name.map_or(filename, str::to_owned);
        if self.target.run_existed && self.reference.caps.version.0 >= 16 {
            let listed = self
                .client
                .send(TestRuns::list_attachments_call(run))
                .await
                .unwrap_or_default();
            if listed
                .iter()
                .any(|a| a.url.rsplit('/').next() == Some(extras::sanitised(&filename).as_str()))
            {
                return Ok(());
            }
        }
        self.client
            .send(TestRuns::add_attachment_call(run, &filename, &base64))
            .await?;
        Ok(())
    }

    /// Adds a line to the run's notes, sent with [`Reporter::finish`] (e.g. why a TAP stream
    /// bailed out).
    pub fn add_run_note(&mut self, note: impl Into<String>) {
        self.added_notes.push(note.into());
    }

    /// Sets the run's stop date (now, or the latest result's stop if that is later) and any
    /// notes added; removes the journal when everything landed (else updates it); writes the
    /// receipt; returns the summary.
    pub async fn finish(mut self) -> Result<Summary, ReportError> {
        let left = &self.left_out;
        if left.properties_in_comments + left.properties + left.attachments > 0 {
            let (major, minor) = self.reference.caps.version;
            info!(
                "Kiwi TCMS {major}.{minor} keeps no execution properties or attachments (they \
                 came in 15.3): {} properties went into comments, {} of passed results and {} \
                 attachments were left out",
                left.properties_in_comments, left.properties, left.attachments
            );
        }
        if !self.long_names.is_empty() {
            warn!(
                "{} test name(s) longer than {MAX_SUMMARY_CHARS} characters are cases named by a \
                 prefix and a hash of the whole name; the full names are in the cases' text",
                self.long_names.len()
            );
        }
        if let (Some(run), false) = (self.target.run, self.options.dry_run) {
            // The run spans what the input says (an old file does not make a run weeks long);
            // a run that existed keeps its later stop; without dates, now.
            let stop = match (self.latest_stop, self.target.run_existed) {
                (Some(stop), false) => stop,
                (Some(stop), true) => self.target.run_stop.map_or(stop, |s| s.max(stop)),
                (None, _) => Utc::now(),
            };
            let mut update = TestRunUpdate {
                stop_date: Some(stop),
                ..TestRunUpdate::default()
            };
            if !self.added_notes.is_empty() || self.notes_written {
                update.notes = Some(self.notes());
            }
            self.client
                .send(TestRuns::update_call(run, &update))
                .await?;
        }
        self.summary.requests = self.client.request_count() - self.requests_at_start;
        self.summary.seconds = self.started.elapsed().as_secs_f64();
        match &self.journal {
            Some(path) if self.summary.is_complete() => {
                let _ = std::fs::remove_file(path);
            }
            Some(_) => self.write_journal(self.summary.parsed, self.summary.failures.len()),
            None => {}
        }
        if let Some(path) = &self.options.receipt {
            self.summary.write_receipt(path)?;
        }
        Ok(self.summary)
    }

    /// Results grouped by case summary, in input order; blank names are failures.
    fn group<'r>(
        &mut self,
        results: &'r [TestResult],
    ) -> (Vec<String>, HashMap<String, Vec<&'r TestResult>>) {
        let mut order = Vec::new();
        let mut groups: HashMap<String, Vec<&TestResult>> = HashMap::new();
        for r in results {
            let summary = case_summary(&r.name);
            if summary.is_empty() {
                self.summary.failures.push(Failure {
                    name: format!("{:?}", r.name),
                    error: "a test case needs a name that is not blank".into(),
                });
                continue;
            }
            groups
                .entry(summary.clone())
                .or_insert_with(|| {
                    order.push(summary.clone());
                    Vec::new()
                })
                .push(r);
        }
        (order, groups)
    }

    /// Keeps the cases of this batch that did not pass (status, first message line, ids,
    /// location) in [`Summary::not_passed`].
    fn note_not_passed(&mut self, order: &[String], groups: &HashMap<String, Vec<&TestResult>>) {
        for summary in order {
            let Some(seen) = self.seen.get(summary) else {
                continue;
            };
            let existing = self
                .summary
                .not_passed
                .iter()
                .position(|n| &n.name == summary);
            if seen.status == KiwiStatus::Passed {
                if let Some(i) = existing {
                    self.summary.not_passed.remove(i);
                }
                self.not_passed.remove(summary);
                self.summary.not_passed_total = self.not_passed.len();
                continue;
            }
            self.not_passed.insert(summary.clone());
            self.summary.not_passed_total = self.not_passed.len();
            let results = &groups[summary];
            let message = results
                .iter()
                .flat_map(|r| r.attempts())
                .filter(|a| a.outcome != super::model::Outcome::Passed)
                .find_map(|a| a.message.as_deref().or(a.details.as_deref()))
                .and_then(|m| m.lines().map(str::trim).find(|l| !l.is_empty()))
                .map(str::to_owned);
            let entry = NotPassed {
                name: summary.clone(),
                status: seen.status,
                message,
                case: self.case_of.get(summary).copied(),
                execution: seen.executions.first().copied(),
                location: results.iter().find_map(|r| r.origin.location.clone()),
            };
            match existing {
                Some(i) => {
                    let old = &mut self.summary.not_passed[i];
                    old.status = entry.status;
                    old.message = old.message.take().or(entry.message);
                    old.location = old.location.take().or(entry.location);
                }
                None => {
                    if self.summary.not_passed.len() < MAX_NOT_PASSED {
                        self.summary.not_passed.push(entry);
                    }
                }
            }
        }
    }

    /// The execution's comment: the merged failure text, the full name of a long name, and,
    /// where the server cannot hold them, the properties and attachments.
    fn comment_text(
        &mut self,
        summary: &str,
        merged: &Merged<'_>,
        group: &[&TestResult],
    ) -> Option<String> {
        let mut text = merged.comment();
        let caps = self.reference.caps;
        let mut properties: Vec<(String, String)> = Vec::new();
        for r in group {
            for p in &r.properties {
                if !properties.contains(p) {
                    properties.push(p.clone());
                }
            }
        }
        if !caps.properties && !properties.is_empty() {
            match &mut text {
                Some(t) => {
                    t.push_str("\n\nProperties:");
                    for (k, v) in &properties {
                        t.push_str(&format!("\n  {k} = {v}"));
                    }
                    self.left_out.properties_in_comments += properties.len();
                }
                None => self.left_out.properties += properties.len(),
            }
        }
        let attachments: Vec<&std::path::PathBuf> =
            group.iter().flat_map(|r| &r.attachments).collect();
        if !caps.execution_attachments && !attachments.is_empty() {
            if let Some(t) = &mut text {
                t.push_str("\n\nAttachments (not uploaded: the server keeps none for executions):");
                for a in &attachments {
                    t.push_str(&format!("\n  {}", a.display()));
                }
            }
            self.left_out.attachments += attachments.len();
        }
        text.map(|text| match self.long_names.get(summary) {
            Some(full) => format!("{full}\n\n{text}"),
            None => text,
        })
    }

    /// Properties, CI links and attachments of the cases of this batch that landed.
    async fn send_extras(
        &mut self,
        order: &[String],
        groups: &HashMap<String, Vec<&TestResult>>,
        failed: &mut Failures,
    ) {
        let Some(run) = self.target.run else {
            return;
        };
        let caps = self.reference.caps;
        let job_url = self.settings.ci.as_ref().and_then(|c| c.job_url.clone());
        let mut work = extras::Work::default();
        for summary in order {
            if failed.contains(summary) {
                continue;
            }
            let Some(seen) = self.seen.get(summary) else {
                continue;
            };
            let group = &groups[summary];
            for execution in &seen.executions {
                if caps.properties {
                    let mut properties: Vec<(String, String)> = group
                        .iter()
                        .flat_map(|r| r.properties.iter().cloned())
                        .collect();
                    if let Some(profile) = &self.settings.profile {
                        properties.extend(profile.properties());
                    }
                    for (name, value) in properties {
                        work.properties
                            .push((summary.clone(), *execution, name, value));
                    }
                }
                if job_url.is_some() && seen.status != KiwiStatus::Passed {
                    work.links.push((summary.clone(), *execution));
                }
                if caps.execution_attachments {
                    for r in group {
                        for path in &r.attachments {
                            work.attachments
                                .push((summary.clone(), *execution, path.clone()));
                        }
                    }
                }
            }
        }
        let ctx = extras::Context {
            client: &self.client,
            run,
            run_existed: self.target.run_existed,
            job_url: job_url.as_deref(),
            attachment_limit: self.options.attachment_limit,
        };
        extras::send(&ctx, work, &mut self.sent_extras, failed).await;
    }

    /// What new cases are created with.
    fn new_cases(&self) -> Result<NewCases, ReportError> {
        let (Some(product), Some(category)) = (self.target.product, self.target.category) else {
            return Err(ReportError::Internal(
                "no product or category to create test cases in".into(),
            ));
        };
        Ok(NewCases {
            product,
            category,
            priority: self.reference.priority,
            confirmed: self.reference.confirmed,
            tester: self.settings.default_tester,
            notes: self.settings.plugin.created_by(),
        })
    }

    /// Adds the cases to the plan and, on the 12.4 path, to the run where they are missing.
    /// In a dry run, counts the executions it would add.
    async fn place(
        &mut self,
        case_ids: &HashMap<String, TestCaseId>,
        created: &[String],
        unseen: usize,
        failed: &mut Failures,
    ) -> Result<Placement, ReportError> {
        let (Some(plan), Some(run)) = (self.target.plan, self.target.run) else {
            // A dry run that would create the run: every case gets an execution.
            self.summary.executions_created += unseen;
            return Ok(Placement::default());
        };
        let existing: Vec<TestCaseId> = case_ids
            .iter()
            .filter(|(summary, _)| !created.contains(summary))
            .map(|(_, id)| *id)
            .collect();
        let profiles = self
            .reference
            .caps
            .properties
            .then_some(self.settings.profile.as_ref());
        let mut membership =
            cases::membership(&self.client, plan, run, &existing, profiles).await?;
        let mut ids: Vec<TestCaseId> = case_ids.values().copied().collect();
        ids.sort();
        let to_plan: Vec<TestCaseId> = ids
            .iter()
            .filter(|id| !membership.in_plan.contains(id))
            .copied()
            .collect();
        let new_to_run: Vec<TestCaseId> = ids
            .iter()
            .filter(|id| !membership.in_run.contains_key(id))
            .copied()
            .collect();
        self.summary.executions_created += new_to_run.len() + (unseen - case_ids.len());
        if self.options.dry_run {
            return Ok(Placement::default());
        }
        let one_call = self.one_call();
        let (to_run, history_of) = if one_call {
            (Vec::new(), new_to_run)
        } else {
            (new_to_run, Vec::new())
        };
        let names: HashMap<TestCaseId, String> =
            case_ids.iter().map(|(s, id)| (*id, s.clone())).collect();
        let additions = cases::Additions {
            to_plan: &to_plan,
            to_run: &to_run,
            history_of: &history_of,
        };
        let (added, versions) =
            cases::add(&self.client, (plan, run), additions, &names, failed).await;
        for (case, execs) in added {
            membership.in_run.entry(case).or_default().extend(execs);
        }
        let mut placement = Placement {
            known: membership.known,
            ..Placement::default()
        };
        for (summary, id) in case_ids {
            if let Some(execs) = membership.in_run.get(id) {
                placement.executions.insert(summary.clone(), execs.clone());
            } else if let Some(version) = versions.get(id) {
                placement.to_create.insert(summary.clone(), (*id, *version));
            }
        }
        Ok(placement)
    }

    /// True when new executions are made with `TestExecution.create`.
    fn one_call(&self) -> bool {
        self.options.one_call_executions && self.reference.caps.execution_create
    }

    fn write_journal(&self, parsed: usize, not_reported: usize) {
        let (Some(path), Some(run)) = (&self.journal, self.target.run) else {
            return;
        };
        let journal = Journal {
            run_id: run,
            plan_id: self.target.plan,
            plugin: self.settings.plugin.name.clone(),
            parsed,
            not_reported,
        };
        if let Err(e) = journal.write(path) {
            warn!("cannot write the journal {}: {e}", path.display());
        }
    }
}

/// What a submission says about its tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// They will run (IDLE).
    Planned,
    /// They run since their start (RUNNING).
    Running,
    /// Their results.
    Done,
    /// They could not run (BLOCKED), their message says why.
    Blocked,
}

/// What the server could not hold (reported once, at `-v`).
#[derive(Debug, Default)]
struct LeftOut {
    /// Properties written into comments instead.
    properties_in_comments: usize,
    /// Properties of results without a comment, not recorded.
    properties: usize,
    /// Attachments not uploaded.
    attachments: usize,
}

/// Where the cases of a batch are in the run.
#[derive(Debug, Default)]
struct Placement {
    /// The executions of cases already in the run (or added by `TestRun.add_case`).
    executions: HashMap<String, Vec<TestExecutionId>>,
    /// Cases whose execution is made with `TestExecution.create`, and their history version.
    to_create: HashMap<String, (TestCaseId, i64)>,
    /// Every execution of these cases in the run before, whoever's.
    known: HashSet<TestExecutionId>,
}

/// The web page of a run.
pub(crate) fn run_url(client: &Client, run: TestRunId) -> String {
    format!("{}/runs/{}/", client.base_url(), run.get())
}
