//! The journal of a report: written when the run exists, removed when every result landed,
//! read by `--resume` to complete the same run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ReportError;
use crate::ids::{TestPlanId, TestRunId};

/// Where the journal goes, if anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum JournalMode {
    /// No journal (the default for the SDK, and for the harness, where running the tests again
    /// is the way to complete a report).
    #[default]
    Off,
    /// `tcms-journal-TR<id>.json` in the current directory.
    Auto,
    /// This file.
    File(PathBuf),
}

/// The journal of a report: enough to complete it with `--resume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The run the report goes into.
    pub run_id: TestRunId,
    /// Its plan.
    pub plan_id: Option<TestPlanId>,
    /// The plugin that wrote it.
    pub plugin: String,
    /// Results parsed so far (0 while the report runs).
    pub parsed: usize,
    /// Results that did not land (0 while the report runs).
    pub not_reported: usize,
}

impl Journal {
    /// Reads a journal written by [`Journal::write`].
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|e| ReportError::Journal {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| ReportError::Journal {
            path: path.to_owned(),
            message: format!("not a journal written by this tool: {e}"),
        })
    }

    /// Writes it atomically (a temporary file renamed over the old one).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, path)
    }
}

impl JournalMode {
    /// The file of the journal of `run`, if one is kept.
    pub fn path(&self, run: TestRunId) -> Option<PathBuf> {
        match self {
            JournalMode::Off => None,
            JournalMode::Auto => Some(PathBuf::from(format!("tcms-journal-TR{}.json", run.get()))),
            JournalMode::File(path) => Some(path.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_paths() {
        let dir = std::env::temp_dir().join(format!("tcms-journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.json");
        let journal = Journal {
            run_id: TestRunId::new(7),
            plan_id: Some(TestPlanId::new(3)),
            plugin: "tcms-tap".into(),
            parsed: 5,
            not_reported: 1,
        };
        journal.write(&path).unwrap();
        assert_eq!(Journal::read(&path).unwrap(), journal);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"run_id\": 7"), "{text}");
        std::fs::write(&path, "{}").unwrap();
        assert!(matches!(
            Journal::read(&path),
            Err(ReportError::Journal { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            JournalMode::Auto.path(TestRunId::new(7)),
            Some(PathBuf::from("tcms-journal-TR7.json"))
        );
        assert_eq!(JournalMode::Off.path(TestRunId::new(7)), None);
    }
}
