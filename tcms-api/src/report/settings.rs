//! What to report into: resolved from the environment the way the official plugins do, plus
//! GitHub Actions and GitLab CI.

use std::collections::HashMap;

use super::ci::CiInfo;
use super::profile::Profile;
use crate::env::EnvVars;
use crate::ids::{TestPlanId, TestRunId, UserId};

/// The plugin that reports: its name and version go into "Created by ..." texts, its prefix
/// into plan names and run summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Program name, e.g. `tcms-junit-xml`.
    pub name: String,
    /// Program version.
    pub version: String,
    /// Default prefix, e.g. `[junit.xml]` (same as the Python plugin, so names match).
    pub prefix: String,
}

impl PluginInfo {
    /// A plugin description.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            prefix: prefix.into(),
        }
    }

    /// `Created by <name>, version <version>`, as tcms-api writes it.
    pub fn created_by(&self) -> String {
        format!("Created by {}, version {}", self.name, self.version)
    }
}

/// A value and the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    /// The value.
    pub value: String,
    /// The variable (or `--option`) it came from.
    pub from: String,
}

/// Where results go, resolved before anything is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Who reports.
    pub plugin: PluginInfo,
    /// Prefix of plan names and run summaries (`TCMS_PREFIX` or the plugin's).
    pub prefix: String,
    /// `TCMS_RUN_ID`.
    pub run_id: Option<TestRunId>,
    /// `TCMS_PLAN_ID`.
    pub plan_id: Option<TestPlanId>,
    /// `TCMS_PARENT_PLAN`.
    pub parent_plan: Option<TestPlanId>,
    /// `TCMS_DEFAULT_TESTER_ID`.
    pub default_tester: Option<UserId>,
    /// `TCMS_RUN_KEY`, resolved (`auto` replaced by the CI pipeline's identity).
    pub run_key: Option<String>,
    /// `TCMS_PROFILE`: the configuration the results belong to.
    pub profile: Option<Profile>,
    /// The CI job the report runs in, if any (commit, branch or tag, job URL, runner OS).
    pub ci: Option<CiInfo>,
    /// Product name from the chain in [`EnvVars::PRODUCT_CHAIN`].
    pub product: Option<Sourced>,
    /// Version from the chain in [`EnvVars::VERSION_CHAIN`].
    pub version: Option<Sourced>,
    /// Build from the chain in [`EnvVars::BUILD_CHAIN`].
    pub build: Option<Sourced>,
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// `TCMS_RUN_KEY=auto` outside a CI system we know.
    #[error(
        "TCMS_RUN_KEY=auto, but no CI pipeline variables were found (GitHub Actions, GitLab CI, \
         Jenkins, Travis); set TCMS_RUN_KEY to a value that all shards of one pipeline share"
    )]
    NoRunKey,
    /// `TCMS_PROFILE` (or `--profile`) is not a name or `key=value` pairs.
    #[error("profile {value:?}: {reason}")]
    InvalidProfile {
        /// The text given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// An id variable is not a positive integer.
    #[error("{variable}={value:?} is not a valid id (expected a positive integer)")]
    InvalidId {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// Nothing names what to report into.
    #[error("{what} not defined: set one of {}", vars.join(", "))]
    Missing {
        /// `product`, `version` or `build`.
        what: &'static str,
        /// The variables looked at, in order.
        vars: Vec<&'static str>,
    },
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env(plugin: PluginInfo) -> Result<Self, SettingsError> {
        Self::from_vars(plugin, std::env::vars())
    }

    /// Reads the given variables (tests, or a plugin that layers its own options on top).
    pub fn from_vars(
        plugin: PluginInfo,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let raw: HashMap<String, String> = vars.into_iter().collect();
        // TCMS_PREFIX may be set to the empty string on purpose (tcms-api reads it with
        // `os.environ.get`), so it is read before empty values are dropped.
        let prefix = raw
            .get(EnvVars::TCMS_PREFIX)
            .cloned()
            .unwrap_or_else(|| plugin.prefix.clone());
        let ci = CiInfo::from_vars(&raw);
        let env: HashMap<String, String> = raw
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let id = |name: &'static str| -> Result<Option<i64>, SettingsError> {
            match env.get(name) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<i64>() {
                    Ok(n) if n > 0 => Ok(Some(n)),
                    _ => Err(SettingsError::InvalidId {
                        variable: name,
                        value: v.clone(),
                    }),
                },
            }
        };
        let chain = |names: &[&str]| -> Option<Sourced> {
            names.iter().find_map(|n| {
                env.get(*n).map(|v| Sourced {
                    value: v.trim().to_owned(),
                    from: (*n).to_owned(),
                })
            })
        };
        let run_key = match env.get(EnvVars::TCMS_RUN_KEY).map(|v| v.trim()) {
            None => None,
            Some("auto") => Some(
                EnvVars::RUN_KEY_AUTO
                    .iter()
                    .find_map(|names| {
                        let parts: Option<Vec<&str>> = names
                            .iter()
                            .map(|n| env.get(*n).map(|v| v.trim()))
                            .collect();
                        parts.map(|p| p.join("/"))
                    })
                    .ok_or(SettingsError::NoRunKey)?,
            ),
            Some(key) => Some(key.to_owned()),
        };
        let profile = env
            .get(EnvVars::TCMS_PROFILE)
            .map(|p| Profile::parse(p))
            .transpose()?;
        Ok(Self {
            run_key,
            profile,
            ci,
            prefix,
            run_id: id(EnvVars::TCMS_RUN_ID)?.map(TestRunId::new),
            plan_id: id(EnvVars::TCMS_PLAN_ID)?.map(TestPlanId::new),
            parent_plan: id(EnvVars::TCMS_PARENT_PLAN)?.map(TestPlanId::new),
            default_tester: id(EnvVars::TCMS_DEFAULT_TESTER_ID)?.map(UserId::new),
            product: chain(EnvVars::PRODUCT_CHAIN),
            version: chain(EnvVars::VERSION_CHAIN),
            build: chain(EnvVars::BUILD_CHAIN),
            plugin,
        })
    }

    /// The product, or an error naming the variables.
    pub fn require_product(&self) -> Result<&str, SettingsError> {
        require(&self.product, "product", EnvVars::PRODUCT_CHAIN)
    }

    /// The version, or an error naming the variables.
    pub fn require_version(&self) -> Result<&str, SettingsError> {
        require(&self.version, "version", EnvVars::VERSION_CHAIN)
    }

    /// The build, or an error naming the variables.
    pub fn require_build(&self) -> Result<&str, SettingsError> {
        require(&self.build, "build", EnvVars::BUILD_CHAIN)
    }

    /// `{prefix} Plan for {product} ({version})`, as tcms-api names it (cut to 255 characters).
    pub fn plan_name(&self, product: &str, version: &str) -> String {
        stored_name(
            &format!("{} Plan for {product} ({version})", self.prefix),
            255,
        )
    }

    /// `{prefix} Results for {product}, {version}, {build}`, as tcms-api names it.
    /// With a `profile`, ` [<profile>]` follows.
    pub fn run_summary(
        &self,
        product: &str,
        version: &str,
        build: &str,
        profile: Option<&Profile>,
    ) -> String {
        let profile = match profile {
            Some(p) => format!(" [{p}]"),
            None => String::new(),
        };
        stored_name(
            &format!(
                "{} Results for {product}, {version}, {build}{profile}",
                self.prefix
            ),
            255,
        )
    }
}

fn require<'a>(
    value: &'a Option<Sourced>,
    what: &'static str,
    names: &[&'static str],
) -> Result<&'a str, SettingsError> {
    value
        .as_ref()
        .map(|s| s.value.as_str())
        .ok_or_else(|| SettingsError::Missing {
            what,
            vars: names.to_vec(),
        })
}

/// A name as Kiwi stores it: cut to `max` characters (as tcms-api does before sending), then
/// without NUL characters and surrounding whitespace (as Kiwi's Django forms save it). Lookups
/// must use this form, or a name with a trailing space is created again on every run.
pub(crate) fn stored_name(name: &str, max: usize) -> String {
    truncate_chars(name, max)
        .replace('\0', "")
        .trim_matches(is_python_whitespace)
        .to_owned()
}

/// Python's `str.isspace`: Unicode whitespace plus the ASCII separators 0x1C-0x1F.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Cuts a string to at most `max` characters (not bytes), as Python's `s[:255]` does.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((byte, _)) => s[..byte].to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin() -> PluginInfo {
        PluginInfo::new("tcms-junit-xml", "0.1.0", "[junit.xml]")
    }

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_vars(
            plugin(),
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn chains_follow_the_official_order_then_ci() {
        let s = settings(&[
            ("JOB_NAME", "job"),
            ("TRAVIS_REPO_SLUG", "slug"),
            ("GITHUB_REPOSITORY", "gh/repo"),
            ("GIT_COMMIT", "abc"),
            ("GITHUB_REF_NAME", "main"),
            ("BUILD_NUMBER", "7"),
        ])
        .unwrap();
        assert_eq!(s.product.as_ref().unwrap().value, "slug");
        assert_eq!(s.product.as_ref().unwrap().from, "TRAVIS_REPO_SLUG");
        assert_eq!(s.require_version().unwrap(), "abc");
        assert_eq!(s.require_build().unwrap(), "7");

        let gh = settings(&[
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_RUN_NUMBER", "42"),
        ])
        .unwrap();
        assert_eq!(gh.require_product().unwrap(), "org/repo");
        assert_eq!(gh.require_version().unwrap(), "main");
        assert_eq!(gh.require_build().unwrap(), "42");

        let gl = settings(&[
            ("CI_PROJECT_PATH", "group/proj"),
            ("CI_COMMIT_REF_NAME", "feature"),
            ("CI_PIPELINE_ID", "1001"),
        ])
        .unwrap();
        assert_eq!(gl.require_product().unwrap(), "group/proj");
        assert_eq!(gl.require_version().unwrap(), "feature");
        assert_eq!(gl.require_build().unwrap(), "1001");
    }

    #[test]
    fn empty_values_do_not_count_and_missing_names_variables() {
        let s = settings(&[("TCMS_PRODUCT", ""), ("JOB_NAME", "job")]).unwrap();
        assert_eq!(s.require_product().unwrap(), "job");
        let err = settings(&[]).unwrap().require_build().unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("TCMS_BUILD, TRAVIS_BUILD_NUMBER, BUILD_NUMBER"),
            "{text}"
        );
    }

    #[test]
    fn run_keys() {
        assert_eq!(settings(&[]).unwrap().run_key, None);
        assert_eq!(
            settings(&[("TCMS_RUN_KEY", "nightly-42")])
                .unwrap()
                .run_key
                .as_deref(),
            Some("nightly-42")
        );
        let gh = settings(&[
            ("TCMS_RUN_KEY", "auto"),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_RUN_ID", "123"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ])
        .unwrap();
        assert_eq!(gh.run_key.as_deref(), Some("org/repo/123/2"));
        let gl = settings(&[
            ("TCMS_RUN_KEY", "auto"),
            ("CI_PROJECT_PATH", "g/p"),
            ("CI_PIPELINE_ID", "9"),
        ])
        .unwrap();
        assert_eq!(gl.run_key.as_deref(), Some("g/p/9"));
        assert_eq!(
            settings(&[("TCMS_RUN_KEY", "auto")]).unwrap_err(),
            SettingsError::NoRunKey
        );
    }

    #[test]
    fn ids_are_validated() {
        assert_eq!(
            settings(&[("TCMS_RUN_ID", "24")]).unwrap().run_id,
            Some(TestRunId::new(24))
        );
        assert!(matches!(
            settings(&[("TCMS_RUN_ID", "TR-24")]),
            Err(SettingsError::InvalidId {
                variable: "TCMS_RUN_ID",
                ..
            })
        ));
        assert!(settings(&[("TCMS_PLAN_ID", "0")]).is_err());
    }

    #[test]
    fn names_match_tcms_api() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.plan_name("P", "v1"), "[junit.xml] Plan for P (v1)");
        assert_eq!(
            s.run_summary("P", "v1", "b2", None),
            "[junit.xml] Results for P, v1, b2"
        );
        let p = settings(&[("TCMS_PREFIX", "[ci]")]).unwrap();
        assert_eq!(p.plan_name("P", "v1"), "[ci] Plan for P (v1)");
        let empty = settings(&[("TCMS_PREFIX", "")]).unwrap();
        // tcms-api sends " Plan for P (v1)"; Kiwi stores it stripped, and so do we.
        assert_eq!(empty.plan_name("P", "v1"), "Plan for P (v1)");
        let long = "é".repeat(300);
        assert_eq!(s.plan_name(&long, "v").chars().count(), 255);
    }
}
