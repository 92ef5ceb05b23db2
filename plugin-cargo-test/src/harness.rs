//! The harness: libtest-mimic trials whose results are reported live to Kiwi TCMS.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::process::ExitCode;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use libtest_mimic::{Completion, Failed};
use tcms_api::Config;
use tcms_api::env::EnvVars;
use tcms_api::report::{
    Attempt, Location, Options, Origin, Outcome, PluginInfo, Settings, Summary, TestResult,
};

use crate::interrupt::{Print, Watch};
use crate::live::{LiveOptions, LiveReport, LiveReporter, Sink};
use crate::naming::{case_name, target_of_binary};
use crate::select::{self, Arguments};

/// The exit status of a harness whose reporting was refused, or (strict) incomplete.
const FAILURE: u8 = 1;

/// How long the harness waits for the last results by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Who reports: `tcms-cargo-test`, with the prefix `[cargo-test]` in plan names and run
/// summaries (shared with the `tcms-cargo-test` program, so both report into the same plans).
pub fn plugin_info() -> PluginInfo {
    PluginInfo::new("tcms-cargo-test", env!("CARGO_PKG_VERSION"), "[cargo-test]")
}

type Runner = Box<dyn FnOnce() -> Result<Completion, Failed> + Send>;

enum Body {
    Test(Runner),
    Unreported(libtest_mimic::Trial),
}

/// A test, built like a [`libtest_mimic::Trial`], whose result is reported.
///
/// ```
/// use tcms_cargo_test::{Failed, Trial};
///
/// let trials = vec![
///     Trial::test("adds", || {
///         if 1 + 1 == 2 { Ok(()) } else { Err(Failed::from("wrong sum")) }
///     }),
///     Trial::test("talks to the database", || Ok(()))
///         .with_ignore_reason("needs a database")
///         .with_note("run with DATABASE_URL set"),
///     Trial::test("login", || Ok(())).with_case_name("Login works (web)"),
/// ];
/// assert_eq!(trials[0].name(), "adds");
/// ```
pub struct Trial {
    name: String,
    kind: String,
    ignored: bool,
    ignore_reason: Option<String>,
    notes: Vec<String>,
    case_name: Option<String>,
    body: Body,
}

impl std::fmt::Debug for Trial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trial")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("ignored", &self.ignored)
            .field("case_name", &self.case_name)
            .field("reported", &matches!(self.body, Body::Test(_)))
            .finish_non_exhaustive()
    }
}

impl Trial {
    /// A test: `Ok(())` passes, `Err` or a panic fails (as [`libtest_mimic::Trial::test`]).
    pub fn test<R>(name: impl Into<String>, runner: R) -> Self
    where
        R: FnOnce() -> Result<(), Failed> + Send + 'static,
    {
        Self::ignorable_test(name, move || runner().map(|()| Completion::Completed))
    }

    /// A test that may decide to be ignored while it runs (as
    /// [`libtest_mimic::Trial::ignorable_test`]); an ignored one is reported as WAIVED with its
    /// reason.
    pub fn ignorable_test<R>(name: impl Into<String>, runner: R) -> Self
    where
        R: FnOnce() -> Result<Completion, Failed> + Send + 'static,
    {
        Self {
            name: name.into(),
            kind: String::new(),
            ignored: false,
            ignore_reason: None,
            notes: Vec::new(),
            case_name: None,
            body: Body::Test(Box::new(runner)),
        }
    }

    /// A libtest-mimic trial (a benchmark, say) that runs as usual and is not reported.
    pub fn unreported(trial: libtest_mimic::Trial) -> Self {
        Self {
            name: trial.name().to_owned(),
            kind: trial.kind().to_owned(),
            ignored: trial.has_ignored_flag(),
            ignore_reason: None,
            notes: Vec::new(),
            case_name: None,
            body: Body::Unreported(trial),
        }
    }

    /// The kind printed in brackets before the name (as [`libtest_mimic::Trial::with_kind`]);
    /// not part of the case name.
    pub fn with_kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        if let Body::Unreported(t) = self.body {
            self.body = Body::Unreported(t.with_kind(self.kind.clone()));
        }
        self
    }

    /// Ignored unless `--ignored` or `--include-ignored` is given (as `#[ignore]`); reported
    /// as WAIVED.
    pub fn with_ignored_flag(mut self, ignored: bool) -> Self {
        self.ignored = ignored;
        if let Body::Unreported(t) = self.body {
            self.body = Body::Unreported(t.with_ignored_flag(ignored));
        }
        self
    }

    /// Ignored, with a reason (as `#[ignore = "reason"]`): the reason is the WAIVED
    /// execution's comment.
    pub fn with_ignore_reason(mut self, reason: impl Into<String>) -> Self {
        self.ignore_reason = Some(reason.into());
        self.with_ignored_flag(true)
    }

    /// Extra text for the execution's comment (after the failure or skip message). The
    /// reporting engine writes comments for tests that did not pass only, so the note of a
    /// passing test is not sent. See also [`note`], for text found while the
    /// test runs.
    pub fn with_note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    /// The Kiwi TCMS case summary to report under, instead of `<target>::<name>`.
    pub fn with_case_name(mut self, summary: impl Into<String>) -> Self {
        self.case_name = Some(summary.into());
        self
    }

    /// The name (what filters match and libtest prints).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The case summary this trial is reported under.
    fn case(&self, target: Option<&str>) -> String {
        self.case_name
            .clone()
            .unwrap_or_else(|| case_name(target, &self.name))
    }

    /// What goes into the run as IDLE before the tests start (only the name matters).
    fn planned(&self, target: Option<&str>) -> TestResult {
        let mut result = TestResult::new(self.case(target), Attempt::new(Outcome::Passed));
        result.origin.suite = target.map(str::to_owned);
        result
    }

    /// A libtest-mimic trial with the same name, kind and flag that does nothing: to ask
    /// [`Arguments`] what it will do with this one.
    fn probe(&self) -> libtest_mimic::Trial {
        libtest_mimic::Trial::test(self.name.clone(), || Ok(()))
            .with_kind(self.kind.clone())
            .with_ignored_flag(self.ignored)
    }

    /// The libtest-mimic trial to run: the body, wrapped to report its result to `sink`.
    fn into_libtest(self, target: Option<&str>, sink: Option<Sink>) -> libtest_mimic::Trial {
        let case = self.case(target);
        let runner = match self.body {
            Body::Unreported(trial) => return trial,
            Body::Test(runner) => runner,
        };
        let Some(sink) = sink else {
            return libtest_mimic::Trial::ignorable_test(self.name, runner)
                .with_kind(self.kind)
                .with_ignored_flag(self.ignored);
        };
        let origin = Origin {
            suite: target.map(str::to_owned),
            class: None,
            file: None,
            line: None,
            location: None,
        };
        let notes = self.notes;
        let wrapped = move || run_reported(runner, case, origin, notes, &sink);
        libtest_mimic::Trial::ignorable_test(self.name, wrapped)
            .with_kind(self.kind)
            .with_ignored_flag(self.ignored)
    }

    /// The WAIVED result of a trial libtest-mimic will not run.
    fn ignored_result(&self, target: Option<&str>) -> TestResult {
        let now = Utc::now();
        let mut attempt = Attempt::new(Outcome::Skipped);
        attempt.started = Some(now);
        attempt.stopped = Some(now);
        attempt.message = self.ignore_reason.clone();
        attempt.details = notes_text(&self.notes, &[]);
        let mut result = TestResult::new(self.case(target), attempt);
        result.origin.suite = target.map(str::to_owned);
        result
    }
}

/// What a test adds while it runs (see [`note`]).
#[derive(Debug, Default)]
struct Context {
    notes: Vec<String>,
    panic_location: Option<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Adds text to the comment of the test running on this thread (a seed, a URL, what was
/// being checked): it is reported with the test's failure or skip message. Does nothing when
/// reporting is off, outside a [`Trial`], and on threads the test starts itself.
///
/// ```
/// tcms_cargo_test::note("seed = 42");
/// ```
pub fn note(text: impl Into<String>) {
    let text = text.into();
    let _ = CURRENT.try_with(|current| {
        if let Ok(mut current) = current.try_borrow_mut()
            && let Some(context) = current.as_mut()
        {
            context.notes.push(text);
        }
    });
}

/// Records where a test panicked (the payload alone has no location); chained to the hook
/// that was set before, so the usual message is still printed. Installed once.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = CURRENT.try_with(|current| {
                if let Ok(mut current) = current.try_borrow_mut()
                    && let Some(context) = current.as_mut()
                {
                    context.panic_location = info.location().map(|l| l.to_string());
                }
            });
            previous(info);
        }));
    });
}

/// Runs one test and queues its result; the test's outcome is passed on unchanged (a panic
/// goes on unwinding, so libtest-mimic prints what it always prints).
fn run_reported(
    runner: Runner,
    case: String,
    origin: Origin,
    notes: Vec<String>,
    sink: &Sink,
) -> Result<Completion, Failed> {
    let started = Utc::now();
    let clock = Instant::now();
    // RUNNING in Kiwi TCMS while it runs.
    let mut running = Attempt::new(Outcome::Passed);
    running.started = Some(started);
    let mut test = TestResult::new(case.clone(), running);
    test.origin = origin.clone();
    sink.started(test);
    let _ = CURRENT.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            *c = Some(Context::default());
        }
    });
    let outcome = catch_unwind(AssertUnwindSafe(runner));
    let context = CURRENT
        .try_with(|c| c.try_borrow_mut().ok().and_then(|mut c| c.take()))
        .ok()
        .flatten()
        .unwrap_or_default();
    let duration = clock.elapsed();
    let mut attempt = Attempt::new(Outcome::Passed);
    attempt.started = Some(started);
    attempt.duration = Some(duration);
    attempt.stopped = TimeDelta::from_std(duration)
        .ok()
        .and_then(|d| started.checked_add_signed(d))
        .or(Some(started));
    let mut location = Vec::new();
    let mut panicked_at = None;
    let returned = match outcome {
        Ok(Ok(Completion::Completed)) => Ok(Ok(Completion::Completed)),
        Ok(Ok(Completion::Ignored { reason })) => {
            attempt.outcome = Outcome::Skipped;
            attempt.message = reason.clone();
            Ok(Ok(Completion::Ignored { reason }))
        }
        Ok(Err(failed)) => {
            attempt.outcome = Outcome::Failed;
            attempt.message = failed.message().map(str::to_owned);
            Ok(Err(failed))
        }
        Err(payload) => {
            attempt.outcome = Outcome::Failed;
            let text = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            attempt.message = Some(match text {
                Some(text) => format!("test panicked: {text}"),
                None => "test panicked".to_owned(),
            });
            if let Some(at) = &context.panic_location {
                location.push(format!("panicked at {at}"));
                panicked_at = Location::parse(at);
            }
            Err(payload)
        }
    };
    attempt.details = notes_text(&notes, &[location, context.notes].concat());
    let mut result = TestResult::new(case, attempt);
    result.origin = origin;
    result.origin.location = panicked_at;
    sink.send(result);
    match returned {
        Ok(completion) => completion,
        Err(payload) => resume_unwind(payload),
    }
}

fn notes_text(fixed: &[String], found: &[String]) -> Option<String> {
    let all: Vec<&str> = found
        .iter()
        .chain(fixed)
        .map(|s| s.trim_end())
        .filter(|s| !s.trim().is_empty())
        .collect();
    (!all.is_empty()).then(|| all.join("\n"))
}

/// Whether and how to report, from [`EnvVars::TCMS_REPORT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Report,
    DryRun,
}

fn flag(name: &str, value: Option<&str>) -> Result<bool, String> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => Err(format!("{name}={other:?}: expected 1 or 0")),
    }
}

fn mode(value: Option<&str>) -> Result<Mode, String> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("dry-run" | "dry_run" | "dryrun") => Ok(Mode::DryRun),
        other => match flag(EnvVars::TCMS_REPORT, other) {
            Ok(true) => Ok(Mode::Report),
            Ok(false) => Ok(Mode::Off),
            Err(_) => Err(format!(
                "{}={:?}: expected 1 (report), dry-run, or 0 (do not report)",
                EnvVars::TCMS_REPORT,
                value.unwrap_or_default()
            )),
        },
    }
}

/// Everything the engine will need, checked before any test runs: the server and
/// credentials, and what to report into (no request is made).
fn check_configuration(plugin: &PluginInfo) -> Result<(), String> {
    Config::load().map_err(|e| e.to_string())?;
    let settings = Settings::from_env(plugin.clone()).map_err(|e| e.to_string())?;
    if settings.run_id.is_none() {
        if settings.plan_id.is_none() {
            settings.require_product().map_err(|e| e.to_string())?;
            settings.require_version().map_err(|e| e.to_string())?;
        }
        settings.require_build().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What happened to the reporting of a harness run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Reporting {
    /// Not switched on (or `--list`, or no test selected).
    Off,
    /// Switched on but not usable: the configuration is missing or invalid, or
    /// [`EnvVars::TCMS_REPORT`] has an unknown value. No test ran.
    Refused(String),
    /// Results were reported; see [`LiveReport::is_complete`].
    Done(Box<LiveReport>),
}

/// The outcome of [`run`]: libtest-mimic's counts and what was reported.
#[derive(Debug, Clone)]
pub struct Conclusion {
    /// The test counts, as [`libtest_mimic::run`] returns them.
    pub tests: libtest_mimic::Conclusion,
    /// What happened to the reporting.
    pub reporting: Reporting,
    /// [`EnvVars::TCMS_REPORT_STRICT`] was set.
    pub strict: bool,
}

impl Conclusion {
    /// The exit status as a number: 101 when a test failed (as libtest), 1 when reporting was
    /// switched on but refused, or when some results were not reported and [`EnvVars::TCMS_REPORT_STRICT`]
    /// is set; else 0.
    pub fn exit_status(&self) -> u8 {
        match &self.reporting {
            Reporting::Refused(_) => FAILURE,
            _ if self.tests.has_failed() => 101,
            Reporting::Done(report) if self.strict && !report.is_complete() => FAILURE,
            _ => 0,
        }
    }

    /// [`Conclusion::exit_status`] as an [`ExitCode`], to return from `main`.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_status())
    }

    /// True when the process should not exit with 0.
    pub fn has_failed(&self) -> bool {
        self.exit_status() != 0
    }

    /// The engine's summary, when results were reported.
    pub fn summary(&self) -> Option<&Summary> {
        match &self.reporting {
            Reporting::Done(report) => report.summary.as_ref(),
            _ => None,
        }
    }

    /// Exits the process with [`Conclusion::exit_status`].
    pub fn exit(&self) -> ! {
        std::process::exit(i32::from(self.exit_status()))
    }
}

/// The harness, with its options; [`run`] is `Harness::new().run(...)`.
#[derive(Debug, Clone, Default)]
pub struct Harness {
    target: Option<String>,
}

impl Harness {
    /// A harness that names cases after the test binary (see [`crate::naming`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Names cases `<target>::<trial name>` with this target instead of the test binary's
    /// name.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Runs the trials like [`libtest_mimic::run`] (same command line, output and counts)
    /// and, when [`EnvVars::TCMS_REPORT`] is set, reports every result live (see the crate docs).
    /// With [`EnvVars::TCMS_SHARD`] (`I/N`) only shard I of N runs (see the crate docs).
    pub fn run(self, args: impl Into<Arguments>, trials: Vec<Trial>) -> Conclusion {
        let args: Arguments = args.into();
        let env = |name: &str| std::env::var(name).ok();
        let mode = match mode(env(EnvVars::TCMS_REPORT).as_deref()) {
            Ok(mode) => mode,
            Err(message) => return refused(message),
        };
        let strict = match flag(
            EnvVars::TCMS_REPORT_STRICT,
            env(EnvVars::TCMS_REPORT_STRICT).as_deref(),
        ) {
            Ok(strict) => strict,
            Err(_) if mode == Mode::Off => false,
            Err(message) => return refused(message),
        };
        if mode != Mode::Off && std::env::var_os("NEXTEST").is_some() {
            eprintln!(
                "tcms-cargo-test: {} is ignored under cargo nextest (one process per test): run \
                 `tcms-cargo-test -- cargo nextest run` instead",
                EnvVars::TCMS_REPORT
            );
        }
        let target = self
            .target
            .map(|t| crate::naming::normalize_target(&t))
            .or_else(|| {
                std::env::current_exe()
                    .ok()
                    .and_then(|p| p.to_str().map(target_of_binary))
            });
        // Several filters, or TCMS_SHARD: the harness selects the trials itself and hands
        // libtest-mimic only those (counted as filtered out otherwise).
        let (args, trials, dropped) = match select_trials(&args, trials, target.as_deref(), mode) {
            Ok(selected) => selected,
            Err(message) => return refused(message),
        };
        let args = &args;
        if mode == Mode::Off || args.list || std::env::var_os("NEXTEST").is_some() {
            let plain = trials
                .into_iter()
                .map(|t| t.into_libtest(None, None))
                .collect();
            return Conclusion {
                tests: with_dropped(libtest_mimic::run(args, plain), dropped),
                reporting: Reporting::Off,
                strict,
            };
        }
        let plugin = plugin_info();
        if let Err(message) = check_configuration(&plugin) {
            return refused(message);
        }
        let timeout = match env(EnvVars::TCMS_REPORT_TIMEOUT) {
            None => DEFAULT_TIMEOUT,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(secs) => Duration::from_secs(secs),
                Err(_) => {
                    return refused(format!(
                        "{}={v:?}: expected a number of seconds",
                        EnvVars::TCMS_REPORT_TIMEOUT
                    ));
                }
            },
        };
        let slow_after = match slow_after(env(EnvVars::TCMS_REPORT_SLOW).as_deref()) {
            Ok(after) => after,
            Err(message) => return refused(message),
        };
        let max_annotations = match env(EnvVars::TCMS_REPORT_ANNOTATIONS) {
            None => tcms_ci::annotations::DEFAULT_MAX,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) => n,
                Err(_) => {
                    return refused(format!(
                        "{}={v:?}: expected a number of annotations (0: none)",
                        EnvVars::TCMS_REPORT_ANNOTATIONS
                    ));
                }
            },
        };
        // Which trials run, which are ignored, which are filtered out: libtest-mimic decides.
        let selected: Vec<(Trial, bool)> = trials
            .into_iter()
            .filter_map(|t| {
                let probe = t.probe();
                (!args.is_filtered_out(&probe)).then(|| {
                    let ignored = args.is_ignored(&probe);
                    (t, ignored)
                })
            })
            .collect();
        let reported = selected
            .iter()
            .filter(|(t, _)| matches!(t.body, Body::Test(_)))
            .count();
        if reported == 0 {
            let plain = selected
                .into_iter()
                .map(|(t, _)| t.into_libtest(None, None))
                .collect();
            return Conclusion {
                tests: with_dropped(libtest_mimic::run(args, plain), dropped),
                reporting: Reporting::Off,
                strict,
            };
        }

        let receipt = env(EnvVars::TCMS_REPORT_RECEIPT).filter(|r| !r.trim().is_empty());
        let options = LiveOptions::new(plugin, report_options(mode == Mode::DryRun, receipt))
            .eager(true)
            .slow_after(slow_after)
            .on_thread_start(thread_logger);
        let mut live = LiveReporter::spawn(options);
        install_panic_hook();
        let sink = live.sink();
        let target = target.as_deref();
        let mut to_run = Vec::with_capacity(selected.len());
        let mut planned = Vec::new();
        for (trial, ignored) in selected {
            if matches!(trial.body, Body::Test(_)) {
                if ignored {
                    live.submit(trial.ignored_result(target));
                } else {
                    planned.push(trial.planned(target));
                }
            }
            to_run.push(trial.into_libtest(target, sink.clone()));
        }
        let ci = {
            let program = match target {
                Some(target) => format!("tcms-cargo-test harness: {target}"),
                None => "tcms-cargo-test harness".to_owned(),
            };
            let summary_md = env(EnvVars::TCMS_REPORT_SUMMARY_MD)
                .filter(|p| !p.trim().is_empty())
                .map(Into::into);
            tcms_ci::CiOutput::from_env(program)
                .summary_md(summary_md)
                .max_annotations(max_annotations)
        };
        let print: Print = Arc::new(move |report: &LiveReport| print_report(report, &ci));
        let (tests, report) = match sink {
            Some(sink) => {
                // Every trial that will run is in the run, IDLE, before the first one starts.
                sink.plan(planned);
                let watch = Watch::install(live, sink, Arc::clone(&print));
                let tests = libtest_mimic::run(args, to_run);
                let Some(live) = watch.take() else {
                    // SIGINT/SIGTERM: the signal's thread reports and ends the process.
                    watch.wait_for_exit()
                };
                let report = live.finish(Some(timeout));
                print(&report);
                watch.done();
                (tests, report)
            }
            None => {
                // No reporting thread: the tests run all the same, `finish` says why.
                let tests = libtest_mimic::run(args, to_run);
                let report = live.finish(Some(timeout));
                print(&report);
                (tests, report)
            }
        };
        let tests = with_dropped(tests, dropped);
        if strict && !report.is_complete() && !tests.has_failed() {
            eprintln!(
                "tcms-cargo-test: some results were not reported and {} is set: exit status 1",
                EnvVars::TCMS_REPORT_STRICT
            );
        }
        Conclusion {
            tests,
            reporting: Reporting::Done(Box::new(report)),
            strict,
        }
    }
}

/// Prints what the harness's report did: the cases that did not pass, the CI outputs (job
/// summary, annotations), the summary line, what went wrong.
fn print_report(report: &LiveReport, ci: &tcms_ci::CiOutput) {
    if let Some(summary) = &report.summary {
        for line in summary.failure_lines(20) {
            eprintln!("{line}");
        }
        for warning in ci.publish(summary, &mut std::io::stdout().lock()) {
            eprintln!("tcms-cargo-test: warning: {warning}");
        }
        println!("{}", summary.line());
    }
    for error in &report.errors {
        eprintln!("tcms-cargo-test: {error}");
    }
}

/// [`EnvVars::TCMS_REPORT_SLOW`]: how long a test runs before a comment says so (`None`:
/// never).
fn slow_after(value: Option<&str>) -> Result<Option<Duration>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Some(crate::live::SLOW_AFTER));
    };
    match value.parse::<f64>() {
        Ok(0.0) => Ok(None),
        Ok(secs) if secs.is_finite() && secs > 0.0 => Ok(Some(Duration::from_secs_f64(secs))),
        _ => Err(format!(
            "{}={value:?}: expected a number of seconds (0: never)",
            EnvVars::TCMS_REPORT_SLOW
        )),
    }
}

/// The trials to run and the arguments for libtest-mimic: as given, unless several filters or
/// [`EnvVars::TCMS_SHARD`] make the harness select them itself (then without the filters, and
/// with how many trials it left out). Under nextest (one process per test) the shard is
/// ignored: nextest has `--partition`.
fn select_trials(
    args: &Arguments,
    trials: Vec<Trial>,
    target: Option<&str>,
    mode: Mode,
) -> Result<(libtest_mimic::Arguments, Vec<Trial>, u64), String> {
    let nextest = std::env::var_os("NEXTEST").is_some();
    let spec = match nextest {
        true => None,
        false => select::shard_spec(std::env::var(EnvVars::TCMS_SHARD).ok().as_deref())?,
    };
    if spec.is_none() && !args.has_several_filters() {
        return Ok(((**args).clone(), trials, 0));
    }
    let total = trials.len();
    let mut kept: Vec<Trial> = trials
        .into_iter()
        .filter(|t| !args.is_filtered_out(&t.probe()))
        .collect();
    if let Some(spec) = spec {
        let names: Vec<String> = kept.iter().map(|t| t.case(target)).collect();
        let read = mode != Mode::Off && check_configuration(&plugin_info()).is_ok();
        let source = select::durations(read);
        let (indices, message) = select::shard_of(&names, spec, &source);
        eprintln!("{message}");
        if let (true, select::Source::Count(reason)) = (read, &source) {
            eprintln!(
                "tcms-cargo-test: warning: {reason}; every shard must split the same way, so \
                 if other shards could read the history, tests may run twice or not at all"
            );
        }
        let wanted: std::collections::HashSet<usize> = indices.into_iter().collect();
        kept = kept
            .into_iter()
            .enumerate()
            .filter(|(i, _)| wanted.contains(i))
            .map(|(_, t)| t)
            .collect();
    }
    let dropped = (total - kept.len()) as u64;
    Ok((args.without_filters(), kept, dropped))
}

/// libtest-mimic's counts with the trials the harness left out added as filtered out.
fn with_dropped(mut tests: libtest_mimic::Conclusion, dropped: u64) -> libtest_mimic::Conclusion {
    tests.num_filtered_out += dropped;
    tests
}

/// The engine's options, from the environment (the test binary's command line is libtest's).
/// No journal in the user's crate: running the tests again is how a harness report is
/// completed.
fn report_options(dry_run: bool, receipt: Option<String>) -> Options {
    Options::new()
        .dry_run(dry_run)
        .started(Some(Utc::now()))
        .receipt(receipt.map(Into::into))
}

/// A stderr subscriber for the reporting thread only: warnings, or `TCMS_REPORT_LOG` (the
/// test binary's own global subscriber is left alone).
fn thread_logger() -> tracing::subscriber::DefaultGuard {
    let filter = std::env::var(EnvVars::TCMS_REPORT_LOG)
        .ok()
        .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("warn"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::set_default(subscriber)
}

fn refused(message: String) -> Conclusion {
    eprintln!("tcms-cargo-test: error: {message}");
    eprintln!(
        "tcms-cargo-test: no test was run ({} asks for a report to Kiwi TCMS)",
        EnvVars::TCMS_REPORT
    );
    Conclusion {
        tests: libtest_mimic::Conclusion {
            num_filtered_out: 0,
            num_passed: 0,
            num_failed: 0,
            num_ignored: 0,
            num_measured: 0,
        },
        reporting: Reporting::Refused(message),
        strict: false,
    }
}

/// Runs `trials` like [`libtest_mimic::run`] and reports their results when
/// [`EnvVars::TCMS_REPORT`] is set: `Harness::new().run(args, trials)`.
pub fn run(args: impl Into<Arguments>, trials: Vec<Trial>) -> Conclusion {
    Harness::new().run(args, trials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_modes() {
        assert_eq!(mode(None), Ok(Mode::Off));
        assert_eq!(mode(Some("")), Ok(Mode::Off));
        assert_eq!(mode(Some("0")), Ok(Mode::Off));
        assert_eq!(mode(Some("1")), Ok(Mode::Report));
        assert_eq!(mode(Some("TRUE")), Ok(Mode::Report));
        assert_eq!(mode(Some("dry-run")), Ok(Mode::DryRun));
        let err = mode(Some("maybe")).unwrap_err();
        assert!(err.contains("TCMS_REPORT=\"maybe\""), "{err}");
        assert_eq!(flag(EnvVars::TCMS_REPORT_STRICT, Some("yes")), Ok(true));
        assert!(flag(EnvVars::TCMS_REPORT_STRICT, Some("2")).is_err());
    }

    #[test]
    fn slow_tests_from_the_environment() {
        assert_eq!(slow_after(None), Ok(Some(crate::live::SLOW_AFTER)));
        assert_eq!(slow_after(Some(" ")), Ok(Some(crate::live::SLOW_AFTER)));
        assert_eq!(slow_after(Some("0")), Ok(None));
        assert_eq!(
            slow_after(Some("2.5")),
            Ok(Some(Duration::from_millis(2500)))
        );
        for bad in ["-1", "soon", "inf", "NaN"] {
            let err = slow_after(Some(bad)).unwrap_err();
            assert!(err.contains("TCMS_REPORT_SLOW"), "{err}");
        }
    }

    #[test]
    fn report_options_from_the_environment() {
        assert!(!report_options(false, None).is_dry_run());
        assert!(report_options(true, Some("out/r.json".into())).is_dry_run());
    }

    #[test]
    fn notes_join_found_then_fixed() {
        assert_eq!(
            notes_text(&["fixed".into()], &["found".into(), " ".into()]).as_deref(),
            Some("found\nfixed")
        );
        assert_eq!(notes_text(&[], &[]), None);
    }

    #[test]
    fn exit_statuses() {
        let counts = |failed| libtest_mimic::Conclusion {
            num_filtered_out: 0,
            num_passed: 1,
            num_failed: failed,
            num_ignored: 0,
            num_measured: 0,
        };
        let lost = LiveReport {
            errors: vec!["down".into()],
            ..LiveReport::default()
        };
        let c = |failed, reporting, strict| Conclusion {
            tests: counts(failed),
            reporting,
            strict,
        };
        assert_eq!(c(0, Reporting::Off, false).exit_status(), 0);
        assert_eq!(c(1, Reporting::Off, false).exit_status(), 101);
        assert_eq!(
            c(0, Reporting::Done(Box::new(lost.clone())), false).exit_status(),
            0
        );
        assert_eq!(
            c(0, Reporting::Done(Box::new(lost.clone())), true).exit_status(),
            1
        );
        assert_eq!(
            c(1, Reporting::Done(Box::new(lost)), true).exit_status(),
            101
        );
        assert_eq!(
            c(0, Reporting::Refused("no url".into()), false).exit_status(),
            1
        );
    }
}
