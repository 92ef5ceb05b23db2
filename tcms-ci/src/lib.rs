//! What a Kiwi TCMS report shows in CI, rendered from the engine's
//! [`Summary`](tcms_api::report::Summary):
//!
//! - [`markdown`]: the job summary (counts per status, the TestRun link, the first cases that
//!   did not pass with links to their case and execution pages, what did not land), capped by
//!   [`Limits`] so a huge failing run stays readable;
//! - [`github`]: the step outputs `run-id=` and `run-url=`;
//! - [`annotations`]: `::error file=…,line=…::…` workflow commands for failures whose input
//!   names a source file;
//! - [`CiOutput`]: where each goes, from the environment (`GITHUB_STEP_SUMMARY`,
//!   `GITHUB_OUTPUT`, `GITHUB_ACTIONS`, `GITHUB_WORKSPACE`) and the caller's choices
//!   (`--summary-md`, `--max-annotations`), and [`CiOutput::publish`], which writes them.
//!
//! This crate has no command-line code (no clap): the commands (through `tcms-cli`) and the
//! `tcms-cargo-test` harness library, which must not depend on clap, share it. The SDK
//! (`tcms-api`) knows nothing of it.
//!
//! ```
//! use tcms_api::report::Summary;
//! use tcms_ci::CiOutput;
//!
//! let summary = Summary::default();
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("summary.md");
//! let ci = CiOutput::from_vars("my-tool", |_| None).summary_md(Some(path.clone()));
//! let mut annotations = Vec::new();
//! assert!(ci.publish(&summary, &mut annotations).is_empty());
//! assert!(std::fs::read_to_string(&path)?.contains("Kiwi TCMS"));
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod annotations;
pub mod github;
mod links;
pub mod markdown;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use tcms_api::env::EnvVars;
use tcms_api::report::Summary;

pub use links::Links;
pub use markdown::Limits;

/// Where a report's CI output goes, and how much of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiOutput {
    program: String,
    summary_md: Option<PathBuf>,
    step_summary: Option<PathBuf>,
    github_output: Option<PathBuf>,
    in_actions: bool,
    max_annotations: usize,
    workspace: Option<PathBuf>,
    limits: Limits,
}

impl CiOutput {
    /// What the environment asks for (GitHub Actions' variables), for `program`.
    pub fn from_env(program: impl Into<String>) -> Self {
        Self::from_vars(program, |name| std::env::var(name).ok())
    }

    /// As [`CiOutput::from_env`], with the variables from `var`.
    pub fn from_vars(program: impl Into<String>, var: impl Fn(&str) -> Option<String>) -> Self {
        let path = |name: &str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
        };
        Self {
            program: program.into(),
            summary_md: None,
            step_summary: path(EnvVars::GITHUB_STEP_SUMMARY),
            github_output: path(EnvVars::GITHUB_OUTPUT),
            in_actions: var(EnvVars::GITHUB_ACTIONS).is_some_and(|v| v.trim() == "true"),
            max_annotations: annotations::DEFAULT_MAX,
            workspace: path(EnvVars::GITHUB_WORKSPACE),
            limits: Limits::default(),
        }
    }

    /// Also writes the Markdown summary to this file (replacing what it held).
    pub fn summary_md(mut self, path: Option<PathBuf>) -> Self {
        self.summary_md = path;
        self
    }

    /// At most `max` annotations (`0`: none); they are printed in GitHub Actions only.
    pub fn max_annotations(mut self, max: usize) -> Self {
        self.max_annotations = max;
        self
    }

    /// How much the Markdown summary lists.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// True when [`CiOutput::publish`] has something to do.
    pub fn is_active(&self) -> bool {
        self.summary_md.is_some()
            || self.step_summary.is_some()
            || self.github_output.is_some()
            || self.annotates()
    }

    fn annotates(&self) -> bool {
        self.in_actions && self.max_annotations > 0
    }

    /// Writes the summary to `--summary-md` and appends it to `GITHUB_STEP_SUMMARY`, appends
    /// the step outputs to `GITHUB_OUTPUT`, and (in GitHub Actions) writes the annotations to
    /// `annotations`, one per line (standard output, where the runner reads them). Returns a
    /// warning per file that could not be written; nothing here changes what was reported.
    pub fn publish(&self, summary: &Summary, annotations: &mut dyn Write) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut warn = |what: &str, path: &Path, e: std::io::Error| {
            warnings.push(format!("cannot write {what} {}: {e}", path.display()));
        };
        if self.summary_md.is_some() || self.step_summary.is_some() {
            let text = markdown::render(summary, &self.program, &self.limits);
            if let Some(path) = &self.summary_md
                && let Err(e) = std::fs::write(path, &text)
            {
                warn("the summary", path, e);
            }
            if let Some(path) = &self.step_summary
                && !self
                    .summary_md
                    .as_deref()
                    .is_some_and(|md| same_file(md, path))
                && let Err(e) = append(path, &text)
            {
                warn(EnvVars::GITHUB_STEP_SUMMARY, path, e);
            }
        }
        if let Some(path) = &self.github_output {
            let text = github::outputs(summary);
            if !text.is_empty()
                && let Err(e) = append(path, &text)
            {
                warn(EnvVars::GITHUB_OUTPUT, path, e);
            }
        }
        if self.annotates() {
            let found =
                annotations::render(summary, self.max_annotations, self.workspace.as_deref());
            let mut text = String::new();
            for line in &found.lines {
                text.push_str(line);
                text.push('\n');
            }
            if found.left_out > 0 {
                text.push_str(&format!(
                    "{}: {} more failure(s) with a source location are not annotated (at most {}); \
                     the job summary and the TestRun list them\n",
                    self.program, found.left_out, self.max_annotations
                ));
            }
            let _ = annotations
                .write_all(text.as_bytes())
                .and_then(|()| annotations.flush());
        }
        warnings
    }
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}
