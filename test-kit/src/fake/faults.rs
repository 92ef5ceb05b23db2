//! What the fake answers instead of a result: JSON-RPC errors as Kiwi words them, and
//! transport faults.

use std::fmt;
use std::time::Duration;

use super::INTERNAL_ERROR;
use super::responder::Answer;

/// A JSON-RPC error object a handler answers with.
///
/// Kiwi reports nearly every application error as `-32603 "Internal error: <text>"`; the
/// constructors build the exact texts Kiwi sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcFault {
    /// The JSON-RPC error code.
    pub code: i64,
    /// The error message, sent as is (Kiwi does not escape error messages).
    pub message: String,
}

impl RpcFault {
    /// An error object with any code and message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `-32603 "Internal error: <text>"`, how Kiwi reports any exception.
    pub fn internal(text: impl fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, format!("Internal error: {text}"))
    }

    /// A Django validation failure: `-32603 "Internal error: [('name', ['This field is
    /// required.'])]"` (the Python repr of the field list, as Kiwi sends it).
    pub fn validation(fields: &[(&str, &[&str])]) -> Self {
        let items: Vec<String> = fields
            .iter()
            .map(|(field, messages)| {
                let messages: Vec<String> = messages.iter().map(|m| py_repr(m)).collect();
                format!("({}, [{}])", py_repr(field), messages.join(", "))
            })
            .collect();
        Self::internal(format!("[{}]", items.join(", ")))
    }

    /// A unique constraint: `[('<field>', ['<Model> with this <Label> already exists.'])]`.
    pub fn duplicate(model: &str, field: &str) -> Self {
        let mut label: Vec<char> = field.replace('_', " ").chars().collect();
        if let Some(first) = label.first_mut() {
            *first = first.to_ascii_uppercase();
        }
        let label: String = label.into_iter().collect();
        Self::validation(&[(
            field,
            &[&format!("{model} with this {label} already exists.")],
        )])
    }

    /// An object id that does not exist: `"Internal error: <Model> matching query does not
    /// exist."`.
    pub fn does_not_exist(model: &str) -> Self {
        Self::internal(format!("{model} matching query does not exist."))
    }

    /// `-32602 "Invalid parameters: <text>"` (wrong number of arguments).
    pub fn invalid_params(text: impl fmt::Display) -> Self {
        Self::new(-32602, format!("Invalid parameters: {text}"))
    }
}

impl From<(i64, String)> for RpcFault {
    fn from((code, message): (i64, String)) -> Self {
        Self { code, message }
    }
}

impl From<(i64, &str)> for RpcFault {
    fn from((code, message): (i64, &str)) -> Self {
        Self::new(code, message)
    }
}

/// The Python `repr` of a string (single quotes unless the text holds one and no double
/// quote).
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An HTTP answer injected in place of the normal JSON-RPC answer (see [`FakeKiwi::inject`](crate::fake::FakeKiwi::inject)).
///
/// By default a fault answers the next single request, whatever it calls, without running any
/// call in it.
#[derive(Debug, Clone)]
pub struct Fault {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) delay: Duration,
    pub(crate) times: Option<usize>,
    pub(crate) method: Option<String>,
    pub(crate) after_running: bool,
}

impl Fault {
    /// Answers with this HTTP status and the small HTML error page a proxy (nginx) sends.
    pub fn status(code: u16) -> Self {
        let title = format!("{code} {}", reason(code));
        Self {
            status: code,
            content_type: "text/html".into(),
            body: format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}\
                 </h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            )
            .into_bytes(),
            headers: Vec::new(),
            delay: Duration::ZERO,
            times: Some(1),
            method: None,
            after_running: false,
        }
    }

    /// Answers with a redirect to `location` (Kiwi 16 sends `301` to the https URL).
    pub fn redirect(code: u16, location: impl Into<String>) -> Self {
        Self::status(code).header("Location", location)
    }

    /// Replaces the body (e.g. a truncated JSON document, to test decoding errors).
    pub fn body(mut self, content_type: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = content_type.into();
        self.body = body.into();
        self
    }

    /// Adds a header (e.g. `Retry-After`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Holds the answer back this long.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answers this many matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Answers every matching request from now on.
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Only requests that call `method` (alone or inside a batch) match.
    pub fn for_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Runs the calls of the request first (handlers run, calls are recorded, sessions are
    /// issued) and only then answers with the fault: the request was executed but the client
    /// cannot know (a proxy's 502/504 after the backend committed).
    pub fn after_running(mut self) -> Self {
        self.after_running = true;
        self
    }

    pub(crate) fn matches(&self, methods: &[String]) -> bool {
        self.times != Some(0)
            && self
                .method
                .as_ref()
                .is_none_or(|m| methods.iter().any(|x| x == m))
    }

    pub(crate) fn answer(&self) -> Answer {
        Answer {
            status: self.status,
            content_type: self.content_type.clone(),
            body: self.body.clone(),
            headers: self.headers.clone(),
        }
    }
}

pub(crate) fn reason(code: u16) -> &'static str {
    match code {
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => "Error",
    }
}
