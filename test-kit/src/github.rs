//! A GitHub Actions step as a command sees it: `GITHUB_ACTIONS=true` and fresh
//! `GITHUB_STEP_SUMMARY` / `GITHUB_OUTPUT` files, for the end-to-end tests of the CI outputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files of one simulated GitHub Actions step, in a temporary directory.
#[derive(Debug)]
pub struct GithubStep {
    dir: tempfile::TempDir,
}

impl GithubStep {
    /// A step with empty summary and output files.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("tcms-github-step-")
            .tempdir()
            .expect("temporary directory");
        std::fs::write(dir.path().join("step_summary.md"), "").expect("summary file");
        std::fs::write(dir.path().join("output"), "").expect("output file");
        Self { dir }
    }

    /// The temporary directory (for other files of the test).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `GITHUB_STEP_SUMMARY`.
    pub fn summary_path(&self) -> PathBuf {
        self.dir.path().join("step_summary.md")
    }

    /// `GITHUB_OUTPUT`.
    pub fn output_path(&self) -> PathBuf {
        self.dir.path().join("output")
    }

    /// Sets `GITHUB_ACTIONS`, `GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT` and `GITHUB_WORKSPACE`
    /// (`workspace`) for `cmd`.
    pub fn apply<'a>(&self, cmd: &'a mut Command, workspace: &Path) -> &'a mut Command {
        cmd.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", self.summary_path())
            .env("GITHUB_OUTPUT", self.output_path())
            .env("GITHUB_WORKSPACE", workspace)
    }

    /// What was appended to the job summary.
    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.summary_path()).expect("summary file")
    }

    /// The step outputs (`name=value` lines).
    pub fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.output_path())
            .expect("output file")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

impl Default for GithubStep {
    fn default() -> Self {
        Self::new()
    }
}

/// The `::error ...` workflow commands in a command's standard output.
pub fn error_annotations(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.starts_with("::error "))
        .map(str::to_owned)
        .collect()
}
