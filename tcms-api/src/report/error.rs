//! Why a report could not start or go on, sorted by whose fault it is.

use std::path::PathBuf;

use super::settings::SettingsError;
use crate::error::Error;

/// Why reporting could not start or go on. [`ReportError::kind`] says whose fault it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The environment does not say what to report into (no product, an id that is not a
    /// number, `TCMS_RUN_KEY=auto` outside CI).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// What the configuration names does not exist on the server, or does not fit together
    /// (`TCMS_RUN_ID` of no run, a plan of another version, a tester id of no user). Nothing
    /// was created.
    #[error("{0}")]
    Target(String),
    /// The server lacks what every report needs (an execution status of a kind, an active
    /// priority, a confirmed case status).
    #[error("{0}")]
    ServerSetup(String),
    /// The server refused or failed, or could not be reached.
    #[error(transparent)]
    Api(#[from] Error),
    /// The journal of an earlier report cannot be read (`--resume`).
    #[error("cannot resume from {}: {message}", path.display())]
    Journal {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The receipt cannot be written.
    #[error("cannot write the receipt {}: {source}", path.display())]
    Receipt {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A broken invariant of the engine itself: a bug to report.
    #[error("internal error (a bug, please report it): {0}")]
    Internal(String),
}

/// Whose fault a [`ReportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration: environment variables, config file, options, a journal.
    Config,
    /// The server: it refused, failed, lacks setup, or cannot be reached.
    Server,
    /// The engine: a bug.
    Internal,
}

impl ReportError {
    /// Whose fault the error is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ReportError::Settings(_) | ReportError::Target(_) | ReportError::Journal { .. } => {
                ErrorKind::Config
            }
            ReportError::Receipt { .. } => ErrorKind::Config,
            ReportError::Api(Error::Config(_)) => ErrorKind::Config,
            ReportError::ServerSetup(_) | ReportError::Api(_) => ErrorKind::Server,
            ReportError::Internal(_) => ErrorKind::Internal,
        }
    }
}

impl From<crate::ConfigError> for ReportError {
    fn from(e: crate::ConfigError) -> Self {
        ReportError::Api(Error::Config(e))
    }
}
