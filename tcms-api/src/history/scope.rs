//! [`Scope`]: which runs of the server a reader looks at, and the lookups that find them.

use std::fmt;

use crate::env::EnvVars;
use crate::ids::{TestPlanId, TestRunId};
use crate::query::Query;
use crate::report::{PluginInfo, Profile, Settings, SettingsError};

/// What part of the server's history to read: the runs of a product, version, build or plan,
/// or one run, and optionally one [`Profile`]. Every field set must match (SQL `AND`).
///
/// [`Scope::from_env`] reads the variables the plugins report with, with one difference: the
/// version and build are taken only from `TCMS_PRODUCT_VERSION` and `TCMS_BUILD`, not from the
/// CI fallbacks (`GIT_COMMIT`, `GITHUB_RUN_NUMBER`, ...). Those name the current commit or
/// pipeline, which has no results yet when a job asks what failed before; the product's CI
/// fallback (`GITHUB_REPOSITORY`, ...) names the repository and is kept.
///
/// ```
/// use tcms_api::history::Scope;
/// use tcms_api::report::Profile;
///
/// let scope = Scope::new()
///     .product("my-app")
///     .version("main")
///     .profile(Profile::parse("py312").unwrap());
/// assert_eq!(scope.to_string(), "product \"my-app\", version \"main\", profile py312");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scope {
    /// One run (`TCMS_RUN_ID`, `--run`).
    pub run: Option<TestRunId>,
    /// The runs of one plan (`TCMS_PLAN_ID`, `--plan`).
    pub plan: Option<TestPlanId>,
    /// The runs of the plans of one product, by name (`TCMS_PRODUCT` and its CI fallbacks).
    pub product: Option<String>,
    /// The runs of plans of one product version, by its value (`TCMS_PRODUCT_VERSION`).
    pub version: Option<String>,
    /// The runs of one build, by name (`TCMS_BUILD`).
    pub build: Option<String>,
    /// Only the results of this profile (`TCMS_PROFILE`); `None`: every profile.
    pub profile: Option<Profile>,
}

impl Scope {
    /// The empty scope (it names nothing: readers refuse it).
    pub fn new() -> Self {
        Self::default()
    }

    /// The scope the process environment names (see the type's docs).
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(std::env::vars())
    }

    /// The scope the given variables name (see the type's docs). `TCMS_RUN_KEY` is about
    /// writing and is not read (`auto` outside CI would be an error).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let vars = vars
            .into_iter()
            .filter(|(name, _)| name != EnvVars::TCMS_RUN_KEY);
        let settings = Settings::from_vars(PluginInfo::new("tcms", "", ""), vars)?;
        Ok(Self::from_settings(&settings))
    }

    /// The scope of a plugin's [`Settings`]: its run, plan, product and profile, and its
    /// version and build when they come from `TCMS_PRODUCT_VERSION` and `TCMS_BUILD`.
    pub fn from_settings(settings: &Settings) -> Self {
        let explicit = |value: &Option<crate::report::Sourced>, variable: &str| {
            value
                .as_ref()
                .filter(|s| s.from == variable)
                .map(|s| s.value.clone())
        };
        Self {
            run: settings.run_id,
            plan: settings.plan_id,
            product: settings.product.as_ref().map(|s| s.value.clone()),
            version: explicit(&settings.version, EnvVars::TCMS_PRODUCT_VERSION),
            build: explicit(&settings.build, EnvVars::TCMS_BUILD),
            profile: settings.profile.clone(),
        }
    }

    /// One run.
    pub fn run(mut self, run: TestRunId) -> Self {
        self.run = Some(run);
        self
    }

    /// The runs of one plan.
    pub fn plan(mut self, plan: TestPlanId) -> Self {
        self.plan = Some(plan);
        self
    }

    /// The runs of one product.
    pub fn product(mut self, name: impl Into<String>) -> Self {
        self.product = Some(name.into());
        self
    }

    /// The runs of one product version.
    pub fn version(mut self, value: impl Into<String>) -> Self {
        self.version = Some(value.into());
        self
    }

    /// The runs of one build.
    pub fn build(mut self, name: impl Into<String>) -> Self {
        self.build = Some(name.into());
        self
    }

    /// Only one profile's results.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// True when no run, plan, product, version or build is named (the profile alone does
    /// not name runs).
    pub fn is_empty(&self) -> bool {
        self.run.is_none()
            && self.plan.is_none()
            && self.product.is_none()
            && self.version.is_none()
            && self.build.is_none()
    }

    /// The same runs, for durations: without the run and the build, which name one report
    /// (often the one being made), not a history.
    pub fn for_durations(&self) -> Self {
        Self {
            run: None,
            build: None,
            ..self.clone()
        }
    }

    /// The lookups of `TestRun.filter` for these runs (`prefix` empty), or of a filter on a
    /// record that reaches the run through `prefix` (`run`: `Tag`, `TestExecution`).
    pub(crate) fn lookups(&self, prefix: &str) -> Query {
        let key = |path: &str| {
            if prefix.is_empty() {
                path.to_owned()
            } else {
                format!("{prefix}__{path}")
            }
        };
        let mut query = Query::new();
        if let Some(run) = self.run {
            query = if prefix.is_empty() {
                query.eq("pk", run)
            } else {
                query.eq(prefix, run)
            };
        }
        if let Some(plan) = self.plan {
            query = query.field(key("plan"), plan);
        }
        // Names as Kiwi stores them: without surrounding white space.
        if let Some(product) = &self.product {
            query = query.field(key("plan__product__name"), product.trim());
        }
        if let Some(version) = &self.version {
            query = query.field(key("plan__product_version__value"), version.trim());
        }
        if let Some(build) = &self.build {
            query = query.field(key("build__name"), build.trim());
        }
        query
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(run) = self.run {
            parts.push(format!("run {run}"));
        }
        if let Some(plan) = self.plan {
            parts.push(format!("plan {plan}"));
        }
        if let Some(product) = &self.product {
            parts.push(format!("product {product:?}"));
        }
        if let Some(version) = &self.version {
            parts.push(format!("version {version:?}"));
        }
        if let Some(build) = &self.build {
            parts.push(format!("build {build:?}"));
        }
        if let Some(profile) = &self.profile {
            parts.push(format!("profile {profile}"));
        }
        if parts.is_empty() {
            f.write_str("(nothing)")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn from_env_keeps_the_product_fallback_but_not_the_version_and_build_ones() {
        let scope = Scope::from_vars(vars(&[
            ("GITHUB_REPOSITORY", "org/app"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_RUN_NUMBER", "42"),
            ("TCMS_PROFILE", "python=3.12, os=linux"),
        ]))
        .unwrap();
        assert_eq!(scope.product.as_deref(), Some("org/app"));
        assert_eq!(scope.version, None);
        assert_eq!(scope.build, None);
        assert_eq!(
            scope.profile.as_ref().map(Profile::name),
            Some("os=linux,python=3.12")
        );
        let explicit = Scope::from_vars(vars(&[
            ("TCMS_PRODUCT", "app"),
            ("TCMS_PRODUCT_VERSION", "v1"),
            ("TCMS_BUILD", "b1"),
            ("TCMS_RUN_ID", "7"),
            ("TCMS_PLAN_ID", "3"),
        ]))
        .unwrap();
        assert_eq!(explicit.version.as_deref(), Some("v1"));
        assert_eq!(explicit.build.as_deref(), Some("b1"));
        assert_eq!(explicit.run, Some(TestRunId::new(7)));
        assert_eq!(explicit.plan, Some(TestPlanId::new(3)));
        assert!(Scope::from_vars(vars(&[("TCMS_RUN_ID", "x")])).is_err());
        assert!(Scope::from_vars(vars(&[("TCMS_RUN_KEY", "auto")])).is_ok());
        assert!(Scope::from_vars(vars(&[])).unwrap().is_empty());
    }

    #[test]
    fn lookups_for_runs_and_through_runs() {
        let scope = Scope::new()
            .product(" app ")
            .version("v1")
            .build("b1")
            .plan(TestPlanId::new(3))
            .run(TestRunId::new(7));
        assert_eq!(
            scope.lookups("").into_value(),
            json!({"pk": 7, "plan": 3, "plan__product__name": "app",
                   "plan__product_version__value": "v1", "build__name": "b1"})
        );
        assert_eq!(
            scope.lookups("run").into_value(),
            json!({"run": 7, "run__plan": 3, "run__plan__product__name": "app",
                   "run__plan__product_version__value": "v1", "run__build__name": "b1"})
        );
        let durations = scope.for_durations();
        assert_eq!(durations.run, None);
        assert_eq!(durations.build, None);
        assert_eq!(durations.plan, Some(TestPlanId::new(3)));
        assert_eq!(
            scope.to_string(),
            "run TR-7, plan TP-3, product \" app \", version \"v1\", build \"b1\""
        );
        assert_eq!(Scope::new().to_string(), "(nothing)");
    }
}
