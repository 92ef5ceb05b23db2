//! Reads the `.feature` files and runs one scenario.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gherkin::{Feature, GherkinEnv};

use crate::steps::{self, Args};
use crate::world::World;

/// Tags that turn a scenario into an ignored trial: `@bug` (it exposes a known engine bug,
/// named in its description) and `@wip`.
pub const IGNORED_TAGS: &[&str] = &["bug", "wip"];

/// One step of a scenario, background steps included.
#[derive(Debug, Clone)]
pub struct Step {
    /// `Given`, `When`, `Then`, `And`, `But`.
    pub keyword: String,
    /// The text after the keyword.
    pub text: String,
    /// The data table, if any.
    pub table: Option<Vec<Vec<String>>>,
    /// The doc string, if any.
    pub docstring: Option<String>,
    /// The line in the feature file.
    pub line: usize,
}

/// One scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The feature file's stem (`reporting` for `reporting.feature`).
    pub feature: String,
    /// The scenario's name.
    pub name: String,
    /// Its tags (feature tags included), without `@`.
    pub tags: Vec<String>,
    /// The feature file.
    pub path: PathBuf,
    /// The line of the `Scenario:` keyword.
    pub line: usize,
    /// Background steps, then the scenario's own.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// The trial name: `<feature file stem>::<scenario name>`.
    pub fn trial_name(&self) -> String {
        format!("{}::{}", self.feature, self.name)
    }

    /// True when a tag of [`IGNORED_TAGS`] marks it.
    pub fn is_ignored(&self) -> bool {
        self.tags.iter().any(|t| IGNORED_TAGS.contains(&t.as_str()))
    }
}

fn step(s: &gherkin::Step) -> Step {
    Step {
        keyword: s.keyword.trim().to_owned(),
        text: s.value.trim().to_owned(),
        table: s.table.as_ref().map(|t| t.rows.clone()),
        docstring: s.docstring.clone(),
        line: s.position.line,
    }
}

/// Reads every `*.feature` file of `dir` (sorted by name) into scenarios.
pub fn load_features(dir: &Path) -> Result<Vec<Scenario>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no .feature file in {}", dir.display()));
    }
    let mut scenarios = Vec::new();
    for path in paths {
        scenarios.extend(load_feature(&path)?);
    }
    Ok(scenarios)
}

/// Reads one feature file.
pub fn load_feature(path: &Path) -> Result<Vec<Scenario>, String> {
    let feature = Feature::parse_path(path, GherkinEnv::default()).map_err(|e| {
        let detail = std::error::Error::source(&e)
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        format!("{e}{detail}")
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: no file name", path.display()))?;
    let background: Vec<Step> = feature
        .background
        .iter()
        .flat_map(|b| b.steps.iter().map(step))
        .collect();
    let mut all: Vec<(Vec<Step>, &gherkin::Scenario, Vec<String>)> = feature
        .scenarios
        .iter()
        .map(|s| (background.clone(), s, Vec::new()))
        .collect();
    for rule in &feature.rules {
        let mut steps = background.clone();
        steps.extend(
            rule.background
                .iter()
                .flat_map(|b| b.steps.iter().map(step)),
        );
        all.extend(
            rule.scenarios
                .iter()
                .map(|s| (steps.clone(), s, rule.tags.clone())),
        );
    }
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (mut steps, scenario, rule_tags) in all {
        let at = format!("{}:{}", path.display(), scenario.position.line);
        if !scenario.examples.is_empty() {
            return Err(format!(
                "{at}: Scenario Outline is not supported; write one scenario per case"
            ));
        }
        if !names.insert(scenario.name.clone()) {
            return Err(format!(
                "{at}: a second scenario named {:?} in this file",
                scenario.name
            ));
        }
        steps.extend(scenario.steps.iter().map(step));
        let mut tags = feature.tags.clone();
        tags.extend(rule_tags);
        tags.extend(scenario.tags.iter().cloned());
        out.push(Scenario {
            feature: stem.clone(),
            name: scenario.name.clone(),
            tags,
            path: path.to_owned(),
            line: scenario.position.line,
            steps,
        });
    }
    Ok(out)
}

/// Runs a scenario in a new [`World`]: every step in order, stopping at the first failure;
/// then checks that the fake server saw no call of a method it does not know.
pub fn run_scenario(scenario: &Scenario) -> Result<(), String> {
    let mut world = World::new()?;
    let outcome = run_steps(scenario, &mut world);
    let unexpected = world.verify_server();
    match (outcome, unexpected) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
        (Err(e), Err(u)) => Err(format!("{e}\n{u}")),
    }
}

fn run_steps(scenario: &Scenario, world: &mut World) -> Result<(), String> {
    for step in &scenario.steps {
        let at = format!(
            "{}:{}: {} {}",
            scenario.path.display(),
            step.line,
            step.keyword,
            step.text
        );
        let (def, captures) = steps::find(&step.text).map_err(|e| format!("{at}\n  {e}"))?;
        let args = Args::new(&captures, step.table.as_deref(), step.docstring.as_deref());
        (def.run)(world, &args).map_err(|e| format!("{at}\n  {e}"))?;
    }
    Ok(())
}

/// The step patterns no scenario uses (dead definitions), and the steps no pattern matches.
pub fn coverage(scenarios: &[Scenario]) -> Result<(Vec<String>, Vec<String>), String> {
    let defs = steps::definitions()?;
    let mut used = vec![false; defs.len()];
    let mut undefined = Vec::new();
    for scenario in scenarios {
        for step in &scenario.steps {
            let mut matched = false;
            for (i, def) in defs.iter().enumerate() {
                if def.regex.is_match(&step.text) {
                    used[i] = true;
                    matched = true;
                }
            }
            if !matched {
                undefined.push(format!(
                    "{}:{}: {}",
                    scenario.path.display(),
                    step.line,
                    step.text
                ));
            }
        }
    }
    let unused = defs
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(def, _)| def.regex.as_str().to_owned())
        .collect();
    Ok((unused, undefined))
}
