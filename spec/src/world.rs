//! The state of one scenario: its runtime, its fake server, the plugin's environment and
//! inputs, and what the last action gave.

use std::path::PathBuf;
use std::time::Duration;

use tcms_api::report::{Options, PluginInfo, ReportError, Reporter, Settings, Summary, TestResult};
use tcms_api::{Client, Config, ConfigError};
use tcms_test_kit::fake::{FakeKiwi, RecordedCall};
use tempfile::TempDir;
use tokio::runtime::Runtime;

use tcms_test_kit::kiwi::{Db, Kiwi};

/// How the plugin hands its results to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feeding {
    /// One `report` call with every result.
    AllAtOnce,
    /// One `report` call per result (live reporting).
    OneAtATime,
    /// Live progress: every result planned, then each one running and reported in turn.
    Live,
    /// Every result planned, the first N running, nothing reported or finished (a run in
    /// progress, or a process killed).
    InProgress(usize),
}

/// The per-scenario state ("world") the steps read and change.
///
/// Fields are dropped in declaration order: the fake server before the runtime it runs on.
pub struct World {
    /// The fake Kiwi TCMS, once a step started it.
    pub fake: Option<FakeKiwi>,
    /// The in-memory data behind the fake.
    pub kiwi: Option<Kiwi>,
    /// The plugin's environment variables, in the order they were set.
    pub vars: Vec<(String, String)>,
    /// Who reports.
    pub plugin: PluginInfo,
    /// The results the next report sends.
    pub results: Vec<TestResult>,
    /// A long name made by a step, for expectations about its first 255 characters.
    pub long_name: Option<String>,
    /// Options of the next report.
    pub options: Options,
    /// The plugin logs in with a password the server does not accept.
    pub wrong_password: bool,
    /// What the last report gave.
    pub report: Option<Result<Summary, ReportError>>,
    /// Where the calls of the last report start in the fake's call log.
    pub mark: usize,
    /// The server's data when the last report started.
    pub before: Option<Db>,
    /// Temporary home and `/etc` for configuration files.
    pub config_dir: Option<TempDir>,
    /// What loading the configuration gave.
    pub config: Option<Result<Config, ConfigError>>,
    /// What was logged while the configuration was loaded.
    pub config_log: String,
    /// The scenario's own current-thread runtime.
    pub runtime: Runtime,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("fake", &self.fake)
            .field("vars", &self.vars)
            .field("results", &self.results.len())
            .finish_non_exhaustive()
    }
}

impl World {
    /// A world with its own current-thread runtime and the junit.xml plugin's identity.
    pub fn new() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build a tokio runtime: {e}"))?;
        Ok(Self {
            fake: None,
            kiwi: None,
            vars: Vec::new(),
            plugin: PluginInfo::new("tcms-junit-xml", "0.1.0", "[junit.xml]"),
            results: Vec::new(),
            long_name: None,
            // A fake server has no concurrent processes to wait for.
            options: Options::new().concurrent_wait(std::time::Duration::from_millis(300)),
            wrong_password: false,
            report: None,
            mark: 0,
            before: None,
            config_dir: None,
            config: None,
            config_log: String::new(),
            runtime,
        })
    }

    /// Starts a fake Kiwi TCMS of `version` with the in-memory data, replacing any earlier
    /// one (which must not have seen unexpected calls).
    pub fn start_server(&mut self, version: &str) -> Result<(), String> {
        self.verify_server()?;
        let fake = self
            .runtime
            .block_on(FakeKiwi::builder().version(version).start());
        self.kiwi = Some(Kiwi::install(&fake));
        self.fake = Some(fake);
        Ok(())
    }

    /// Fails naming the methods the fake was called with but does not know, and forgets
    /// them (so that dropping the fake does not panic).
    pub fn verify_server(&mut self) -> Result<(), String> {
        match &self.fake {
            Some(fake) => {
                let unexpected = fake.take_unexpected();
                if unexpected.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "the plugin called methods the fake Kiwi TCMS does not know: {}",
                        unexpected.join(", ")
                    ))
                }
            }
            None => Ok(()),
        }
    }

    /// The fake server.
    pub fn fake(&self) -> Result<&FakeKiwi, String> {
        self.fake
            .as_ref()
            .ok_or_else(|| "no server yet: start with `Given a Kiwi TCMS 12.4 server`".into())
    }

    /// The in-memory data.
    pub fn kiwi(&self) -> Result<&Kiwi, String> {
        self.kiwi
            .as_ref()
            .ok_or_else(|| "no server yet: start with `Given a Kiwi TCMS 12.4 server`".into())
    }

    /// Sets an environment variable of the plugin (replacing an earlier value).
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.to_owned(), value.to_owned()));
    }

    /// Runs the reporting engine the way a plugin does: settings from the environment, then
    /// start, report, finish. Remembers where its calls start in the log and the data before.
    pub fn run_report(&mut self, feeding: Feeding) -> Result<(), String> {
        let mark = self.fake()?.calls().len();
        let before = self.kiwi()?.db().clone();
        self.mark = mark;
        self.before = Some(before);
        let fake = self.fake()?;
        let client = if self.wrong_password {
            let config = Config::builder()
                .url(fake.uri())
                .username(fake.username())
                .password(format!("not-{}", fake.password()))
                .config_files(Vec::new())
                .env(Vec::<(String, String)>::new())
                .load()
                .map_err(|e| e.to_string())?;
            Client::builder()
                .config(config)
                .backoff(Duration::from_millis(1), Duration::from_millis(5))
                .build()
        } else {
            fake.client()
        }
        .map_err(|e| format!("cannot build a client for the fake: {e}"))?;
        let plugin = self.plugin.clone();
        let vars = self.vars.clone();
        let options = self.options.clone();
        let results = self.results.clone();
        let outcome = self.runtime.block_on(async move {
            let settings = Settings::from_vars(plugin, vars)?;
            let mut reporter = Reporter::start(client, settings, options).await?;
            match feeding {
                Feeding::AllAtOnce => reporter.report(&results).await?,
                Feeding::OneAtATime => {
                    for result in &results {
                        reporter.report(std::slice::from_ref(result)).await?;
                    }
                }
                Feeding::Live => {
                    reporter.plan(&results).await?;
                    for result in &results {
                        let one = std::slice::from_ref(result);
                        reporter.running(one).await?;
                        reporter.report(one).await?;
                    }
                }
                Feeding::InProgress(n) => {
                    reporter.plan(&results).await?;
                    let running = &results[..n.min(results.len())];
                    reporter.running(running).await?;
                    return Ok(reporter.summary().clone());
                }
            }
            reporter.finish().await
        });
        self.report = Some(outcome);
        Ok(())
    }

    /// The summary of the last report, or why there is none.
    pub fn summary(&self) -> Result<&Summary, String> {
        match &self.report {
            None => Err("the plugin has not reported yet".into()),
            Some(Ok(summary)) => Ok(summary),
            Some(Err(e)) => Err(format!("the report failed: {e}")),
        }
    }

    /// The error of the last report, or why there is none.
    pub fn report_error(&self) -> Result<&ReportError, String> {
        match &self.report {
            None => Err("the plugin has not reported yet".into()),
            Some(Ok(summary)) => Err(format!("the report succeeded: {}", summary.line())),
            Some(Err(e)) => Ok(e),
        }
    }

    /// The calls of the last report (all calls when there was none), `Auth.login` included.
    pub fn calls(&self) -> Result<Vec<RecordedCall>, String> {
        let calls = self.fake()?.calls();
        Ok(calls.into_iter().skip(self.mark).collect())
    }

    /// The temporary directory standing for the file system of configuration files.
    fn config_dir(&mut self) -> Result<&TempDir, String> {
        if self.config_dir.is_none() {
            let dir = tempfile::tempdir()
                .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
            self.config_dir = Some(dir);
        }
        self.config_dir
            .as_ref()
            .ok_or_else(|| "no temporary directory".to_owned())
    }

    /// A file of the scenario's own file system (attachments), by name.
    pub fn data_file(&mut self, name: &str) -> Result<PathBuf, String> {
        let dir = self.config_dir()?.path().join("data");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(dir.join(name))
    }

    /// The stand-ins for `~/.tcms.conf` and `/etc/tcms.conf`, in lookup order.
    pub fn config_files(&mut self) -> Result<(PathBuf, PathBuf), String> {
        let dir = self.config_dir()?.path();
        Ok((
            dir.join("home").join(".tcms.conf"),
            dir.join("etc").join("tcms.conf"),
        ))
    }

    /// The stand-in path of `~/.tcms.conf` or `/etc/tcms.conf`.
    pub fn config_file(&mut self, name: &str) -> Result<PathBuf, String> {
        let (home, etc) = self.config_files()?;
        match name {
            "~/.tcms.conf" => Ok(home),
            "/etc/tcms.conf" => Ok(etc),
            other => Err(format!("unknown configuration file {other}")),
        }
    }

    /// Loads the configuration from the stand-in files and the scenario's environment,
    /// capturing what is logged.
    pub fn load_config(&mut self) -> Result<(), String> {
        let (home, etc) = self.config_files()?;
        let builder = Config::builder()
            .config_files([home, etc])
            .env(self.vars.clone());
        // What the configuration says it read: the lines it logs at debug level (read from
        // the value itself: capturing tracing output races with other threads).
        let loaded = builder.load();
        self.config_log = match &loaded {
            Ok(config) => config.sources().join("\n"),
            Err(_) => String::new(),
        };
        self.config = Some(loaded);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_method_the_fake_does_not_know_fails_the_scenario() {
        let mut world = World::new().unwrap();
        world.start_server("12.4").unwrap();
        let client = world.fake().unwrap().client().unwrap();
        let answer: Result<Value, _> = world
            .runtime
            .block_on(client.call("TestRun.remove", json!([{"pk": 1}])));
        assert!(answer.is_err());
        let err = world.verify_server().unwrap_err();
        assert!(err.contains("TestRun.remove"), "{err}");
        // Forgotten once reported: dropping the world does not panic.
        assert!(world.verify_server().is_ok());
    }

    #[test]
    fn variables_are_replaced_not_repeated() {
        let mut world = World::new().unwrap();
        world.set_var("TCMS_BUILD", "1");
        world.set_var("TCMS_BUILD", "2");
        assert_eq!(world.vars, vec![("TCMS_BUILD".to_owned(), "2".to_owned())]);
    }
}
