//! The parse error: where in which input, and what went wrong.

use std::io;
use std::sync::Arc;

/// A junit.xml input could not be read: it names the input (a file path or `<stdin>`), the
/// 1-based line and column (counted in bytes) and what went wrong.
///
/// Displays as `report.xml:12:5: malformed XML: ...`. The message is complete on its own, so
/// neither type reports a [`std::error::Error::source`]: the underlying error is in
/// [`ParseError::kind`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{input}:{line}:{column}: {kind}")]
pub struct ParseError {
    input: String,
    line: u64,
    column: u64,
    kind: ParseErrorKind,
}

/// What went wrong, without the location.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Reading the input failed.
    #[error("cannot read the input: {0}")]
    Read(Arc<io::Error>),
    /// The input is not UTF-8.
    #[error("invalid UTF-8{}", declared_note(.declared_encoding.as_deref()))]
    InvalidUtf8 {
        /// The `encoding` of the XML declaration, when it is not UTF-8.
        declared_encoding: Option<String>,
    },
    /// The input is not well-formed XML.
    #[error("malformed XML: {0}")]
    Xml(quick_xml::Error),
    /// An attribute is not well-formed (unquoted, duplicated, ...).
    #[error("malformed XML: bad attribute in <{element}>: {}", attr_problem(.error))]
    Attribute {
        /// The element whose start tag holds the attribute.
        element: String,
        /// What quick-xml found.
        error: quick_xml::events::attributes::AttrError,
    },
    /// The input ended inside an element.
    #[error("unexpected end of input: <{element}> opened on line {line} is not closed")]
    Unclosed {
        /// The innermost open element.
        element: String,
        /// The line of its start tag.
        line: u64,
    },
    /// The document's root element is not a JUnit one.
    #[error("<{0}> is not a JUnit XML root element (expected <testsuites> or <testsuite>)")]
    UnexpectedRoot(String),
    /// Text outside of any element.
    #[error("text outside of any element ({0:?}): this is not XML")]
    TextOutsideRoot(String),
    /// Nothing but whitespace, comments or declarations.
    #[error("no JUnit XML document found: the input is empty")]
    Empty,
}

fn attr_problem(error: &quick_xml::events::attributes::AttrError) -> &'static str {
    use quick_xml::events::attributes::AttrError;
    match error {
        AttrError::ExpectedEq(_) => "expected `=` after the attribute name",
        AttrError::ExpectedValue(_) => "expected a value after `=`",
        AttrError::UnquotedValue(_) => "the value must be enclosed in `\"` or `'`",
        AttrError::ExpectedQuote(..) => "the value is missing its closing quote",
        AttrError::Duplicated(..) => "the attribute is given twice",
    }
}

fn declared_note(declared: Option<&str>) -> String {
    match declared {
        Some(encoding) => format!(
            " (the document declares encoding \"{encoding}\"; only UTF-8 is supported, \
             convert it first, e.g. with iconv)"
        ),
        None => String::new(),
    }
}

impl ParseError {
    pub(crate) fn new(input: &str, line: u64, column: u64, kind: ParseErrorKind) -> Self {
        Self {
            input: input.to_owned(),
            line,
            column,
            kind,
        }
    }

    /// The input's name: a file path or `<stdin>`.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The 1-based line.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The 1-based column, in bytes.
    pub fn column(&self) -> u64 {
        self.column
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}
