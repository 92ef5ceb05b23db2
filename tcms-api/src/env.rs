//! Every environment variable the SDK, the plugins and the harness read, in one table.
//!
//! [`EnvVars`] holds the names as constants (the parsers read them through these constants
//! only); [`EnvVars::ALL`] describes each one, and [`help_text`] renders that table for a
//! plugin's `--help`, so the help, these docs and the parsers cannot disagree.
//!
//! | group | variables |
//! |---|---|
//! | where the server is | `TCMS_API_URL`, `TCMS_USERNAME`, `TCMS_PASSWORD`, `TCMS_CA_BUNDLE`, `TCMS_TLS_VERIFY`, `TCMS_TIMEOUT` |
//! | what to report into | `TCMS_RUN_ID`, `TCMS_PLAN_ID`, `TCMS_RUN_KEY`, `TCMS_PROFILE`, `TCMS_PRODUCT`, `TCMS_PRODUCT_VERSION`, `TCMS_BUILD`, `TCMS_PARENT_PLAN`, `TCMS_PREFIX`, `TCMS_DEFAULT_TESTER_ID` |
//! | CI systems (fallbacks) | [`EnvVars::PRODUCT_CHAIN`], [`EnvVars::VERSION_CHAIN`], [`EnvVars::BUILD_CHAIN`], [`EnvVars::RUN_KEY_AUTO`] |
//! | the Rust harness | `TCMS_REPORT`, `TCMS_REPORT_STRICT`, `TCMS_REPORT_TIMEOUT`, `TCMS_REPORT_RECEIPT`, `TCMS_REPORT_LOG`, `TCMS_REPORT_SUMMARY_MD`, `TCMS_REPORT_ANNOTATIONS`, `TCMS_REPORT_SLOW`, `TCMS_SHARD` |
//! | CI output (read, not set by you) | [`EnvVars::GITHUB_ACTIONS`], [`EnvVars::GITHUB_STEP_SUMMARY`], [`EnvVars::GITHUB_OUTPUT`], [`EnvVars::GITHUB_WORKSPACE`], [`EnvVars::NO_COLOR`] |

/// What a variable is for, to group the help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Group {
    /// Where the server is and how to log in.
    Server,
    /// What to report into.
    Target,
    /// The Rust test harness (`tcms-cargo-test`'s library).
    Harness,
}

/// One variable: its name, its group and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    /// The name, e.g. `TCMS_RUN_ID`.
    pub name: &'static str,
    /// What it is for.
    pub group: Group,
    /// One line on what it does.
    pub help: &'static str,
}

macro_rules! env_vars {
    ($($(#[doc = $doc:literal])+ $name:ident, $group:ident, $help:literal;)+) => {
        /// The names of the environment variables read by the SDK, the plugins and the harness
        /// (uv's `EnvVars` idea): read them through these constants, never by hand-typed text.
        #[derive(Debug)]
        #[non_exhaustive]
        pub struct EnvVars;

        impl EnvVars {
            $(
                $(#[doc = $doc])+
                pub const $name: &'static str = stringify!($name);
            )+

            /// Every variable of this table with its group and help, in table order.
            pub const ALL: &'static [Var] = &[
                $(Var { name: stringify!($name), group: Group::$group, help: $help },)+
            ];
        }
    };
}

env_vars! {
    /// The server: its base URL, `.../xml-rpc/` or `.../json-rpc/` (the config file's `url`).
    TCMS_API_URL, Server, "server URL (the config file's `url`)";
    /// The user name (the config file's `username`).
    TCMS_USERNAME, Server, "user name (`username`)";
    /// The password (the config file's `password`); never printed.
    TCMS_PASSWORD, Server, "password (`password`)";
    /// A PEM file of extra CA certificates to trust (the config file's `ca_bundle`).
    TCMS_CA_BUNDLE, Server, "PEM file of extra trusted CAs (`ca_bundle`)";
    /// `0`/`false` turns TLS certificate checks off, with a warning (`tls_verify`).
    TCMS_TLS_VERIFY, Server, "0 turns certificate checks off, with a warning (`tls_verify`)";
    /// Seconds one HTTP request may take, a whole batch included (default 120).
    TCMS_TIMEOUT, Server, "seconds one request may take (default 120)";
    /// Report into this existing TestRun; its plan receives the cases.
    TCMS_RUN_ID, Target, "report into this existing TestRun";
    /// Create the TestRun under this existing TestPlan.
    TCMS_PLAN_ID, Target, "create the TestRun under this TestPlan";
    /// Every process with the same key reports into one TestRun (parallel CI shards); `auto`
    /// derives it from the CI pipeline ([`EnvVars::RUN_KEY_AUTO`]).
    TCMS_RUN_KEY, Target, "processes with one key share a TestRun (`auto`: the CI run)";
    /// The product name (else the first of [`EnvVars::PRODUCT_CHAIN`] that is set).
    TCMS_PRODUCT, Target, "product";
    /// The product version (else the first of [`EnvVars::VERSION_CHAIN`] that is set).
    TCMS_PRODUCT_VERSION, Target, "version";
    /// The build (else the first of [`EnvVars::BUILD_CHAIN`] that is set).
    TCMS_BUILD, Target, "build";
    /// The configuration the results belong to: a name (`py312-linux`) or `key=value` pairs
    /// (`python=3.12,os=linux`); results of different profiles never replace each other.
    TCMS_PROFILE, Target, "configuration of the results: a name or key=value,...";
    /// The parent of a newly created TestPlan.
    TCMS_PARENT_PLAN, Target, "parent of a new TestPlan";
    /// Replaces the plugin's prefix (`[junit.xml]`, `[TAP]`) of plan names and run summaries.
    TCMS_PREFIX, Target, "prefix of plan names and run summaries";
    /// The user id used as plan author, run default tester and execution tester.
    TCMS_DEFAULT_TESTER_ID, Target, "user id of author and tester";
    /// `1` (`true`, `yes`, `on`) makes the harness report; `dry-run` resolves read-only;
    /// unset or `0` leaves `cargo test` as it is.
    TCMS_REPORT, Harness, "1 reports the harness's tests, dry-run resolves read-only";
    /// `1`: a result that could not be reported makes the test binary fail.
    TCMS_REPORT_STRICT, Harness, "1: a result not reported fails the test binary";
    /// Seconds the harness waits after the last test for its results to land (default 300).
    TCMS_REPORT_TIMEOUT, Harness, "seconds to wait for the last results (default 300)";
    /// The harness writes a JSON receipt of what it reported to this file.
    TCMS_REPORT_RECEIPT, Harness, "write a JSON receipt to this file";
    /// The log filter of the harness's reporting thread (default `warn`).
    TCMS_REPORT_LOG, Harness, "log filter of the reporting thread (default warn)";
    /// Seconds a test may run before its execution gets a comment saying it still runs, once,
    /// so that a hang shows in Kiwi TCMS while it hangs (default 60; `0`: never).
    TCMS_REPORT_SLOW, Harness, "seconds a test runs before a comment says so (60; 0: never)";
    /// `I/N` (from 1): the harness runs only shard I of N, balanced by the tests' historic
    /// durations when it reports (else split by count), as `tcms shard` splits.
    TCMS_SHARD, Harness, "I/N: run only shard I of N (balanced by history)";
    /// The harness writes the Markdown summary of what it reported to this file (the
    /// commands' `--summary-md`); under GitHub Actions it is also appended to
    /// [`EnvVars::GITHUB_STEP_SUMMARY`].
    TCMS_REPORT_SUMMARY_MD, Harness, "write the Markdown summary to this file";
    /// How many failures the harness prints as GitHub Actions annotations (default 10; `0`
    /// prints none): the commands' `--max-annotations` / `--no-annotations`.
    TCMS_REPORT_ANNOTATIONS, Harness, "GitHub annotations printed at most (default 10, 0: none)";
}

impl EnvVars {
    /// `true` when running in GitHub Actions: failures are printed as workflow annotations.
    pub const GITHUB_ACTIONS: &'static str = "GITHUB_ACTIONS";
    /// The job summary file of a GitHub Actions step: every report appends its Markdown
    /// summary to it.
    pub const GITHUB_STEP_SUMMARY: &'static str = "GITHUB_STEP_SUMMARY";
    /// The step outputs file of GitHub Actions: `run-id=` and `run-url=` are written to it.
    pub const GITHUB_OUTPUT: &'static str = "GITHUB_OUTPUT";
    /// The checkout of GitHub Actions: annotated files under it are named relative to it.
    pub const GITHUB_WORKSPACE: &'static str = "GITHUB_WORKSPACE";
    /// Set and not empty: no colour in the output (<https://no-color.org>).
    pub const NO_COLOR: &'static str = "NO_COLOR";

    /// The product when [`EnvVars::TCMS_PRODUCT`] is not set: the first that is, in the
    /// official plugins' order (Travis, Jenkins), then GitHub Actions and GitLab CI.
    pub const PRODUCT_CHAIN: &'static [&'static str] = &[
        Self::TCMS_PRODUCT,
        "TRAVIS_REPO_SLUG",
        "JOB_NAME",
        "GITHUB_REPOSITORY",
        "CI_PROJECT_PATH",
    ];

    /// The version when [`EnvVars::TCMS_PRODUCT_VERSION`] is not set.
    pub const VERSION_CHAIN: &'static [&'static str] = &[
        Self::TCMS_PRODUCT_VERSION,
        "TRAVIS_COMMIT",
        "TRAVIS_PULL_REQUEST_SHA",
        "GIT_COMMIT",
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
        "CI_COMMIT_REF_NAME",
    ];

    /// The build when [`EnvVars::TCMS_BUILD`] is not set.
    pub const BUILD_CHAIN: &'static [&'static str] = &[
        Self::TCMS_BUILD,
        "TRAVIS_BUILD_NUMBER",
        "BUILD_NUMBER",
        "GITHUB_RUN_NUMBER",
        "CI_PIPELINE_ID",
    ];

    /// What `TCMS_RUN_KEY=auto` is made of, the first complete group wins: GitHub Actions
    /// run id and attempt, GitLab pipeline id, Jenkins build tag, Travis build id.
    pub const RUN_KEY_AUTO: &'static [&'static [&'static str]] = &[
        &["GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT"],
        &["CI_PROJECT_PATH", "CI_PIPELINE_ID"],
        &["BUILD_TAG"],
        &["TRAVIS_REPO_SLUG", "TRAVIS_BUILD_ID"],
    ];
}

/// The help text of the variables in `groups` (for a plugin's `--help`): one line each, the
/// fallback chains after the variable they stand in for.
pub fn help_text(groups: &[Group]) -> String {
    let mut out = String::new();
    for group in groups {
        let title = match group {
            Group::Server => {
                "Server (the first that is set wins for each value: command-line option,\n\
                 ~/.tcms.conf or /etc/tcms.conf [tcms] section, then the environment):"
            }
            Group::Target => "What to report into:",
            Group::Harness => "The test harness:",
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(title);
        out.push('\n');
        for var in EnvVars::ALL.iter().filter(|v| v.group == *group) {
            out.push_str(&format!("  {:<24}{}\n", var.name, var.help));
            let chain = match var.name {
                EnvVars::TCMS_PRODUCT => EnvVars::PRODUCT_CHAIN,
                EnvVars::TCMS_PRODUCT_VERSION => EnvVars::VERSION_CHAIN,
                EnvVars::TCMS_BUILD => EnvVars::BUILD_CHAIN,
                _ => &[],
            };
            if chain.len() > 1 {
                out.push_str(&wrap(&format!("else {}", chain[1..].join(", ")), 26, 90));
            }
        }
    }
    out
}

/// `text` indented by `indent`, wrapped at commas to lines of at most `width` characters.
fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > width {
            out.push_str(&format!("{:indent$}{line}\n", ""));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{:indent$}{line}\n", ""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_their_constants() {
        assert_eq!(EnvVars::TCMS_RUN_ID, "TCMS_RUN_ID");
        assert!(EnvVars::ALL.iter().all(|v| v.name.starts_with("TCMS_")));
        let mut names: Vec<_> = EnvVars::ALL.iter().map(|v| v.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EnvVars::ALL.len());
    }

    #[test]
    fn help_lists_every_variable_of_its_groups_and_the_chains() {
        let help = help_text(&[Group::Server, Group::Target]);
        for var in EnvVars::ALL.iter().filter(|v| v.group != Group::Harness) {
            assert!(help.contains(var.name), "{} missing in\n{help}", var.name);
        }
        assert!(!help.contains(EnvVars::TCMS_REPORT_STRICT));
        assert!(help.contains("GITHUB_RUN_NUMBER"), "{help}");
        assert!(help.lines().all(|l| l.len() <= 90), "{help}");
    }
}
