//! The JSON-RPC client: session, batches, bounded concurrency, retries, TLS.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{Mutex, OnceCell, Semaphore};
use tracing::{debug, warn};

use crate::config::Config;
use crate::error::{Error, RpcError};
use crate::rpc::{self, Answers, Batch, Call, Escaping, RawCall, Request};

/// One call's method and its raw result, as the transport returns them.
type RawAnswer = (String, Result<Value, Error>);

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("tcms-api-rs/", env!("CARGO_PKG_VERSION"));

/// Builds a [`Client`]. Only [`ClientBuilder::config`] is required.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: Option<Config>,
    timeout: Duration,
    connect_timeout: Duration,
    max_in_flight: usize,
    max_batch_calls: usize,
    max_batch_bytes: usize,
    max_retries: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    user_agent: Option<String>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            config: None,
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(15),
            max_in_flight: 4,
            max_batch_calls: 100,
            max_batch_bytes: 512 * 1024,
            max_retries: 4,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
            user_agent: None,
        }
    }
}

impl ClientBuilder {
    /// The server and credentials (from [`Config::load`] or [`Config::builder`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// How long one HTTP request may take, including a whole batch (default 120 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long establishing a connection may take (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many HTTP requests may be in flight at once (default 4; Kiwi gains nothing beyond
    /// its worker count).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// At most this many calls in one JSON-RPC batch (default 100; measured on Kiwi 12.4, 100
    /// calls per request on 2-4 connections is the fastest a 2-core server absorbs).
    pub fn max_batch_calls(mut self, n: usize) -> Self {
        self.max_batch_calls = n.max(1);
        self
    }

    /// At most this many bytes of JSON in one batch request (default 512 KiB; nginx refuses
    /// bodies over 1 MiB by default). A single call larger than this is sent alone.
    pub fn max_batch_bytes(mut self, n: usize) -> Self {
        self.max_batch_bytes = n.max(1);
        self
    }

    /// How many times a retry-safe request is sent again after a network fault, 502/503/504 or
    /// 429 (default 4; 0 turns retries off).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// First backoff delay and its cap; each retry doubles the delay, with jitter
    /// (defaults 250 ms and 8 s).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max.max(base);
        self
    }

    /// Adds a product token to the `User-Agent`, e.g. `tcms-junit-xml/0.1.0`.
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.user_agent = Some(product.into());
        self
    }

    /// Builds the client. Makes no request: the first call logs in.
    pub fn build(mut self) -> Result<Client, Error> {
        let config = self.config.take().ok_or_else(|| {
            Error::Config(crate::error::ConfigError::InvalidValue {
                name: "config".into(),
                value: "(none)".into(),
                origin: "ClientBuilder".into(),
                reason: "call ClientBuilder::config() with a Config".into(),
            })
        })?;
        let user_agent = match &self.user_agent {
            Some(p) => format!("{p} {USER_AGENT}"),
            None => USER_AGENT.to_owned(),
        };
        let mut http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            // Never follow a redirect with a POST: Kiwi 16 sends http to https, and a silent
            // 301 turns the POST into a GET (405). We report the new URL instead.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = config.ca_bundle() {
            let pem = std::fs::read(path).map_err(|e| crate::error::ConfigError::CaBundle {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                crate::error::ConfigError::CaBundle {
                    path: path.to_owned(),
                    message: e.to_string(),
                }
            })?;
            if certs.is_empty() {
                return Err(crate::error::ConfigError::CaBundle {
                    path: path.to_owned(),
                    message: "no PEM certificate found in the file".into(),
                }
                .into());
            }
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        if !config.tls_verify() {
            warn!(
                "TLS certificate verification is OFF for {}: anyone on the network path can \
                 read the password and change results. Use `ca_bundle` / TCMS_CA_BUNDLE instead.",
                config.base_url()
            );
            http = http.danger_accept_invalid_certs(true);
        }
        let http = http.build().map_err(|e| Error::Transport {
            method: "(client setup)".into(),
            url: config.endpoint(),
            source: Arc::new(e),
        })?;
        let host = host_of(config.base_url());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint: config.endpoint(),
                host,
                config,
                session: Mutex::new(Session::default()),
                version: OnceCell::new(),
                in_flight: Semaphore::new(self.max_in_flight),
                opts: self,
                requests: AtomicU64::new(0),
            }),
        })
    }
}

fn host_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

#[derive(Debug, Default)]
struct Session {
    key: Option<String>,
    /// Bumped on every login, so concurrent callers that saw the same stale session log in
    /// only once.
    generation: u64,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    endpoint: String,
    host: String,
    config: Config,
    session: Mutex<Session>,
    version: OnceCell<ServerVersion>,
    in_flight: Semaphore,
    opts: ClientBuilder,
    requests: AtomicU64,
}

/// The Kiwi TCMS version the server reports (`KiwiTCMS.version`), e.g. `12.4` or `16.2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    raw: String,
    major: u32,
    minor: u32,
}

impl ServerVersion {
    /// Parses `"12.4"`, `"16.2"`, `"15.0.1"`; unknown forms count as 0.0.
    pub fn parse(raw: &str) -> Self {
        let mut parts = raw.trim().split(['.', '-']).map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        });
        Self {
            raw: raw.to_owned(),
            major: parts.next().unwrap_or(0),
            minor: parts.next().unwrap_or(0),
        }
    }

    /// The version as the server wrote it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// `(major, minor)`.
    pub fn major_minor(&self) -> (u32, u32) {
        (self.major, self.minor)
    }

    /// True when the server is at least `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    fn escaping(&self) -> Escaping {
        if self.at_least(16, 2) {
            Escaping::Deep
        } else {
            Escaping::Shallow
        }
    }
}

/// A Kiwi TCMS JSON-RPC client. Cheap to clone; clones share the session and the limit on
/// requests in flight.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What one HTTP exchange produced.
enum Reply {
    /// A JSON body (a response object or a batch array), with the HTTP status.
    Json(u16, Value),
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with default settings for `config`.
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::builder().config(config).build()
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The server base URL (for links to the web UI: `<base>/runs/<id>/`).
    pub fn base_url(&self) -> &str {
        self.inner.config.base_url()
    }

    /// How long one request may take (see [`ClientBuilder::timeout`]).
    pub fn timeout(&self) -> Duration {
        self.inner.opts.timeout
    }

    /// How many HTTP requests this client (and its clones) has sent, retries included.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// How many HTTP requests of this client (and its clones) are waiting for their answer
    /// now (at most [`ClientBuilder::max_in_flight`]), for a progress display.
    pub fn requests_in_flight(&self) -> usize {
        self.inner
            .opts
            .max_in_flight
            .saturating_sub(self.inner.in_flight.available_permits())
    }

    /// Logs in now (otherwise the first call does), and reads the server version.
    pub async fn login(&self) -> Result<(), Error> {
        self.session_key(None).await.map(|_| ())
    }

    /// The server's Kiwi TCMS version, read once at login.
    pub async fn server_version(&self) -> Result<ServerVersion, Error> {
        if let Some(v) = self.inner.version.get() {
            return Ok(v.clone());
        }
        self.login().await?;
        match self.inner.version.get() {
            Some(v) => Ok(v.clone()),
            None => {
                let raw: String = self.send(crate::models::auth::version_call()).await?;
                Ok(self
                    .inner
                    .version
                    .get_or_init(|| async { ServerVersion::parse(&raw) })
                    .await
                    .clone())
            }
        }
    }

    fn escaping(&self) -> Escaping {
        self.inner
            .version
            .get()
            .map(ServerVersion::escaping)
            .unwrap_or(Escaping::Shallow)
    }

    /// Calls a method the typed API does not model, and decodes its result into `T`
    /// (`serde_json::Value` takes any result): `send(Call::new(method, params))`, see
    /// [`Call::new`]. For everything else there are the typed handlers and calls of
    /// [`crate::models`].
    ///
    /// Strings in the result are HTML-unescaped. Retried after network faults only when the
    /// method is retry-safe by its name (reads, `*.update`, `add_case`, `add_tag`,
    /// `add_property`).
    ///
    /// ```no_run
    /// # async fn demo(client: tcms_api::Client) -> Result<(), tcms_api::Error> {
    /// let methods: Vec<String> = client.call("system.listMethods", serde_json::json!([])).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, Error> {
        self.send(Call::new(method, params)).await
    }

    /// Sends one typed call (from a `*_call` function of [`crate::models`]) and decodes its
    /// answer.
    pub async fn send<T: DeserializeOwned>(&self, call: Call<T>) -> Result<T, Error> {
        let method = call.raw.method.clone();
        let value = self.send_raw(call.raw).await?;
        rpc::decode(&method, value)
    }

    /// Sends calls of one answer type as JSON-RPC batches and returns one decoded result per
    /// call, in order.
    ///
    /// Batches are cut by [`ClientBuilder::max_batch_calls`] and
    /// [`ClientBuilder::max_batch_bytes`] and sent with at most
    /// [`ClientBuilder::max_in_flight`] requests at once. One failing call does not stop the
    /// others: Kiwi runs each element in its own transaction.
    pub async fn send_all<T: DeserializeOwned>(
        &self,
        calls: Vec<Call<T>>,
    ) -> Vec<Result<T, Error>> {
        self.batch_raw(calls.into_iter().map(|c| c.raw).collect())
            .await
            .into_iter()
            .map(|(method, r)| r.and_then(|v| rpc::decode(&method, v)))
            .collect()
    }

    /// Sends a [`Batch`] of calls of different answer types (as [`Client::send_all`] does);
    /// each answer is taken out of the [`Answers`] with its [`crate::Slot`].
    pub async fn send_batch(&self, batch: Batch) -> Answers {
        let id = batch.id;
        let answers = self.batch_raw(batch.calls).await;
        Answers {
            batch: id,
            answers: answers.into_iter().map(Some).collect(),
        }
    }

    /// Calls one method and returns its (unescaped) result as JSON.
    async fn send_raw(&self, call: RawCall) -> Result<Value, Error> {
        let mut relogged = false;
        loop {
            let (key, generation) = self.session_key(None).await?;
            let body = serde_json::to_vec(&Request::new(&call, 1))
                .map_err(|e| decode_err(&call.method, &e))?;
            let Reply::Json(status, value) = self
                .post(&call.method, body, Some(&key), call.idempotent)
                .await?;
            match rpc::read_response(&call.method, &value) {
                Some(Ok(mut result)) => {
                    rpc::unescape_result(&mut result, self.escaping());
                    return Ok(result);
                }
                Some(Err(e)) if e.is_auth_failure() && !relogged => {
                    debug!(method = %call.method, "session refused, logging in again");
                    relogged = true;
                    self.session_key(Some(generation)).await?;
                }
                Some(Err(e)) if e.is_auth_failure() => return Err(self.auth_error(e.message)),
                Some(Err(e)) => return Err(e.into()),
                None => {
                    return Err(Error::Http {
                        method: call.method.clone(),
                        url: self.inner.endpoint.clone(),
                        status,
                        body: self.quote(&value.to_string()),
                    });
                }
            }
        }
    }

    /// Sends raw calls as batches: one (method, result) per call, in order.
    async fn batch_raw(&self, calls: Vec<RawCall>) -> Vec<RawAnswer> {
        let chunks = self.chunk(calls);
        let mut set = tokio::task::JoinSet::new();
        let n = chunks.len();
        for (index, chunk) in chunks.into_iter().enumerate() {
            let client = self.clone();
            set.spawn(async move { (index, client.send_chunk(chunk).await) });
        }
        let mut parts: Vec<Option<Vec<RawAnswer>>> = (0..n).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((index, results)) => parts[index] = Some(results),
                Err(e) => warn!("batch task failed: {e}"),
            }
        }
        parts.into_iter().flatten().flatten().collect()
    }

    /// Cuts calls into batches by count and by bytes.
    fn chunk(&self, calls: Vec<RawCall>) -> Vec<Vec<RawCall>> {
        let max_calls = self.inner.opts.max_batch_calls;
        let max_bytes = self.inner.opts.max_batch_bytes;
        let mut chunks = Vec::new();
        let mut current = Vec::new();
        let mut bytes = 2;
        for call in calls {
            let size = serde_json::to_vec(&Request::new(&call, u32::MAX.into()))
                .map(|v| v.len() + 1)
                .unwrap_or(0);
            if !current.is_empty() && (current.len() >= max_calls || bytes + size > max_bytes) {
                chunks.push(std::mem::take(&mut current));
                bytes = 2;
            }
            bytes += size;
            current.push(call);
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        chunks
    }

    /// Sends one batch; logs in again once and resends the elements refused for
    /// authentication (they did not run, so resending is safe).
    async fn send_chunk(&self, calls: Vec<RawCall>) -> Vec<RawAnswer> {
        let mut results: Vec<Option<Result<Value, Error>>> =
            (0..calls.len()).map(|_| None).collect();
        let mut pending: Vec<usize> = (0..calls.len()).collect();
        let mut relogged = false;
        while !pending.is_empty() {
            let (key, generation) = match self.session_key(None).await {
                Ok(s) => s,
                Err(e) => {
                    fill_error(&mut results, &pending, &e);
                    break;
                }
            };
            let batch: Vec<&RawCall> = pending.iter().map(|&i| &calls[i]).collect();
            let outcome = self.send_once(&batch, &key).await;
            let answers = match outcome {
                Ok(answers) => answers,
                Err(e) => {
                    fill_error(&mut results, &pending, &e);
                    break;
                }
            };
            let mut refused = Vec::new();
            for (pos, answer) in answers.into_iter().enumerate() {
                let index = pending[pos];
                match answer {
                    Err(Error::Rpc(e)) if e.is_auth_failure() && !relogged => refused.push(index),
                    Err(Error::Rpc(e)) if e.is_auth_failure() => {
                        results[index] = Some(Err(self.auth_error(e.message)));
                    }
                    other => results[index] = Some(other),
                }
            }
            if refused.is_empty() {
                break;
            }
            debug!(
                calls = refused.len(),
                "session refused in batch, logging in again"
            );
            relogged = true;
            if let Err(e) = self.session_key(Some(generation)).await {
                fill_error(&mut results, &refused, &e);
                break;
            }
            pending = refused;
        }
        calls
            .into_iter()
            .zip(results)
            .map(|(call, r)| {
                let r = r.unwrap_or_else(|| {
                    Err(Error::Decode {
                        method: call.method.clone(),
                        path: ".".into(),
                        message: "no answer for this call in the batch".into(),
                    })
                });
                (call.method, r)
            })
            .collect()
    }

    /// One HTTP request for a batch; one result per call, matched by id.
    async fn send_once(
        &self,
        calls: &[&RawCall],
        key: &str,
    ) -> Result<Vec<Result<Value, Error>>, Error> {
        let label = batch_label(calls);
        let requests: Vec<Request<'_>> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| Request::new(c, i as u64 + 1))
            .collect();
        let body = serde_json::to_vec(&requests).map_err(|e| decode_err(&label, &e))?;
        let idempotent = calls.iter().all(|c| c.idempotent);
        let Reply::Json(status, value) = self.post(&label, body, Some(key), idempotent).await?;
        let Value::Array(elements) = value else {
            // A single error object for the whole batch (403 not logged in, parse error).
            if let Some(Err(e)) = rpc::read_response(&label, &value) {
                return Ok(calls
                    .iter()
                    .map(|c| {
                        Err(Error::Rpc(RpcError {
                            method: c.method.clone(),
                            ..e.clone()
                        }))
                    })
                    .collect());
            }
            return Err(Error::Http {
                method: label,
                url: self.inner.endpoint.clone(),
                status,
                body: self.quote(&value.to_string()),
            });
        };
        let escaping = self.escaping();
        let mut out: Vec<Option<Result<Value, Error>>> = (0..calls.len()).map(|_| None).collect();
        for element in elements {
            let Some(id) = element.get("id").and_then(Value::as_u64) else {
                continue;
            };
            let Some(slot) = (id as usize).checked_sub(1).and_then(|i| out.get_mut(i)) else {
                continue;
            };
            let method = &calls[id as usize - 1].method;
            *slot = rpc::read_response(method, &element).map(|r| {
                r.map(|mut v| {
                    rpc::unescape_result(&mut v, escaping);
                    v
                })
                .map_err(Error::from)
            });
        }
        Ok(out
            .into_iter()
            .zip(calls)
            .map(|(r, c)| {
                r.unwrap_or_else(|| {
                    Err(Error::Decode {
                        method: c.method.clone(),
                        path: ".".into(),
                        message: "the batch answer has no element for this call".into(),
                    })
                })
            })
            .collect())
    }

    /// The current session key, logging in if there is none, or if `stale` is the generation
    /// of a key the server refused.
    async fn session_key(&self, stale: Option<u64>) -> Result<(String, u64), Error> {
        let mut session = self.inner.session.lock().await;
        let fresh_enough = match stale {
            None => session.key.is_some(),
            Some(g) => session.key.is_some() && session.generation != g,
        };
        if let (true, Some(key)) = (fresh_enough, &session.key) {
            return Ok((key.clone(), session.generation));
        }
        let key = self.do_login().await?;
        session.key = Some(key.clone());
        session.generation += 1;
        Ok((key, session.generation))
    }

    /// `Auth.login` and `KiwiTCMS.version` in one batch: one round trip.
    async fn do_login(&self) -> Result<String, Error> {
        let cfg = &self.inner.config;
        let login = crate::models::auth::login_call(cfg.username(), cfg.password()).raw;
        let version = crate::models::auth::version_call().raw;
        let need_version = self.inner.version.get().is_none();
        let calls: Vec<&RawCall> = if need_version {
            vec![&login, &version]
        } else {
            vec![&login]
        };
        let started = Instant::now();
        let answers = self.send_once(&calls, "").await?;
        let mut answers = answers.into_iter();
        let key = match answers.next() {
            Some(Ok(Value::String(key))) if !key.is_empty() => key,
            Some(Ok(other)) => {
                return Err(self.auth_error(format!(
                    "unexpected login answer {}",
                    self.quote(&other.to_string())
                )));
            }
            Some(Err(Error::Rpc(e))) => {
                debug!(user = cfg.username(), "Auth.login refused: {}", e.message);
                return Err(self.auth_error(e.message));
            }
            Some(Err(e)) => return Err(e),
            None => return Err(self.auth_error("no answer to Auth.login".into())),
        };
        if let Some(Ok(Value::String(raw))) = answers.next() {
            let parsed = ServerVersion::parse(&rpc::unescape_html(&raw));
            debug!(version = parsed.as_str(), "Kiwi TCMS version");
            let _ = self.inner.version.set(parsed);
        }
        debug!(
            user = cfg.username(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "logged in to {}",
            self.inner.endpoint
        );
        Ok(key)
    }

    /// Server text for an error message, cut to 300 bytes, with the password blanked out:
    /// an error page may echo the request, and the body of `Auth.login` holds it.
    fn quote(&self, text: &str) -> String {
        let password = self.inner.config.password().expose_secret();
        if password.is_empty() {
            return snippet(text);
        }
        let mut text = text.replace(password, "***");
        // As it appears inside a JSON string (a password with `"` or `\`).
        if let Ok(quoted) = serde_json::to_string(password)
            && let Some(escaped) = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'))
            && escaped != password
        {
            text = text.replace(escaped, "***");
        }
        snippet(&text)
    }

    fn auth_error(&self, message: String) -> Error {
        Error::Auth {
            username: self.inner.config.username().to_owned(),
            url: self.inner.endpoint.clone(),
            message,
        }
    }

    /// One POST with retries for faults that cannot have changed anything, or for any fault
    /// when `idempotent`.
    async fn post(
        &self,
        label: &str,
        body: Vec<u8>,
        session: Option<&str>,
        idempotent: bool,
    ) -> Result<Reply, Error> {
        let opts = &self.inner.opts;
        let _permit = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::Http {
                method: label.to_owned(),
                url: self.inner.endpoint.clone(),
                status: 0,
                body: "client closed".into(),
            })?;
        let mut attempt = 0u32;
        loop {
            let started = Instant::now();
            let result = self.post_once(label, &body, session).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let (retry_after, error) = match result {
                Ok(reply) => {
                    debug!(method = label, elapsed_ms, attempt, "rpc answered");
                    return Ok(reply);
                }
                Err(Fault::Final(e)) => return Err(e),
                Err(Fault::Retry {
                    error,
                    safe_always,
                    retry_after,
                }) => {
                    if !(idempotent || safe_always) || attempt >= opts.max_retries {
                        return Err(error);
                    }
                    (retry_after, error)
                }
            };
            attempt += 1;
            let delay = retry_after
                .unwrap_or_else(|| backoff(opts.backoff_base, opts.backoff_max, attempt));
            warn!(
                method = label,
                attempt,
                delay_ms = delay.as_millis() as u64,
                "retrying after: {error}"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn post_once(
        &self,
        label: &str,
        body: &[u8],
        session: Option<&str>,
    ) -> Result<Reply, Fault> {
        let inner = &self.inner;
        let mut request = inner
            .http
            .post(&inner.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            // As the Python tcms-api does: makes the server's access log say what was called.
            .header(reqwest::header::REFERER, format!("{label}@{}", inner.host))
            .body(body.to_vec());
        if let Some(key) = session.filter(|k| !k.is_empty()) {
            request = request.header(reqwest::header::COOKIE, format!("sessionid={key}"));
        }
        inner.requests.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_fault(label, e)),
        };
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no Location header)")
                .to_owned();
            return Err(Fault::Final(Error::Redirect {
                method: label.to_owned(),
                url: inner.endpoint.clone(),
                location,
                status: status.as_u16(),
            }));
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(60)));
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_fault(label, e)),
        };
        let code = status.as_u16();
        if matches!(code, 429 | 502 | 503 | 504) {
            return Err(Fault::Retry {
                error: Error::Http {
                    method: label.to_owned(),
                    url: inner.endpoint.clone(),
                    status: code,
                    body: self.quote(&String::from_utf8_lossy(&bytes)),
                },
                // 429 and 503 mean the request was turned away before it ran.
                safe_always: matches!(code, 429 | 503),
                retry_after,
            });
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if value.is_array() || value.get("jsonrpc").is_some() => {
                Ok(Reply::Json(code, value))
            }
            Ok(_) | Err(_) if status.is_success() => Err(Fault::Final(Error::Decode {
                method: label.to_owned(),
                path: ".".into(),
                message: format!(
                    "HTTP {code} answer is not JSON-RPC: {}",
                    self.quote(&String::from_utf8_lossy(&bytes))
                ),
            })),
            _ => Err(Fault::Final(Error::Http {
                method: label.to_owned(),
                url: inner.endpoint.clone(),
                status: code,
                body: self.quote(&String::from_utf8_lossy(&bytes)),
            })),
        }
    }

    fn transport_fault(&self, label: &str, e: reqwest::Error) -> Fault {
        let url = self.inner.endpoint.clone();
        // rustls reading an http answer as a TLS record: no retry will help.
        if url.starts_with("https://") && speaks_no_tls(&e) {
            return Fault::Final(Error::NotTls {
                method: label.to_owned(),
                url,
            });
        }
        // A refused connection never reached the server: always safe to try again.
        let safe_always = e.is_connect();
        let error = if e.is_timeout() {
            Error::Timeout {
                method: label.to_owned(),
                url,
                seconds: self.inner.opts.timeout.as_secs_f64(),
            }
        } else {
            Error::Transport {
                method: label.to_owned(),
                url,
                source: Arc::new(e.without_url()),
            }
        };
        Fault::Retry {
            error,
            safe_always,
            retry_after: None,
        }
    }
}

enum Fault {
    /// Not worth retrying.
    Final(Error),
    /// Worth retrying if the request is retry-safe, or always when `safe_always`.
    Retry {
        error: Error,
        safe_always: bool,
        retry_after: Option<Duration>,
    },
}

/// True when a TLS handshake failed because the peer answered with something that is not TLS
/// (an http server on the port).
fn speaks_no_tls(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        let text = err.to_string();
        if text.contains("InvalidContentType")
            || text.contains("corrupt message")
            || text.contains("wrong version number")
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// Exponential backoff with full jitter: a random delay in [d/2, d], d = base * 2^(n-1) capped.
fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(max);
    let half = capped / 2;
    half + half.mul_f64(fastrand::f64())
}

fn batch_label(calls: &[&RawCall]) -> String {
    match calls {
        [one] => one.method.clone(),
        [first, ..] if first.method == "Auth.login" => "Auth.login".to_owned(),
        _ => {
            let first = calls.first().map(|c| c.method.as_str()).unwrap_or("");
            if calls.iter().all(|c| c.method == first) {
                format!("{first} x{}", calls.len())
            } else {
                format!("batch of {} calls", calls.len())
            }
        }
    }
}

fn fill_error(results: &mut [Option<Result<Value, Error>>], indices: &[usize], error: &Error) {
    for &i in indices {
        results[i] = Some(Err(clone_error(error)));
    }
}

/// Errors are not `Clone` (reqwest's is not); a batch-wide failure is copied into each slot
/// with its message preserved.
fn clone_error(e: &Error) -> Error {
    match e {
        Error::Rpc(r) => Error::Rpc(r.clone()),
        Error::NotTls { method, url } => Error::NotTls {
            method: method.clone(),
            url: url.clone(),
        },
        Error::Timeout {
            method,
            url,
            seconds,
        } => Error::Timeout {
            method: method.clone(),
            url: url.clone(),
            seconds: *seconds,
        },
        Error::Http {
            method,
            url,
            status,
            body,
        } => Error::Http {
            method: method.clone(),
            url: url.clone(),
            status: *status,
            body: body.clone(),
        },
        Error::Redirect {
            method,
            url,
            location,
            status,
        } => Error::Redirect {
            method: method.clone(),
            url: url.clone(),
            location: location.clone(),
            status: *status,
        },
        Error::Auth {
            username,
            url,
            message,
        } => Error::Auth {
            username: username.clone(),
            url: url.clone(),
            message: message.clone(),
        },
        Error::Decode {
            method,
            path,
            message,
        } => Error::Decode {
            method: method.clone(),
            path: path.clone(),
            message: message.clone(),
        },
        Error::Transport {
            method,
            url,
            source,
        } => Error::Transport {
            method: method.clone(),
            url: url.clone(),
            source: Arc::clone(source),
        },
        Error::Config(c) => Error::Decode {
            method: "(configuration)".into(),
            path: ".".into(),
            message: c.to_string(),
        },
    }
}

fn snippet(s: &str) -> String {
    const MAX: usize = 300;
    let s = s.trim();
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

fn decode_err(method: &str, e: &serde_json::Error) -> Error {
    Error::Decode {
        method: method.to_owned(),
        path: ".".into(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for attempt in 1..10 {
            let d = backoff(base, max, attempt);
            assert!(d <= max, "{d:?}");
            let expected = base.saturating_mul(1 << (attempt - 1)).min(max);
            assert!(d >= expected / 2, "{attempt}: {d:?} < {expected:?}/2");
        }
    }

    #[test]
    fn versions() {
        assert!(ServerVersion::parse("16.2").at_least(16, 2));
        assert!(!ServerVersion::parse("12.4").at_least(16, 2));
        assert_eq!(ServerVersion::parse("15.0.1").major_minor(), (15, 0));
        assert_eq!(ServerVersion::parse("16.2").escaping(), Escaping::Deep);
        assert_eq!(ServerVersion::parse("nonsense").major_minor(), (0, 0));
    }

    #[test]
    fn quoted_server_text_hides_the_password() {
        let config = Config::builder()
            .url("http://127.0.0.1:9")
            .username("bot")
            .password("pa\"ss-w0rd")
            .config_files([])
            .env(Vec::<(String, String)>::new())
            .load()
            .expect("valid config");
        let client = Client::new(config).expect("client");
        let page =
            r#"<pre>[{"method":"Auth.login","params":["bot","pa\"ss-w0rd"]}] pa"ss-w0rd</pre>"#;
        let quoted = client.quote(page);
        assert!(!quoted.contains("ss-w0rd"), "{quoted}");
        assert!(quoted.contains(r#"["bot","***"]"#), "{quoted}");
        assert_eq!(client.quote("plain"), "plain");
    }

    #[test]
    fn host_is_read_from_base_url() {
        assert_eq!(
            host_of("https://tcms.example.com:8443/kiwi"),
            "tcms.example.com:8443"
        );
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }
}
