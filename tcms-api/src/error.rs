//! The one error type of the SDK.

use std::path::PathBuf;

/// Everything that can go wrong when configuring the client or talking to Kiwi TCMS.
///
/// Messages are lowercase fragments meant to be chained (`{:#}` with anyhow). No variant ever
/// carries the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or invalid (see [`ConfigError`]).
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// The request never got an HTTP answer: DNS, connection refused or reset, TLS.
    #[error("{method}: cannot reach {url}: {}", chain(source.as_ref()))]
    Transport {
        /// The JSON-RPC method (or `batch of N calls`).
        method: String,
        /// The endpoint.
        url: String,
        /// The underlying error (never contains credentials: we send none in the URL). Shared,
        /// so that one network failure of a batch can be reported for each of its calls.
        #[source]
        source: std::sync::Arc<reqwest::Error>,
    },

    /// An `https://` URL points at a port where the server speaks plain http.
    #[error(
        "{method}: cannot reach {url}: the server does not speak TLS on this port; if it serves \
         plain http there, use an http:// URL"
    )]
    NotTls {
        /// The JSON-RPC method.
        method: String,
        /// The endpoint.
        url: String,
    },

    /// No answer within the configured timeout.
    #[error("{method}: no answer from {url} within {seconds:.1} s")]
    Timeout {
        /// The JSON-RPC method (or `batch of N calls`).
        method: String,
        /// The endpoint.
        url: String,
        /// The timeout that expired, in seconds.
        seconds: f64,
    },

    /// An HTTP status that is not a JSON-RPC answer (502 from a proxy, 500 HTML page, ...).
    #[error("{method}: HTTP {status} from {url}: {body}")]
    Http {
        /// The JSON-RPC method (or `batch of N calls`).
        method: String,
        /// The endpoint.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The first bytes of the body, for the log.
        body: String,
    },

    /// The server redirected the POST. Kiwi 16 redirects plain http to https; following a
    /// POST redirect silently would turn it into a GET, so we stop and say so.
    #[error(
        "{method}: the server redirects {url} to {location} (HTTP {status}); \
         set that URL (usually the https:// one) as TCMS_API_URL or `url` in tcms.conf"
    )]
    Redirect {
        /// The JSON-RPC method.
        method: String,
        /// The endpoint we posted to.
        url: String,
        /// Where the server wants us to go.
        location: String,
        /// The 3xx status.
        status: u16,
    },

    /// Kiwi answered with a JSON-RPC error object.
    #[error(transparent)]
    Rpc(#[from] RpcError),

    /// Login failed, or the session was refused even after logging in again.
    #[error("authentication failed for user `{username}` at {url}: {message}")]
    Auth {
        /// The user name (never the password).
        username: String,
        /// The endpoint.
        url: String,
        /// What the server said.
        message: String,
    },

    /// The answer was not what the method promises.
    #[error("{method}: cannot decode the answer at `{path}`: {message}")]
    Decode {
        /// The JSON-RPC method.
        method: String,
        /// JSON path of the offending value (`.` for the whole result).
        path: String,
        /// What serde said.
        message: String,
    },
}

impl Error {
    /// The JSON-RPC error, if this is one.
    pub fn as_rpc(&self) -> Option<&RpcError> {
        match self {
            Error::Rpc(e) => Some(e),
            _ => None,
        }
    }

    /// True when the request may or may not have reached the server and been executed
    /// (a timeout or a connection reset after sending). Writes that are not idempotent must be
    /// reconciled by reading before being sent again.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport { source, .. } => !source.is_connect(),
            Error::Http { status, .. } => matches!(status, 502 | 504),
            _ => false,
        }
    }
}

/// A JSON-RPC error object returned by Kiwi TCMS, with the method that caused it.
///
/// Kiwi reports almost every application error as `-32603 Internal error: <text>`; validation
/// errors carry the Python repr of the field list, which [`RpcError::field_errors`] reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method}: {message} (JSON-RPC error {code})")]
pub struct RpcError {
    /// The method that was called.
    pub method: String,
    /// The JSON-RPC error code (`-32603` for most Kiwi errors).
    pub code: i64,
    /// The error message as the server sent it.
    pub message: String,
}

/// JSON-RPC error codes Kiwi TCMS uses.
pub mod codes {
    /// The body was not valid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a valid JSON-RPC request; Kiwi 16 also uses it for refused filter keys.
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Wrong number or kind of parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Every application error in Kiwi (validation, not found, permission on 12.x).
    pub const INTERNAL_ERROR: i64 = -32603;
    /// Authentication failed (Kiwi 16).
    pub const AUTH_FAILED: i64 = -32098;
}

impl RpcError {
    /// The session is missing, expired, or lacks the permission (12.x: `-32603 Authentication
    /// failed when calling ...`; 16.x: `-32098`).
    pub fn is_auth_failure(&self) -> bool {
        self.code == codes::AUTH_FAILED
            || (self.code == codes::INTERNAL_ERROR
                && self.message.contains("Authentication failed"))
    }

    /// The method does not exist on this server (older Kiwi).
    pub fn is_method_not_found(&self) -> bool {
        self.code == codes::METHOD_NOT_FOUND
    }

    /// A unique constraint refused a create: Django's form check (`... with this Name
    /// already exists.`) or, when two creates race past it, the database itself (SQLite
    /// `UNIQUE constraint failed`, PostgreSQL `duplicate key value violates unique
    /// constraint`, MySQL `Duplicate entry`).
    pub fn is_duplicate(&self) -> bool {
        [
            "already exists",
            "UNIQUE constraint failed",
            "duplicate key value",
            "Duplicate entry",
        ]
        .iter()
        .any(|m| self.message.contains(m))
    }

    /// The object named by an id argument does not exist (`TestRun matching query does not
    /// exist.`).
    pub fn is_not_found(&self) -> bool {
        self.message.contains("matching query does not exist")
    }

    /// Kiwi 16 refused a filter key that looks like a secret (`Unsupported field`).
    pub fn is_refused_field(&self) -> bool {
        self.code == codes::INVALID_REQUEST && self.message.contains("Unsupported field")
    }

    /// Field errors of a Django validation failure, read from Kiwi's
    /// `Internal error: [('name', ['This field is required.'])]`.
    ///
    /// Returns an empty list when the message is not a validation error.
    pub fn field_errors(&self) -> Vec<(String, Vec<String>)> {
        parse_field_errors(&self.message)
    }
}

/// Reads the Python repr `[('field', ['msg', ...]), ...]` that Kiwi puts in validation errors.
fn parse_field_errors(message: &str) -> Vec<(String, Vec<String>)> {
    let Some(start) = message.find("[(") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut strings = PyStrings::new(&message[start..]);
    // The structure is a flat alternation: field name, then its messages up to `])`.
    let mut current: Option<(String, Vec<String>)> = None;
    while let Some((text, closes_list)) = strings.next_string() {
        match current.as_mut() {
            None => current = Some((text, Vec::new())),
            Some((_, msgs)) => {
                msgs.push(text);
                if closes_list {
                    out.extend(current.take());
                }
            }
        }
    }
    out
}

/// Walks the single- or double-quoted Python string literals of a repr.
struct PyStrings<'a> {
    rest: &'a str,
}

impl<'a> PyStrings<'a> {
    fn new(s: &'a str) -> Self {
        Self { rest: s }
    }

    /// The next string literal, and whether a `]` follows it before the next literal.
    fn next_string(&mut self) -> Option<(String, bool)> {
        let open = self.rest.find(['\'', '"'])?;
        let quote = self.rest[open..].chars().next()?;
        let mut text = String::new();
        let mut chars = self.rest[open + 1..].char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        text.push(escaped);
                    }
                }
                c if c == quote => {
                    end = Some(open + 1 + i + c.len_utf8());
                    break;
                }
                c => text.push(c),
            }
        }
        let end = end?;
        self.rest = &self.rest[end..];
        let next_quote = self.rest.find(['\'', '"']).unwrap_or(self.rest.len());
        let closes_list = self.rest[..next_quote].contains(']');
        Some((text, closes_list))
    }
}

/// Why a configuration could not be resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required value is neither in a config file nor in the environment.
    #[error(
        "{variable} not configured: set the environment variable {variable}, or `{key}` in the \
         [tcms] section of {}",
        display_paths(tried)
    )]
    Missing {
        /// The environment variable (`TCMS_API_URL`, `TCMS_USERNAME`, `TCMS_PASSWORD`).
        variable: &'static str,
        /// The key in the `[tcms]` section.
        key: &'static str,
        /// The config files that were looked for, in order.
        tried: Vec<PathBuf>,
    },

    /// `use_kerberos = True`: the Python tcms-api supports Kerberos, we do not.
    #[error(
        "{}: `use_kerberos` is set, but Kerberos login is not supported by this client; \
         remove it and set `username` and `password` instead",
        file.display()
    )]
    KerberosNotSupported {
        /// The file that asks for Kerberos.
        file: PathBuf,
    },

    /// The file exists but could not be read or parsed.
    #[error("{}: {message}", file.display())]
    File {
        /// The config file.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// The URL is not an http(s) URL.
    #[error("invalid Kiwi TCMS URL `{url}` (from {origin}): {reason}")]
    InvalidUrl {
        /// The value as given.
        url: String,
        /// Where it came from (file path, env variable or "program").
        origin: String,
        /// Why it was refused.
        reason: String,
    },

    /// A value could not be understood (e.g. `tls_verify = maybe`).
    #[error("invalid value `{value}` for {name} (from {origin}): {reason}")]
    InvalidValue {
        /// The key or variable.
        name: String,
        /// The value (never a password).
        value: String,
        /// Where it came from.
        origin: String,
        /// What is expected.
        reason: String,
    },

    /// The extra CA bundle could not be loaded.
    #[error("cannot use CA bundle {}: {message}", path.display())]
    CaBundle {
        /// The PEM file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// An error and its causes, `a: b: c` (reqwest's own message is only "error sending request";
/// the cause says "connection refused").
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "a config file (none was looked for)".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(code: i64, message: &str) -> RpcError {
        RpcError {
            method: "Product.create".into(),
            code,
            message: message.into(),
        }
    }

    #[test]
    fn reads_django_field_errors() {
        let e = rpc(
            -32603,
            "Internal error: [('name', ['This field is required.']), ('classification', \
             ['This field is required.', \"It's bad.\"])]",
        );
        assert_eq!(
            e.field_errors(),
            vec![
                (
                    "name".to_owned(),
                    vec!["This field is required.".to_owned()]
                ),
                (
                    "classification".to_owned(),
                    vec!["This field is required.".to_owned(), "It's bad.".to_owned()]
                ),
            ]
        );
        assert!(
            rpc(-32603, "Internal error: 'product'")
                .field_errors()
                .is_empty()
        );
    }

    #[test]
    fn classifies_errors() {
        assert!(rpc(-32098, "Authentication failed when calling \"X\"").is_auth_failure());
        assert!(
            rpc(
                -32603,
                "Internal error: Authentication failed when calling \"Product.filter\""
            )
            .is_auth_failure()
        );
        assert!(!rpc(-32603, "Internal error: Wrong username or password").is_auth_failure());
        assert!(
            rpc(
                -32603,
                "Internal error: [('name', ['Product with this Name already exists.'])]"
            )
            .is_duplicate()
        );
        assert!(
            rpc(
                -32603,
                "Internal error: TestRun matching query does not exist."
            )
            .is_not_found()
        );
        assert!(rpc(-32600, "Invalid request: Unsupported field").is_refused_field());
        assert!(rpc(-32601, "Method not found: \"No.such\"").is_method_not_found());
    }

    #[test]
    fn missing_names_variable_and_files() {
        let e = ConfigError::Missing {
            variable: "TCMS_API_URL",
            key: "url",
            tried: vec!["/home/u/.tcms.conf".into(), "/etc/tcms.conf".into()],
        };
        let text = e.to_string();
        assert!(text.contains("TCMS_API_URL"), "{text}");
        assert!(
            text.contains("/home/u/.tcms.conf or /etc/tcms.conf"),
            "{text}"
        );
    }
}
