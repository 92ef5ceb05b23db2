//! The one error: input that cannot be read as text.

use std::io;

/// Input that cannot be read as text at all. Lines that are not TAP are no error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A line is not UTF-8 (TAP is a UTF-8 format).
    #[error(
        "{input}:{line}:{column}: invalid UTF-8 (byte 0x{byte:02x}); TAP input must be UTF-8 text"
    )]
    InvalidUtf8 {
        /// The source name.
        input: String,
        /// The line (1-based).
        line: u64,
        /// The column of the first invalid byte, in characters (1-based).
        column: u64,
        /// The first invalid byte.
        byte: u8,
    },
    /// Reading failed.
    #[error("{input}: failed to read line {line}")]
    Io {
        /// The source name.
        input: String,
        /// The line that could not be read (1-based).
        line: u64,
        /// The I/O error.
        #[source]
        error: io::Error,
    },
}
