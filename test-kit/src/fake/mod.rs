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

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use tcms_api::{Client, ClientBuilder, Config, ConfigError, Error, ServerVersion};

mod faults;
mod responder;
#[cfg(test)]
mod tests;

pub use faults::{Fault, RpcFault};
pub use responder::escape_html;
use responder::{Responder, methods_of, session_cookie};

/// The user name the fake accepts unless [`FakeKiwiBuilder::username`] says otherwise.
pub const DEFAULT_USERNAME: &str = "fake-tester";
/// The password the fake accepts unless [`FakeKiwiBuilder::password`] says otherwise.
pub const DEFAULT_PASSWORD: &str = "fake-password";
/// The version `KiwiTCMS.version` answers unless [`FakeKiwiBuilder::version`] says otherwise.
pub const DEFAULT_VERSION: &str = "12.4";

/// The JSON-RPC code of Kiwi's application errors.
pub(crate) const INTERNAL_ERROR: i64 = -32603;
/// The JSON-RPC code of Kiwi 16's authentication errors.
pub(crate) const AUTH_FAILED: i64 = -32098;

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

pub(crate) struct Shared {
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
pub(crate) struct State {
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
