//! A fake Kiwi TCMS JSON-RPC server for tests, built on [`wiremock`].
//!
//! Compiled only with the cargo feature `test-support`. The SDK's integration tests and the
//! executable specification (`spec/`) use it instead of a real server; everything it does was
//! measured on real Kiwi TCMS 12.4 and 16.2 servers (see `kiwi-api-notes.md` and
//! `kiwi16-differences.md` in the project research notes).
//!
//! # What it emulates
//!
//! [`FakeKiwi`] mounts **one** responder on `POST /json-rpc/`. It decodes the body (a single
//! request object or a batch array), dispatches every element by method name, and answers with
//! JSON-RPC 2.0 objects that echo each `id` (a batch gets an array, in request order). On top
//! of the handlers that a test registers with [`FakeKiwi::on`], it behaves like Kiwi does:
//!
//! * **Login and sessions.** `Auth.login(username, password)` is built in: it checks the
//!   credentials given to [`FakeKiwiBuilder`], answers the new session key, and sets
//!   `Set-Cookie: sessionid=<key>; …` (with `Secure` when emulating 16.x). Every other call
//!   must carry `Cookie: sessionid=<valid key>`, or come after a successful `Auth.login` in the
//!   same batch. [`FakeKiwi::expire_sessions`] invalidates every key (to test logging in
//!   again); [`FakeKiwi::deny`] refuses one method to everybody (a user without the
//!   permission, which Kiwi reports exactly like a missing session).
//! * **Authentication failures by version.** 12.x: a single request gets **HTTP 403** with
//!   `-32603 "Internal error: Authentication failed when calling \"X\""`; inside a batch the same
//!   error is an ordinary element and the status is 200. 16.x: **HTTP 200** with
//!   `-32098 "Authentication failed when calling \"X\""`.
//! * **HTML escaping of results.** Strings in handler results are escaped as Python's
//!   `html.escape` does (`& < > " '`). Before 16.2 only shallowly (the result if it is a
//!   string, the string values of a top-level object, the strings and object string values
//!   inside a top-level array); from 16.2 every string at any depth. Error messages are not
//!   escaped. Handlers return the raw stored data, so a test that compares what the client
//!   returns with what the handler returned proves the client unescapes correctly.
//! * **Kiwi 16 refused filter keys.** From 16.0, a positional object argument with a top-level
//!   key containing `password`, `token`, `secret`, `activation_key`, `api_key` or `apikey`
//!   (case-insensitive) is refused with `-32600 "Invalid request: Unsupported field"`, for
//!   every method except `*.create` and `*.update`.
//! * **Unknown methods.** A method without a handler is answered `-32601 Method not found:
//!   "X"` and recorded as *unexpected*: [`FakeKiwi::assert_no_unexpected`], and the fake's
//!   `Drop`, fail the test and name it. Declare methods the emulated server lacks with
//!   [`FakeKiwi::not_found`].
//! * **Protocol details.** Malformed JSON → `-32700`; a missing `"jsonrpc"` → `-32600`; a
//!   request without `id` is a notification (HTTP 204 when nothing is left to answer); an empty
//!   batch → 204; a wrong `Content-Type` → 12.x: HTTP 200 `text/html` page, 16.x: HTTP 400;
//!   `POST /json-rpc` (no trailing slash) → 301 to `/json-rpc/`; `GET` → 405.
//!
//! # Transport faults
//!
//! [`FakeKiwi::inject`] answers the next matching requests with a [`Fault`] instead: an HTTP
//! status such as 502 or 503 (optionally only for requests that call a given method, optionally
//! *after* the calls ran, as when a proxy times out on a request the backend completed), a
//! redirect, a malformed body, or a delay. [`FakeKiwi::set_delay`] and
//! [`FakeKiwi::delay_method`] slow answers down (timeouts, concurrency);
//! [`FakeKiwi::max_concurrency`] reports how many requests were in flight at once.
//!
//! # Records
//!
//! [`FakeKiwi::calls`] lists every call that reached the dispatcher (method and params, in
//! arrival order, `Auth.login` included); [`FakeKiwi::http_requests`] lists every HTTP request
//! with its headers, body and the status it got, faults included.
//!
//! # Example
//!
//! ```no_run
//! use serde_json::json;
//! use tcms_test_kit::fake::{FakeKiwi, RpcFault};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeKiwi::builder().version("16.2").start().await;
//! fake.on_value("Product.filter", json!([{"id": 1, "name": "A <b>"}]));
//! fake.on("Product.create", |params| match params[0]["name"].as_str() {
//!     Some(name) if !name.is_empty() => Ok(json!({"id": 2, "name": name})),
//!     _ => Err(RpcFault::validation(&[("name", &["This field is required."])])),
//! });
//!
//! let client = fake.client()?;
//! let products: serde_json::Value = client.call("Product.filter", json!([{}])).await?;
//! assert_eq!(products[0]["name"], "A <b>"); // escaped on the wire, unescaped by the client
//! assert_eq!(fake.logins(), 1);
//! fake.assert_no_unexpected();
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use tcms_api::{Client, ClientBuilder, Config, ConfigError, Error, ServerVersion};

/// The user name the fake accepts unless [`FakeKiwiBuilder::username`] says otherwise.
pub const DEFAULT_USERNAME: &str = "fake-tester";
/// The password the fake accepts unless [`FakeKiwiBuilder::password`] says otherwise.
pub const DEFAULT_PASSWORD: &str = "fake-password";
/// The version `KiwiTCMS.version` answers unless [`FakeKiwiBuilder::version`] says otherwise.
pub const DEFAULT_VERSION: &str = "12.4";

/// The JSON-RPC code of Kiwi's application errors.
const INTERNAL_ERROR: i64 = -32603;
/// The JSON-RPC code of Kiwi 16's authentication errors.
const AUTH_FAILED: i64 = -32098;

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
fn py_repr(s: &str) -> String {
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

/// What a handler returns: the raw result (the fake escapes it) or an error object.
pub type HandlerResult = Result<Value, RpcFault>;

type Handler = Arc<Mutex<Box<dyn FnMut(&Value) -> HandlerResult + Send>>>;

/// One JSON-RPC call that reached the fake's dispatcher.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// The method name.
    pub method: String,
    /// The `params` member as sent (`null` when absent).
    pub params: Value,
}

/// One HTTP request the fake received, and the status it answered.
#[derive(Debug, Clone)]
pub struct HttpExchange {
    /// The request as wiremock decoded it (URL, method, headers, body).
    pub request: Request,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The headers of the answer the fake added (`Set-Cookie`, `Location`, ...), not those
    /// wiremock adds.
    pub response_headers: Vec<(String, String)>,
    /// When the request arrived.
    pub at: Instant,
    /// How long the answer was held back (the configured delay).
    pub delay: Duration,
}

impl HttpExchange {
    /// The body as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.request.body).ok()
    }

    /// The first value of a header, if it is present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first value of an answer header the fake added (case-insensitive name).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The session key of the `Cookie: sessionid=…` header, if any (valid or not).
    pub fn session(&self) -> Option<String> {
        session_cookie(&self.request)
    }

    /// The methods called by this request, in order (several for a batch).
    pub fn methods(&self) -> Vec<String> {
        self.body_json()
            .as_ref()
            .map(methods_of)
            .unwrap_or_default()
    }

    /// True when the body is a JSON array (a batch).
    pub fn is_batch(&self) -> bool {
        self.body_json().is_some_and(|v| v.is_array())
    }
}

/// An HTTP answer injected in place of the normal JSON-RPC answer (see [`FakeKiwi::inject`]).
///
/// By default a fault answers the next single request, whatever it calls, without running any
/// call in it.
#[derive(Debug, Clone)]
pub struct Fault {
    status: u16,
    content_type: String,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    delay: Duration,
    times: Option<usize>,
    method: Option<String>,
    after_running: bool,
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

    fn matches(&self, methods: &[String]) -> bool {
        self.times != Some(0)
            && self
                .method
                .as_ref()
                .is_none_or(|m| methods.iter().any(|x| x == m))
    }

    fn answer(&self) -> Answer {
        Answer {
            status: self.status,
            content_type: self.content_type.clone(),
            body: self.body.clone(),
            headers: self.headers.clone(),
        }
    }
}

fn reason(code: u16) -> &'static str {
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

/// Configures and starts a [`FakeKiwi`].
#[derive(Debug, Clone)]
pub struct FakeKiwiBuilder {
    version: String,
    username: String,
    password: String,
}

impl Default for FakeKiwiBuilder {
    fn default() -> Self {
        Self {
            version: DEFAULT_VERSION.into(),
            username: DEFAULT_USERNAME.into(),
            password: DEFAULT_PASSWORD.into(),
        }
    }
}

impl FakeKiwiBuilder {
    /// The Kiwi TCMS version to emulate and to answer from `KiwiTCMS.version` (default
    /// `12.4`). From `16.0`: authentication errors are `-32098` at HTTP 200, the session
    /// cookie is `Secure`, secret-looking filter keys are refused, protocol error texts are
    /// 16.2's. From `16.2`: results are escaped deeply.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// The user name `Auth.login` accepts (default [`DEFAULT_USERNAME`]).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }

    /// The password `Auth.login` accepts (default [`DEFAULT_PASSWORD`]).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Starts the server (a fresh wiremock server on a free port of 127.0.0.1).
    pub async fn start(self) -> FakeKiwi {
        let parsed = ServerVersion::parse(&self.version);
        let shared = Arc::new(Shared {
            kiwi16: parsed.at_least(16, 0),
            deep_escaping: parsed.at_least(16, 2),
            version: self.version,
            state: Mutex::new(State {
                username: self.username,
                password: self.password,
                ..State::default()
            }),
        });
        let server = MockServer::builder().start().await;
        let endpoint = format!("{}/json-rpc/", server.uri());
        Mock::given(method("POST"))
            .and(path("/json-rpc/"))
            .respond_with(Responder {
                shared: Arc::clone(&shared),
            })
            .named("fake Kiwi TCMS JSON-RPC endpoint")
            // Below the default priority (5): a test may mount its own mocks in front.
            .with_priority(10)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/json-rpc"))
            .respond_with(ResponseTemplate::new(301).insert_header("Location", endpoint.as_str()))
            .named("fake Kiwi TCMS: /json-rpc without the slash")
            .with_priority(10)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/json-rpc/"))
            .respond_with(ResponseTemplate::new(405))
            .named("fake Kiwi TCMS: GET on the endpoint")
            .with_priority(10)
            .mount(&server)
            .await;
        FakeKiwi { server, shared }
    }
}

/// A fake Kiwi TCMS server; see the [module documentation](self).
///
/// Dropping it stops the server and panics (unless the thread is already panicking) if a
/// method without a handler was called; see [`FakeKiwi::assert_no_unexpected`].
pub struct FakeKiwi {
    server: MockServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for FakeKiwi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeKiwi")
            .field("uri", &self.server.uri())
            .field("version", &self.shared.version)
            .finish_non_exhaustive()
    }
}

impl FakeKiwi {
    /// Starts a fake Kiwi TCMS 12.4 accepting [`DEFAULT_USERNAME`] / [`DEFAULT_PASSWORD`].
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// A builder, to choose the version and the credentials.
    pub fn builder() -> FakeKiwiBuilder {
        FakeKiwiBuilder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The JSON-RPC endpoint, `<uri>/json-rpc/`.
    pub fn endpoint(&self) -> String {
        format!("{}/json-rpc/", self.server.uri())
    }

    /// The underlying wiremock server, to mount extra mocks (they take precedence over the
    /// fake's responder when their priority is 1 to 9) or read wiremock's own records.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The emulated version.
    pub fn version(&self) -> &str {
        &self.shared.version
    }

    /// True when 16.x behaviour is emulated.
    pub fn is_kiwi16(&self) -> bool {
        self.shared.kiwi16
    }

    /// The user name `Auth.login` accepts.
    pub fn username(&self) -> String {
        self.lock().username.clone()
    }

    /// The password `Auth.login` accepts.
    pub fn password(&self) -> String {
        self.lock().password.clone()
    }

    /// A configuration pointing at the fake with its credentials, ignoring config files and
    /// the environment.
    pub fn config(&self) -> Result<Config, ConfigError> {
        let (username, password) = {
            let st = self.lock();
            (st.username.clone(), st.password.clone())
        };
        Config::builder()
            .url(self.uri())
            .username(username)
            .password(password)
            .config_files(Vec::new())
            .env(Vec::<(String, String)>::new())
            .load()
    }

    /// A client builder for [`FakeKiwi::config`] with a 1-5 ms backoff, so retries are fast.
    pub fn client_builder(&self) -> Result<ClientBuilder, Error> {
        Ok(Client::builder()
            .config(self.config()?)
            .backoff(Duration::from_millis(1), Duration::from_millis(5)))
    }

    /// A client built by [`FakeKiwi::client_builder`].
    pub fn client(&self) -> Result<Client, Error> {
        self.client_builder()?.build()
    }

    /// Answers `method` with `handler(params)`; `params` is the request's `params` member
    /// (`null` when absent). Replaces an earlier handler for the method, and may replace the
    /// built-in `KiwiTCMS.version` (replacing `Auth.login` turns off session issuing).
    ///
    /// The handler runs only for authenticated calls; it may keep state (it is `FnMut`; the
    /// fake runs one request at a time). Strings in its result are HTML-escaped the way the
    /// emulated version does.
    pub fn on<F>(&self, method: &str, handler: F)
    where
        F: FnMut(&Value) -> HandlerResult + Send + 'static,
    {
        let mut st = self.lock();
        st.missing.remove(method);
        st.handlers
            .insert(method.to_owned(), Arc::new(Mutex::new(Box::new(handler))));
    }

    /// Answers `method` with the same result every time.
    pub fn on_value(&self, method: &str, result: Value) {
        self.on(method, move |_| Ok(result.clone()));
    }

    /// Answers `method` with the same error every time.
    pub fn on_fault(&self, method: &str, fault: RpcFault) {
        self.on(method, move |_| Err(fault.clone()));
    }

    /// Declares that the emulated server lacks `method` (an older Kiwi): it is answered
    /// `-32601 Method not found` without counting as unexpected. Removes its handler.
    pub fn not_found(&self, method: &str) {
        let mut st = self.lock();
        st.handlers.remove(method);
        st.missing.insert(method.to_owned());
    }

    /// Refuses `method` to everybody with the version's authentication error, as Kiwi does
    /// for a user without the permission (logging in again does not help).
    pub fn deny(&self, method: &str) {
        self.lock().denied.insert(method.to_owned());
    }

    /// Undoes [`FakeKiwi::deny`].
    pub fn allow(&self, method: &str) {
        self.lock().denied.remove(method);
    }

    /// Changes the password `Auth.login` accepts from now on (existing sessions stay valid).
    pub fn set_password(&self, password: impl Into<String>) {
        self.lock().password = password.into();
    }

    /// Invalidates every session key issued so far: the next call of each client is refused
    /// and must log in again.
    pub fn expire_sessions(&self) {
        self.lock().sessions.clear();
    }

    /// How many successful `Auth.login` calls there were.
    pub fn logins(&self) -> usize {
        self.lock().issued.len()
    }

    /// The session keys issued, in order.
    pub fn session_keys(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    /// Holds every normal answer back by `delay` (faults have their own delay).
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// Holds back the answer of every request that calls `method` by `delay` (the larger of
    /// this and [`FakeKiwi::set_delay`] applies).
    pub fn delay_method(&self, method: &str, delay: Duration) {
        self.lock().method_delays.insert(method.to_owned(), delay);
    }

    /// Answers the next matching requests with `fault` instead of the normal answer. Faults
    /// are tried in the order they were injected; a used-up fault is skipped.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Answers the next `n` requests, whatever they call, with HTTP `status` (not running
    /// them). Shorthand for `inject(Fault::status(status).times(n))`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.inject(Fault::status(status).times(n));
    }

    /// Answers every request from now on with `301` to the same URL over https, as a stock
    /// Kiwi 16 does for plain http (`SECURE_SSL_REDIRECT`).
    pub fn redirect_to_https(&self) {
        let location = self.endpoint().replacen("http://", "https://", 1);
        self.inject(Fault::redirect(301, location).always());
    }

    /// Removes every injected fault that is still pending.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Every call that reached the dispatcher, in arrival order (batch elements in order),
    /// `Auth.login` and refused calls included, calls answered by a fault not included.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.clone()
    }

    /// The params of every call of `method`, in arrival order.
    pub fn calls_to(&self, method: &str) -> Vec<Value> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .map(|c| c.params.clone())
            .collect()
    }

    /// How many calls of `method` reached the dispatcher.
    pub fn count(&self, method: &str) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .count()
    }

    /// Every HTTP request received on `POST /json-rpc/`, in arrival order, faults included.
    pub fn http_requests(&self) -> Vec<HttpExchange> {
        self.lock().exchanges.clone()
    }

    /// How many HTTP requests `POST /json-rpc/` received.
    pub fn http_request_count(&self) -> usize {
        self.lock().exchanges.len()
    }

    /// Forgets the recorded calls and HTTP requests (not the handlers, sessions or faults),
    /// e.g. after the setup of a test.
    pub fn clear_log(&self) {
        let mut st = self.lock();
        st.calls.clear();
        st.exchanges.clear();
    }

    /// The largest number of requests that were provably in flight at the same time.
    ///
    /// Computed from arrival times and answer delays: a request whose answer is held back by
    /// `d` occupies the client from its arrival `t` until at least `t + d`; the result is the
    /// largest number of such intervals that contain one arrival. It never overstates what the
    /// client did; it understates it when delays are zero, so set a delay (e.g. 100 ms) when
    /// measuring.
    pub fn max_concurrency(&self) -> usize {
        let st = self.lock();
        let ex = &st.exchanges;
        (0..ex.len())
            .map(|j| {
                1 + ex[..j]
                    .iter()
                    .filter(|i| i.at <= ex[j].at && ex[j].at < i.at + i.delay)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// The methods called without a handler (and not declared with
    /// [`FakeKiwi::not_found`]), in order.
    pub fn unexpected(&self) -> Vec<String> {
        self.lock().unexpected.clone()
    }

    /// Returns and forgets the unexpected methods (so the `Drop` check passes).
    pub fn take_unexpected(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().unexpected)
    }

    /// `Err` naming the unexpected methods, if any were called.
    pub fn verify(&self) -> Result<(), String> {
        let unexpected = self.unexpected();
        if unexpected.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the fake Kiwi TCMS got calls of methods without a handler: {}",
                unexpected.join(", ")
            ))
        }
    }

    /// Panics naming the unexpected methods, if any were called (a test assertion).
    #[track_caller]
    pub fn assert_no_unexpected(&self) {
        if let Err(message) = self.verify() {
            panic!("{message}");
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }
}

impl Drop for FakeKiwi {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(message) = self.verify() {
            panic!("{message}");
        }
    }
}

struct Shared {
    version: String,
    kiwi16: bool,
    deep_escaping: bool,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct State {
    username: String,
    password: String,
    handlers: HashMap<String, Handler>,
    missing: HashSet<String>,
    denied: HashSet<String>,
    sessions: HashSet<String>,
    issued: Vec<String>,
    calls: Vec<RecordedCall>,
    unexpected: Vec<String>,
    exchanges: Vec<HttpExchange>,
    faults: Vec<Fault>,
    delay: Duration,
    method_delays: HashMap<String, Duration>,
}

impl State {
    /// Uses up one matching fault, if any.
    fn take_fault(&mut self, methods: &[String]) -> Option<Fault> {
        let fault = self.faults.iter_mut().find(|f| f.matches(methods))?;
        if let Some(n) = fault.times.as_mut() {
            *n -= 1;
        }
        Some(fault.clone())
    }

    fn delay_for(&self, methods: &[String]) -> Duration {
        methods
            .iter()
            .filter_map(|m| self.method_delays.get(m))
            .copied()
            .fold(self.delay, Duration::max)
    }
}

/// An HTTP answer before it becomes a wiremock template.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            content_type: "application/json".into(),
            body: body.to_string().into_bytes(),
            headers: Vec::new(),
        }
    }

    fn text(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            content_type: content_type.into(),
            body: body.as_bytes().to_vec(),
            headers: Vec::new(),
        }
    }

    fn empty(status: u16) -> Self {
        Self::text(status, "text/html; charset=utf-8", "")
    }

    fn into_template(self, delay: Duration) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status);
        if !self.body.is_empty() {
            template = template.set_body_raw(self.body, &self.content_type);
        }
        for (name, value) in self.headers {
            template = template.append_header(name.as_str(), value.as_str());
        }
        if !delay.is_zero() {
            template = template.set_delay(delay);
        }
        template
    }
}

/// What one HTTP request carries across its batch elements.
struct Exchange {
    /// A valid session: from the cookie, or from an `Auth.login` earlier in the batch.
    authenticated: bool,
    /// The key to send in `Set-Cookie`, after a successful login.
    new_session: Option<String>,
}

/// The wiremock responder behind `POST /json-rpc/`.
struct Responder {
    shared: Arc<Shared>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let at = Instant::now();
        let methods = serde_json::from_slice::<Value>(&request.body)
            .map(|v| methods_of(&v))
            .unwrap_or_default();
        let (fault, normal_delay) = {
            let mut st = self.shared.lock();
            (st.take_fault(&methods), st.delay_for(&methods))
        };
        let (answer, delay) = match fault {
            Some(fault) => {
                if fault.after_running {
                    let _ = self.answer(request);
                }
                (fault.answer(), fault.delay)
            }
            None => (self.answer(request), normal_delay),
        };
        self.shared.lock().exchanges.push(HttpExchange {
            request: request.clone(),
            status: answer.status,
            response_headers: answer.headers.clone(),
            at,
            delay,
        });
        answer.into_template(delay)
    }
}

impl Responder {
    fn answer(&self, request: &Request) -> Answer {
        let kiwi16 = self.shared.kiwi16;
        let content_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !matches!(
            mime.as_str(),
            "application/json" | "application/json-rpc" | "application/jsonrequest"
        ) {
            return if kiwi16 {
                Answer::text(
                    400,
                    "text/plain",
                    &format!("Unable to handle your request, unsupported Content-Type {mime}."),
                )
            } else {
                Answer::text(
                    200,
                    "text/html; charset=utf-8",
                    "Unable to handle your request. Please ensure you called the right entry \
                     point. If not, this could be a server error.",
                )
            };
        }
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => {
                let message = if kiwi16 {
                    "Parse error, unable to read the request: Expecting value".to_owned()
                } else {
                    format!("Parse error, unable to read the request: {e}")
                };
                return Answer::json(200, &error_object(Value::Null, -32700, &message));
            }
        };
        let authenticated =
            session_cookie(request).is_some_and(|key| self.shared.lock().sessions.contains(&key));
        let mut exchange = Exchange {
            authenticated,
            new_session: None,
        };
        let mut answer = match body {
            Value::Array(items) if items.is_empty() => Answer::empty(204),
            Value::Array(items) => {
                let mut out = Vec::new();
                let mut broken = false;
                for item in &items {
                    if !item.is_object() {
                        if kiwi16 {
                            broken = true;
                            break;
                        }
                        out.push(error_object(
                            Value::Null,
                            -32600,
                            "Invalid request: the request is not a JSON object",
                        ));
                        continue;
                    }
                    if let Some((element, _)) = self.element(item, &mut exchange, true) {
                        out.push(element);
                    }
                }
                if broken {
                    Answer::text(
                        500,
                        "text/html",
                        "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error \
                         (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n\
                         </body>\n</html>\n",
                    )
                } else if out.is_empty() {
                    Answer::empty(204)
                } else {
                    Answer::json(200, &Value::Array(out))
                }
            }
            Value::Object(_) => match self.element(&body, &mut exchange, false) {
                None => Answer::empty(204),
                Some((element, refused)) => {
                    let status = if refused && !kiwi16 { 403 } else { 200 };
                    Answer::json(status, &element)
                }
            },
            _ => Answer::json(
                200,
                &error_object(
                    Value::Null,
                    -32600,
                    "Invalid request: the request is not a JSON object",
                ),
            ),
        };
        if let Some(key) = exchange.new_session {
            answer
                .headers
                .push(("Set-Cookie".into(), self.cookie(&key)));
        }
        answer
    }

    /// The `Set-Cookie` value Kiwi sends after a login.
    fn cookie(&self, key: &str) -> String {
        let expires = (chrono::Utc::now() + chrono::Duration::days(1))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let secure = if self.shared.kiwi16 { "; Secure" } else { "" };
        format!(
            "sessionid={key}; expires={expires}; HttpOnly; Max-Age=86400; Path=/; \
             SameSite=Lax{secure}"
        )
    }

    /// Answers one request object: `None` for a notification that gets no answer, otherwise
    /// the response object and whether it is an authentication refusal.
    fn element(
        &self,
        request: &Value,
        exchange: &mut Exchange,
        in_batch: bool,
    ) -> Option<(Value, bool)> {
        let kiwi16 = self.shared.kiwi16;
        let id = request.get("id");
        // Kiwi 12.4 (modernrpc 0.12) treats a falsy id inside a batch like a notification.
        let notification = match id {
            None => true,
            Some(id) => !kiwi16 && in_batch && id.as_u64() == Some(0),
        };
        let outcome = self.run(request, exchange);
        let id = id.cloned().unwrap_or(Value::Null);
        match outcome {
            Ok(_) if notification => None,
            Ok(result) => Some((json!({"jsonrpc": "2.0", "result": result, "id": id}), false)),
            // 16.x drops failed notifications; 12.4 answers them with `"id": null`.
            Err(_) if notification && kiwi16 => None,
            Err(fault) => {
                let refused = is_auth_refusal(&fault);
                let id = if notification { Value::Null } else { id };
                Some((error_object(id, fault.code, &fault.message), refused))
            }
        }
    }

    /// Runs one call: checks, dispatch, escaping.
    fn run(&self, request: &Value, exchange: &mut Exchange) -> HandlerResult {
        let kiwi16 = self.shared.kiwi16;
        match request.get("jsonrpc") {
            None => {
                return Err(RpcFault::new(
                    -32600,
                    if kiwi16 {
                        "Invalid request: jsonrpc required"
                    } else {
                        "Invalid request: Missing parameter \"jsonrpc\""
                    },
                ));
            }
            Some(v) if v != "2.0" => {
                return Err(RpcFault::new(
                    -32600,
                    format!(
                        "Invalid request: The \"jsonrpc\" parameter has an unsupported value \
                         {v}. It must be set to \"2.0\""
                    ),
                ));
            }
            Some(_) => {}
        }
        let Some(method) = request.get("method").and_then(Value::as_str) else {
            return Err(RpcFault::new(
                -32600,
                "Invalid request: Missing parameter \"method\"",
            ));
        };
        let params = request.get("params").cloned().unwrap_or(Value::Null);
        let (handler, denied) = {
            let mut st = self.shared.lock();
            st.calls.push(RecordedCall {
                method: method.to_owned(),
                params: params.clone(),
            });
            let handler = st.handlers.get(method).cloned();
            let builtin = matches!(method, "Auth.login" | "KiwiTCMS.version");
            if handler.is_none() && !builtin {
                if !st.missing.contains(method) {
                    st.unexpected.push(method.to_owned());
                }
                return Err(RpcFault::new(
                    -32601,
                    format!("Method not found: \"{method}\""),
                ));
            }
            (handler, st.denied.contains(method))
        };
        // Auth.login is the one method that needs no session.
        let login = method == "Auth.login";
        if !login && (!exchange.authenticated || denied) {
            return Err(if kiwi16 {
                RpcFault::new(
                    AUTH_FAILED,
                    format!("Authentication failed when calling \"{method}\""),
                )
            } else {
                RpcFault::internal(format!("Authentication failed when calling \"{method}\""))
            });
        }
        if kiwi16 && refuses_filter_keys(method, &params) {
            return Err(RpcFault::new(-32600, "Invalid request: Unsupported field"));
        }
        let mut result = match handler {
            Some(handler) => {
                let mut handler = handler.lock().unwrap_or_else(PoisonError::into_inner);
                (*handler)(&params)?
            }
            None if login => Value::String(self.login(&params, exchange)?),
            None => Value::String(self.shared.version.clone()),
        };
        escape_result(&mut result, self.shared.deep_escaping);
        Ok(result)
    }

    /// The built-in `Auth.login(username, password)`.
    fn login(&self, params: &Value, exchange: &mut Exchange) -> Result<String, RpcFault> {
        let arg = |index: usize, name: &str| {
            params
                .get(index)
                .or_else(|| params.get(name))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let (username, password) = (arg(0, "username"), arg(1, "password"));
        if username.is_empty() || password.is_empty() {
            return Err(RpcFault::internal("Username and password is required"));
        }
        let mut st = self.shared.lock();
        if username != st.username || password != st.password {
            return Err(RpcFault::internal("Wrong username or password"));
        }
        let key = new_session_key(st.issued.len());
        st.sessions.insert(key.clone());
        st.issued.push(key.clone());
        exchange.authenticated = true;
        exchange.new_session = Some(key.clone());
        Ok(key)
    }
}

/// A Django-like session key: 32 characters of `[a-z0-9]`, unique per fake.
fn new_session_key(serial: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = format!("{serial:06}");
    while key.len() < 32 {
        key.push(char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]));
    }
    key
}

fn is_auth_refusal(fault: &RpcFault) -> bool {
    fault.code == AUTH_FAILED
        || (fault.code == INTERNAL_ERROR
            && fault
                .message
                .starts_with("Internal error: Authentication failed"))
}

fn error_object(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

/// Kiwi 16 refuses secret-looking top-level keys of positional object arguments, except in
/// `*.create` and `*.update`.
fn refuses_filter_keys(method: &str, params: &Value) -> bool {
    const WORDS: [&str; 6] = [
        "password",
        "token",
        "secret",
        "activation_key",
        "api_key",
        "apikey",
    ];
    if method.ends_with(".create") || method.ends_with(".update") {
        return false;
    }
    let Value::Array(args) = params else {
        return false;
    };
    args.iter().filter_map(Value::as_object).any(|arg| {
        arg.keys().any(|key| {
            let key = key.to_ascii_lowercase();
            WORDS.iter().any(|w| key.contains(w))
        })
    })
}

/// The session key of a request's `Cookie` headers.
fn session_cookie(request: &Request) -> Option<String> {
    request
        .headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == "sessionid").then(|| value.to_owned())
        })
}

/// The `method` members of a request object or batch, in order.
fn methods_of(body: &Value) -> Vec<String> {
    let one = |v: &Value| v.get("method").and_then(Value::as_str).map(str::to_owned);
    match body {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// Python's `html.escape(s, quote=True)`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a result as Kiwi's JSON-RPC handler does: deeply (16.2+) or shallowly (before).
fn escape_result(value: &mut Value, deep: bool) {
    fn string(value: &mut Value) {
        if let Value::String(s) = value {
            *s = escape_html(s);
        }
    }
    fn object(map: &mut Map<String, Value>) {
        map.values_mut().for_each(string);
    }
    fn all(value: &mut Value) {
        match value {
            Value::String(_) => string(value),
            Value::Array(items) => items.iter_mut().for_each(all),
            Value::Object(map) => map.values_mut().for_each(all),
            _ => {}
        }
    }
    if deep {
        return all(value);
    }
    match value {
        Value::String(_) => string(value),
        Value::Object(map) => object(map),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(_) => string(item),
                    Value::Object(map) => object(map),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_python() {
        assert_eq!(escape_html("a<b>&'\"c"), "a&lt;b&gt;&amp;&#x27;&quot;c");
    }

    #[test]
    fn shallow_and_deep_escaping() {
        let raw = json!([{"s": "<", "n": [{"x": "&"}]}, "'", ["<"]]);
        let mut shallow = raw.clone();
        escape_result(&mut shallow, false);
        assert_eq!(
            shallow,
            json!([{"s": "&lt;", "n": [{"x": "&"}]}, "&#x27;", ["<"]])
        );
        let mut deep = raw;
        escape_result(&mut deep, true);
        assert_eq!(
            deep,
            json!([{"s": "&lt;", "n": [{"x": "&amp;"}]}, "&#x27;", ["&lt;"]])
        );
    }

    #[test]
    fn validation_messages_are_python_reprs() {
        let fault = RpcFault::validation(&[
            ("name", &["This field is required."]),
            ("x", &["It's bad.", "a\\b"]),
        ]);
        assert_eq!(fault.code, -32603);
        assert_eq!(
            fault.message,
            "Internal error: [('name', ['This field is required.']), ('x', [\"It's bad.\", \
             'a\\\\b'])]"
        );
        assert_eq!(
            RpcFault::duplicate("Product", "name").message,
            "Internal error: [('name', ['Product with this Name already exists.'])]"
        );
    }

    #[test]
    fn refused_keys_only_outside_create_and_update() {
        let p = json!([{"Password__startswith": "x"}]);
        assert!(refuses_filter_keys("User.filter", &p));
        assert!(!refuses_filter_keys("User.update", &p));
        assert!(!refuses_filter_keys("Bug.create", &p));
        assert!(!refuses_filter_keys(
            "User.filter",
            &json!({"query": {"password": 1}})
        ));
        assert!(refuses_filter_keys("X.filter", &json!([1, {"api_key": 1}])));
    }

    /// Posts a raw body with an optional session cookie: (status, headers, body).
    async fn post(
        fake: &FakeKiwi,
        body: &str,
        session: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let mut request = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
            .post(fake.endpoint())
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        if let Some(key) = session {
            request = request.header("Cookie", format!("sessionid={key}"));
        }
        let response = request.send().await.expect("the fake answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.expect("a body"))
    }

    fn login_body() -> String {
        json!({"jsonrpc": "2.0", "method": "Auth.login",
               "params": [DEFAULT_USERNAME, DEFAULT_PASSWORD], "id": 1})
        .to_string()
    }

    async fn login(fake: &FakeKiwi) -> String {
        let (status, headers, body) = post(fake, &login_body(), None).await;
        assert_eq!(status, 200);
        let key = serde_json::from_str::<Value>(&body).expect("json")["result"]
            .as_str()
            .expect("a key")
            .to_owned();
        let cookie = headers["set-cookie"].to_str().expect("text");
        assert!(
            cookie.starts_with(&format!("sessionid={key}; expires=")),
            "{cookie}"
        );
        assert_eq!(cookie.ends_with("; Secure"), fake.is_kiwi16(), "{cookie}");
        key
    }

    const FILTER: &str =
        r#"{"jsonrpc": "2.0", "method": "Product.filter", "params": [{}], "id": 7}"#;

    #[tokio::test]
    async fn kiwi12_refuses_without_session_with_403_and_in_batches_with_200() {
        let fake = FakeKiwi::start().await;
        fake.on_value("Product.filter", json!([]));
        let (status, _, body) = post(&fake, FILTER, None).await;
        assert_eq!(status, 403);
        let refused = json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32603,
            "message": "Internal error: Authentication failed when calling \"Product.filter\""}});
        assert_eq!(
            serde_json::from_str::<Value>(&body).ok(),
            Some(refused.clone())
        );
        let (status, _, body) = post(&fake, &format!("[{FILTER}]"), Some("nonsense")).await;
        assert_eq!(status, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&body).ok(),
            Some(json!([refused]))
        );

        let key = login(&fake).await;
        let (status, _, body) = post(&fake, FILTER, Some(&key)).await;
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"id":7,"jsonrpc":"2.0","result":[]}"#)
        );
        fake.expire_sessions();
        assert_eq!(post(&fake, FILTER, Some(&key)).await.0, 403);
        assert_eq!(fake.logins(), 1);
        assert_eq!(fake.count("Product.filter"), 4);
    }

    #[tokio::test]
    async fn kiwi16_refuses_with_32098_at_200_and_login_first_batches_work() {
        let fake = FakeKiwi::builder().version("16.2").start().await;
        fake.on_value("Product.filter", json!(["x"]));
        let (status, _, body) = post(&fake, FILTER, None).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["error"]["code"], -32098);
        assert_eq!(
            v["error"]["message"],
            "Authentication failed when calling \"Product.filter\""
        );
        login(&fake).await;

        // A batch that starts with a login authenticates what follows, and sets the cookie.
        let batch = format!(
            "[{}, {FILTER}]",
            login_body().replace("\"id\":1", "\"id\":2")
        );
        let (status, headers, body) = post(&fake, &batch, None).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v[0]["id"], 2);
        assert!(v[0]["result"].is_string());
        assert_eq!(v[1], json!({"jsonrpc": "2.0", "result": ["x"], "id": 7}));
        assert!(headers.contains_key("set-cookie"));
        assert_eq!(fake.logins(), 2);
    }

    #[tokio::test]
    async fn wrong_or_missing_credentials() {
        let fake = FakeKiwi::start().await;
        let wrong = r#"{"jsonrpc": "2.0", "method": "Auth.login", "params": ["a", "b"], "id": 1}"#;
        let (status, headers, body) = post(&fake, wrong, None).await;
        assert_eq!(status, 200);
        assert!(!headers.contains_key("set-cookie"));
        assert!(
            body.contains("Internal error: Wrong username or password"),
            "{body}"
        );
        let empty = r#"{"jsonrpc": "2.0", "method": "Auth.login", "params": [], "id": 1}"#;
        let (_, _, body) = post(&fake, empty, None).await;
        assert!(body.contains("Username and password is required"), "{body}");
        assert_eq!(fake.logins(), 0);
    }

    #[tokio::test]
    async fn escapes_on_the_wire_by_version() {
        let raw = json!([{"a": "<&>", "n": [{"b": "'\""}]}]);
        for (version, expected) in [
            ("12.4", json!([{"a": "&lt;&amp;&gt;", "n": [{"b": "'\""}]}])),
            (
                "16.2",
                json!([{"a": "&lt;&amp;&gt;", "n": [{"b": "&#x27;&quot;"}]}]),
            ),
        ] {
            let fake = FakeKiwi::builder().version(version).start().await;
            fake.on_value("Product.filter", raw.clone());
            let key = login(&fake).await;
            let (_, _, body) = post(&fake, FILTER, Some(&key)).await;
            let v: Value = serde_json::from_str(&body).expect("json");
            assert_eq!(v["result"], expected, "{version}");
        }
    }

    #[tokio::test]
    async fn unknown_methods_are_answered_and_recorded() {
        let fake = FakeKiwi::start().await;
        let key = login(&fake).await;
        let call = r#"{"jsonrpc": "2.0", "method": "No.such", "id": 3}"#;
        let (status, _, body) = post(&fake, call, Some(&key)).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            v["error"],
            json!({"code": -32601, "message": "Method not found: \"No.such\""})
        );
        assert!(fake.verify().is_err());
        assert_eq!(fake.take_unexpected(), vec!["No.such".to_owned()]);
        fake.assert_no_unexpected();
        fake.not_found("Old.method");
        let call = r#"{"jsonrpc": "2.0", "method": "Old.method", "id": 3}"#;
        let (_, _, body) = post(&fake, call, Some(&key)).await;
        assert!(body.contains("-32601"), "{body}");
        assert!(fake.unexpected().is_empty());
    }

    #[tokio::test]
    async fn protocol_errors_and_notifications() {
        let fake = FakeKiwi::start().await;
        fake.on_value("Product.filter", json!([]));
        let key = login(&fake).await;
        let (status, _, body) = post(&fake, "{bad", Some(&key)).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            (v["error"]["code"].as_i64(), &v["id"]),
            (Some(-32700), &Value::Null)
        );
        let (_, _, body) = post(
            &fake,
            r#"{"method": "Product.filter", "id": 1}"#,
            Some(&key),
        )
        .await;
        assert!(body.contains("Missing parameter \\\"jsonrpc\\\""), "{body}");
        let notification = r#"{"jsonrpc": "2.0", "method": "Product.filter", "params": [{}]}"#;
        let (status, _, body) = post(&fake, notification, Some(&key)).await;
        assert_eq!((status, body.as_str()), (204, ""));
        assert_eq!(post(&fake, "[]", Some(&key)).await.0, 204);
        // The notification ran; the request without "jsonrpc" did not.
        assert_eq!(fake.count("Product.filter"), 1);
    }

    #[tokio::test]
    async fn kiwi16_refuses_secret_filter_keys() {
        let fake = FakeKiwi::builder().version("16.2").start().await;
        fake.on_value("User.filter", json!([]));
        let key = login(&fake).await;
        let call =
            r#"{"jsonrpc": "2.0", "method": "User.filter", "params": [{"api_KEY": 1}], "id": 1}"#;
        let (_, _, body) = post(&fake, call, Some(&key)).await;
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            v["error"],
            json!({"code": -32600, "message": "Invalid request: Unsupported field"})
        );
    }

    #[tokio::test]
    async fn faults_delays_and_redirects() {
        let fake = FakeKiwi::start().await;
        fake.on_value("Product.filter", json!([]));
        let key = login(&fake).await;
        fake.fail_next(2, 502);
        assert_eq!(post(&fake, FILTER, Some(&key)).await.0, 502);
        assert_eq!(post(&fake, FILTER, Some(&key)).await.0, 502);
        assert_eq!(post(&fake, FILTER, Some(&key)).await.0, 200);
        assert_eq!(fake.count("Product.filter"), 1, "faults do not run calls");
        fake.inject(
            Fault::status(504)
                .for_method("Product.filter")
                .after_running(),
        );
        assert_eq!(post(&fake, FILTER, Some(&key)).await.0, 504);
        assert_eq!(fake.count("Product.filter"), 2, "this one ran");

        fake.set_delay(Duration::from_millis(150));
        let started = Instant::now();
        assert_eq!(post(&fake, FILTER, Some(&key)).await.0, 200);
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(
            fake.http_requests().last().map(|e| e.delay),
            Some(Duration::from_millis(150))
        );

        let no_slash = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(format!("{}/json-rpc", fake.uri()))
            .send()
            .await
            .expect("answer");
        assert_eq!(no_slash.status().as_u16(), 301);
        assert_eq!(
            no_slash.headers()["location"].to_str().ok(),
            Some(fake.endpoint().as_str())
        );

        fake.redirect_to_https();
        let (status, headers, _) = post(&fake, FILTER, Some(&key)).await;
        assert_eq!(status, 301);
        assert!(
            headers["location"]
                .to_str()
                .expect("text")
                .starts_with("https://127.0.0.1:")
        );
    }

    #[test]
    fn session_keys_are_unique_and_django_shaped() {
        let a = new_session_key(0);
        let b = new_session_key(1);
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
