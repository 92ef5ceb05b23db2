//! A fault-injecting HTTP/1.1 proxy in front of a real Kiwi TCMS, for reliability tests
//! (cargo feature `test-support`).
//!
//! [`FaultProxy`] listens on `127.0.0.1` (a random port) and forwards every request to an
//! upstream Kiwi TCMS on the loopback interface. At a configurable rate it injects a fault
//! instead, chosen among [`ProxyFault::NETWORK`] (or the faults given to
//! [`FaultProxyBuilder::faults`]):
//!
//! | fault | what the client sees | did the server do the work? |
//! |---|---|---|
//! | [`ProxyFault::BadGateway`] | HTTP 502 | no |
//! | [`ProxyFault::Unavailable`] | HTTP 503 | no |
//! | [`ProxyFault::ResetBefore`] | the connection reset after it sent the request | no |
//! | [`ProxyFault::ResetAfter`] | the connection reset after it sent the request | **yes** |
//! | [`ProxyFault::Stall`] | no answer before its timeout | **yes** |
//! | [`ProxyFault::BadSession`] | Kiwi's "Authentication failed" (a bogus session cookie was sent instead of its own) | no |
//! | [`ProxyFault::ServerError`] | HTTP 500 | no |
//! | [`ProxyFault::Redirect`] | HTTP 301 to an `https://` URL | no |
//! | [`ProxyFault::Delay`] | no answer before its timeout | **yes, after the client gave up** |
//!
//! A stalled answer is held until the client hangs up (its timeout) or for
//! [`FaultProxyBuilder::stall`], whichever comes first. [`ProxyFault::Delay`] is the opposite:
//! the request waits in the proxy for the whole [`FaultProxyBuilder::stall`] (as in the backlog
//! of a server whose workers are all busy) and is forwarded then: the server does the work
//! after the client has given up on it, and after it has looked for what it asked for.
//!
//! The faults come from a [`fastrand::Rng`] seeded with [`FaultProxyBuilder::seed`]: the n-th
//! request that reaches the proxy always gets the same decision for a given seed (with
//! concurrent requests, which request is the n-th depends on timing). Each request draws the
//! same two numbers whatever the rate, so [`FaultProxy::set_rate`] (e.g. `0.0` to let a resume
//! through) does not shift the sequence.
//!
//! Requests are the client's small JSON POSTs with a `Content-Length`; one request per
//! connection (the proxy answers `Connection: close`, as Kiwi's gunicorn does). The method a
//! request calls is read from the `Referer` header the client sends (`TestCase.create x100@host`).
//!
//! The proxy is bounded: it stops by itself after [`FaultProxyBuilder::lifetime`] (default
//! 15 minutes) or [`FaultProxyBuilder::max_requests`] requests, and when dropped. It only ever
//! connects to a loopback upstream.
//!
//! ```no_run
//! use tcms_test_kit::proxy::FaultProxy;
//!
//! # fn demo() -> Result<(), tcms_test_kit::proxy::ProxyError> {
//! let proxy = FaultProxy::builder("http://127.0.0.1:8080")
//!     .seed(7)
//!     .rate(0.15)
//!     .stall(std::time::Duration::from_secs(3))
//!     .start()?;
//! // Point the client at proxy.url() (TCMS_API_URL), with a timeout under 3 s.
//! println!("{}", proxy.url());
//! println!("{:?}", proxy.counts());
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The largest request or response the proxy handles (bigger ones are refused with 502).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// The largest request or response head.
const MAX_HEAD: usize = 64 * 1024;

/// One kind of fault the proxy injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProxyFault {
    /// HTTP 502 without forwarding the request.
    BadGateway,
    /// HTTP 503 without forwarding the request.
    Unavailable,
    /// The connection is reset after the request was read, before it is forwarded.
    ResetBefore,
    /// The request is forwarded and answered by the server, then the client's connection is
    /// reset: the server did the work, the client never hears.
    ResetAfter,
    /// The request is forwarded and answered by the server, and the answer held back for
    /// [`FaultProxyBuilder::stall`] (longer than the client's timeout).
    Stall,
    /// The request is forwarded with a bogus session cookie in place of the client's, so the
    /// server refuses it as not logged in and the client must log in again. Only requests that
    /// carry a cookie get it (a login gets no fault instead).
    BadSession,
    /// HTTP 500 without forwarding the request (not in [`ProxyFault::NETWORK`]).
    ServerError,
    /// HTTP 301 to the same path over `https://` (not in [`ProxyFault::NETWORK`]).
    Redirect,
    /// The request is held for [`FaultProxyBuilder::stall`], then forwarded: the server runs it
    /// after the client gave up (not in [`ProxyFault::NETWORK`]).
    Delay,
}

impl ProxyFault {
    /// The faults of a flaky network path and load balancer, the default mix.
    pub const NETWORK: [ProxyFault; 6] = [
        ProxyFault::BadGateway,
        ProxyFault::Unavailable,
        ProxyFault::ResetBefore,
        ProxyFault::ResetAfter,
        ProxyFault::Stall,
        ProxyFault::BadSession,
    ];

    /// A short name: `502`, `503`, `reset-before`, `reset-after`, `stall`, `bad-session`,
    /// `500`, `redirect`, `delay`.
    pub fn name(self) -> &'static str {
        match self {
            ProxyFault::BadGateway => "502",
            ProxyFault::Unavailable => "503",
            ProxyFault::ResetBefore => "reset-before",
            ProxyFault::ResetAfter => "reset-after",
            ProxyFault::Stall => "stall",
            ProxyFault::BadSession => "bad-session",
            ProxyFault::ServerError => "500",
            ProxyFault::Redirect => "redirect",
            ProxyFault::Delay => "delay",
        }
    }

    /// True when the server ran the request although the client got no answer.
    pub fn server_did_the_work(self) -> bool {
        matches!(
            self,
            ProxyFault::ResetAfter | ProxyFault::Stall | ProxyFault::Delay
        )
    }
}

impl std::fmt::Display for ProxyFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The upstream URL is not a plain `http://` URL of a loopback address.
    #[error("fault proxy upstream {url:?}: {reason}")]
    Upstream {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Binding the listener or starting the runtime failed.
    #[error("fault proxy: {0}")]
    Io(#[from] std::io::Error),
}

/// One request the proxy saw, and what it did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyEvent {
    /// Arrival order, from 0.
    pub seq: u64,
    /// Time since the proxy started.
    pub at: Duration,
    /// What the request calls, from its `Referer` header (`TestCase.create x100`,
    /// `batch of 3 calls`, `Auth.login`), or `?`.
    pub label: String,
    /// JSON-RPC calls in the body (elements of a batch; 1 for a single call).
    pub calls: usize,
    /// The fault injected, if any.
    pub fault: Option<ProxyFault>,
    /// The status the server answered, when the request was forwarded and answered.
    pub upstream_status: Option<u16>,
    /// How long the server took to answer (forwarded requests).
    pub upstream_time: Option<Duration>,
}

/// What the proxy did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests read from clients.
    pub requests: u64,
    /// Requests forwarded to the server (faults that forward included).
    pub forwarded: u64,
    /// Injected faults by kind.
    pub faults: BTreeMap<ProxyFault, u64>,
    /// Requests the server could not be reached for (answered 502, not counted as faults).
    pub upstream_errors: u64,
    /// Forwarded requests the server took longer than [`FaultProxyBuilder::client_timeout`] to
    /// answer: the client timed out on them whatever the proxy did (natural timeouts).
    pub slow: u64,
}

impl FaultCounts {
    /// All injected faults.
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }

    /// Injected faults of one kind.
    pub fn of(&self, fault: ProxyFault) -> u64 {
        self.faults.get(&fault).copied().unwrap_or(0)
    }

    /// `502=3 503=1 stall=2` (kinds with a count only), or `none`.
    pub fn line(&self) -> String {
        if self.faults.is_empty() {
            return "none".into();
        }
        self.faults
            .iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Configures and starts a [`FaultProxy`].
#[derive(Debug, Clone)]
pub struct FaultProxyBuilder {
    upstream: String,
    seed: u64,
    rate: f64,
    faults: Vec<ProxyFault>,
    stall: Duration,
    lifetime: Duration,
    max_requests: u64,
    only: Option<Vec<String>>,
    upstream_timeout: Duration,
    client_timeout: Option<Duration>,
    max_faults: u64,
}

impl FaultProxyBuilder {
    /// The RNG seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The share of requests that get a fault, 0.0 to 1.0 (default 0.15).
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = clamp_rate(rate);
        self
    }

    /// The faults to choose among, each equally likely (default [`ProxyFault::NETWORK`]).
    /// An empty list means no fault.
    pub fn faults(mut self, faults: impl IntoIterator<Item = ProxyFault>) -> Self {
        self.faults = faults.into_iter().collect();
        self
    }

    /// The longest [`ProxyFault::Stall`] holds an answer (less when the client hangs up first),
    /// and how long [`ProxyFault::Delay`] holds a request (default 3 s; make it longer than the
    /// client's timeout).
    pub fn stall(mut self, stall: Duration) -> Self {
        self.stall = stall;
        self
    }

    /// The proxy stops by itself this long after it started (default 15 minutes).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The proxy stops accepting connections after this many requests (default 100,000).
    pub fn max_requests(mut self, n: u64) -> Self {
        self.max_requests = n;
        self
    }

    /// Inject faults only into requests whose method label (see [`ProxyEvent::label`])
    /// contains one of `texts`, e.g. `TestExecution.add_comment` or `.create`; every other
    /// request is forwarded untouched (it still draws from the RNG, so the sequence does not
    /// shift).
    pub fn only_methods<S: Into<String>>(mut self, texts: impl IntoIterator<Item = S>) -> Self {
        self.only = Some(texts.into_iter().map(Into::into).collect());
        self
    }

    /// How long the proxy waits for the server's answer before giving up with 502
    /// (default 5 minutes).
    pub fn upstream_timeout(mut self, timeout: Duration) -> Self {
        self.upstream_timeout = timeout;
        self
    }

    /// Inject at most this many faults in all (default: no limit).
    pub fn max_faults(mut self, n: u64) -> Self {
        self.max_faults = n;
        self
    }

    /// The client's timeout, to count the requests the server itself was too slow for
    /// ([`FaultCounts::slow`]).
    pub fn client_timeout(mut self, timeout: Duration) -> Self {
        self.client_timeout = Some(timeout);
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on a thread of its own (so that a test may
    /// block on a child process while the proxy runs).
    pub fn start(self) -> Result<FaultProxy, ProxyError> {
        let (upstream, authority) = parse_upstream(&self.upstream)?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            upstream,
            authority,
            own_port: addr.port(),
            rate_bits: AtomicU64::new(self.rate.to_bits()),
            faults: self.faults,
            stall: self.stall,
            only: self.only,
            upstream_timeout: self.upstream_timeout,
            client_timeout: self.client_timeout,
            max_faults: self.max_faults,
            in_flight: AtomicUsize::new(0),
            started: Instant::now(),
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(self.seed),
                counts: FaultCounts::default(),
                events: Vec::new(),
            }),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = Arc::clone(&shared);
        let lifetime = self.lifetime;
        let max_requests = self.max_requests;
        let thread = std::thread::Builder::new()
            .name(format!("fault-proxy-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(accept_loop(
                    serving,
                    listener,
                    stopped,
                    lifetime,
                    max_requests,
                ));
            })?;
        Ok(FaultProxy {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running fault-injecting proxy; see the [module docs](self). Stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// A builder for a proxy in front of `upstream` (a Kiwi base URL such as
    /// `http://127.0.0.1:8080`; only its host and port are used, and the host must be a
    /// loopback address or `localhost`).
    pub fn builder(upstream: impl Into<String>) -> FaultProxyBuilder {
        FaultProxyBuilder {
            upstream: upstream.into(),
            seed: 0,
            rate: 0.15,
            faults: ProxyFault::NETWORK.to_vec(),
            stall: Duration::from_secs(3),
            lifetime: Duration::from_secs(15 * 60),
            max_requests: 100_000,
            only: None,
            upstream_timeout: Duration::from_secs(300),
            client_timeout: None,
            max_faults: u64::MAX,
        }
    }

    /// `http://127.0.0.1:<port>`: the URL to give the client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests read and not yet done with (being forwarded, delayed or stalled).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::Relaxed)
    }

    /// Waits (blocking) until no request is in flight, at most `limit`; true when none is.
    /// Call it before checking the server's state, so that delayed requests have landed.
    pub fn settle(&self, limit: Duration) -> bool {
        let started = Instant::now();
        while self.in_flight() > 0 {
            if started.elapsed() >= limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }

    /// Changes the fault rate from now on (0.0 turns faults off).
    pub fn set_rate(&self, rate: f64) {
        self.shared
            .rate_bits
            .store(clamp_rate(rate).to_bits(), Ordering::Relaxed);
    }

    /// The current fault rate.
    pub fn rate(&self) -> f64 {
        f64::from_bits(self.shared.rate_bits.load(Ordering::Relaxed))
    }

    /// The counts so far.
    pub fn counts(&self) -> FaultCounts {
        self.shared.lock().counts.clone()
    }

    /// Every request so far, in arrival order.
    pub fn events(&self) -> Vec<ProxyEvent> {
        self.shared.lock().events.clone()
    }

    /// The requests that got a fault or that the server answered slower than the client's
    /// timeout, one line each (`#12 +1.234s TestCase.create x100 (100 calls): reset-after
    /// (server answered 200 in 1.020s)`), for test failure messages.
    pub fn fault_log(&self) -> String {
        let slow = self.shared.client_timeout;
        self.events()
            .iter()
            .filter(|e| e.fault.is_some() || is_slow(e, slow))
            .map(|e| {
                let status = match (e.upstream_status, e.upstream_time) {
                    (Some(s), Some(t)) => {
                        format!(" (server answered {s} in {:.3}s)", t.as_secs_f64())
                    }
                    (Some(s), None) => format!(" (server answered {s})"),
                    _ => String::new(),
                };
                format!(
                    "#{} +{:.3}s {} ({} calls): {}{status}\n",
                    e.seq,
                    e.at.as_secs_f64(),
                    e.label,
                    e.calls,
                    e.fault.map_or("slow server", ProxyFault::name),
                )
            })
            .collect()
    }

    /// Stops accepting connections and drops those in flight; waits for the proxy's thread.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    authority: String,
    own_port: u16,
    rate_bits: AtomicU64,
    faults: Vec<ProxyFault>,
    stall: Duration,
    only: Option<Vec<String>>,
    upstream_timeout: Duration,
    client_timeout: Option<Duration>,
    max_faults: u64,
    in_flight: AtomicUsize,
    started: Instant,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    rng: fastrand::Rng,
    counts: FaultCounts,
    events: Vec<ProxyEvent>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Draws the decision for the next request and records it; returns its sequence number.
    fn decide(&self, label: &str, calls: usize, has_cookie: bool) -> (u64, Option<ProxyFault>) {
        let rate = f64::from_bits(self.rate_bits.load(Ordering::Relaxed));
        let mut state = self.lock();
        let roll = state.rng.f64();
        let pick = state.rng.usize(..usize::MAX);
        let targeted = self
            .only
            .as_ref()
            .is_none_or(|texts| texts.iter().any(|t| label.contains(t.as_str())));
        let applicable: Vec<ProxyFault> = self
            .faults
            .iter()
            .copied()
            .filter(|f| has_cookie || *f != ProxyFault::BadSession)
            .collect();
        let budget = state.counts.total_faults() < self.max_faults;
        let fault = (targeted && budget && roll < rate && !applicable.is_empty())
            .then(|| applicable[pick % applicable.len()]);
        let seq = state.counts.requests;
        state.counts.requests += 1;
        if let Some(f) = fault {
            *state.counts.faults.entry(f).or_default() += 1;
        }
        state.events.push(ProxyEvent {
            seq,
            at: self.started.elapsed(),
            label: label.to_owned(),
            calls,
            fault,
            upstream_status: None,
            upstream_time: None,
        });
        (seq, fault)
    }

    fn forwarded(&self, seq: u64, status: Option<u16>, took: Duration) {
        let mut state = self.lock();
        match status {
            Some(_) => state.counts.forwarded += 1,
            None => state.counts.upstream_errors += 1,
        }
        if status.is_some() && self.client_timeout.is_some_and(|t| took >= t) {
            state.counts.slow += 1;
        }
        if let Some(event) = usize::try_from(seq)
            .ok()
            .and_then(|i| state.events.get_mut(i))
        {
            event.upstream_status = status;
            event.upstream_time = status.map(|_| took);
        }
    }
}

fn is_slow(event: &ProxyEvent, client_timeout: Option<Duration>) -> bool {
    matches!((event.upstream_time, client_timeout), (Some(took), Some(limit)) if took >= limit)
}

fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

/// The upstream's socket address and `host:port`; refuses anything but loopback http.
fn parse_upstream(raw: &str) -> Result<(SocketAddr, String), ProxyError> {
    let refuse = |reason: &str| ProxyError::Upstream {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = reqwest::Url::parse(raw).map_err(|e| refuse(&e.to_string()))?;
    if url.scheme() != "http" {
        return Err(refuse("only http:// upstreams are supported"));
    }
    let host = url.host_str().unwrap_or_default();
    let ip = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| refuse("the host must be a loopback IP address or localhost"))?
    };
    if !ip.is_loopback() {
        return Err(refuse("the proxy only forwards to the loopback interface"));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let addr = SocketAddr::new(ip, port);
    Ok((addr, addr.to_string()))
}

async fn accept_loop(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    lifetime: Duration,
    max_requests: u64,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    let deadline = tokio::time::sleep(lifetime);
    tokio::pin!(deadline);
    let mut connections = tokio::task::JoinSet::new();
    let mut accepted = 0u64;
    while accepted < max_requests {
        tokio::select! {
            _ = &mut stopped => return,
            _ = &mut deadline => return,
            conn = listener.accept() => {
                let Ok((stream, _)) = conn else { continue };
                accepted += 1;
                connections.spawn(serve(Arc::clone(&shared), stream));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    // Out of budget: refuse new connections, finish those in flight (until stopped or the
    // lifetime ends; returning drops the runtime and with it whatever is still running).
    drop(listener);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = &mut deadline => return,
            done = connections.join_next() => if done.is_none() { return },
        }
    }
}

/// One HTTP message as read from a socket.
#[derive(Debug)]
struct Message {
    /// The request or status line.
    first_line: String,
    /// Header names (lower case) and values, in order.
    headers: Vec<(String, String)>,
    /// The bytes as read (head and body).
    raw: Vec<u8>,
    /// Where the body starts in `raw`.
    body_at: usize,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn body(&self) -> &[u8] {
        &self.raw[self.body_at..]
    }

    fn status(&self) -> Option<u16> {
        self.first_line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// Reads one message: its head, then `Content-Length` bytes of body, or (for a response
/// without one, `to_eof`) everything until the peer closes. `None` when the peer closed before
/// sending anything.
async fn read_message(stream: &mut TcpStream, to_eof: bool) -> std::io::Result<Option<Message>> {
    let mut raw = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = find(&raw, b"\r\n\r\n") {
            break i + 4;
        }
        if raw.len() > MAX_HEAD {
            return Err(std::io::Error::other("message head too large"));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            if raw.is_empty() {
                return Ok(None);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let first_line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    match length {
        Some(len) => {
            if len > MAX_MESSAGE {
                return Err(std::io::Error::other("message body too large"));
            }
            while raw.len() < head_end + len {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                raw.extend_from_slice(&chunk[..n]);
            }
            raw.truncate(head_end + len);
        }
        None if to_eof => loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
            if raw.len() > MAX_MESSAGE {
                return Err(std::io::Error::other("message body too large"));
            }
        },
        None => {}
    }
    Ok(Some(Message {
        first_line,
        headers,
        raw,
        body_at: head_end,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The method label the client put in its `Referer` (`<label>@<host>`).
fn label_of(request: &Message) -> String {
    request
        .header("referer")
        .and_then(|r| r.rsplit_once('@').map(|(label, _)| label))
        .filter(|l| !l.is_empty())
        .unwrap_or("?")
        .to_owned()
}

/// How many JSON-RPC calls the body holds.
fn calls_in(body: &[u8]) -> usize {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(items)) => items.len(),
        Ok(_) => 1,
        Err(_) => 0,
    }
}

fn canned(status: u16, reason: &str, extra_headers: &str) -> Vec<u8> {
    let body = format!("<html><body><h1>{status} {reason}</h1>fault-proxy</body></html>\n");
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
         {extra_headers}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Resets the connection (RST instead of FIN).
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Counts a request in flight while it lives.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(shared))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn serve(shared: Arc<Shared>, mut client: TcpStream) {
    let request = match read_message(&mut client, false).await {
        Ok(Some(r)) => r,
        _ => return,
    };
    let _in_flight = InFlight::new(&shared);
    let label = label_of(&request);
    let calls = calls_in(request.body());
    let has_cookie = request.header("cookie").is_some();
    let (seq, fault) = shared.decide(&label, calls, has_cookie);
    match fault {
        Some(ProxyFault::BadGateway) => reply(client, &canned(502, "Bad Gateway", "")).await,
        Some(ProxyFault::Unavailable) => {
            reply(client, &canned(503, "Service Unavailable", "")).await;
        }
        Some(ProxyFault::ServerError) => {
            reply(client, &canned(500, "Internal Server Error", "")).await;
        }
        Some(ProxyFault::Redirect) => {
            let path = request.first_line.split_whitespace().nth(1).unwrap_or("/");
            let location = format!("Location: https://127.0.0.1:{}{path}\r\n", shared.own_port);
            reply(client, &canned(301, "Moved Permanently", &location)).await;
        }
        Some(ProxyFault::ResetBefore) => reset(client),
        other => {
            if other == Some(ProxyFault::Delay) {
                tokio::time::sleep(shared.stall).await;
            }
            let bogus = (other == Some(ProxyFault::BadSession))
                .then(|| format!("sessionid=fault-proxy-bogus-{seq}"));
            let sent = Instant::now();
            let answer = forward(&shared, &request, bogus.as_deref()).await;
            shared.forwarded(
                seq,
                answer.as_ref().and_then(Message::status),
                sent.elapsed(),
            );
            let Some(answer) = answer else {
                reply(client, &canned(502, "Bad Gateway", "")).await;
                return;
            };
            match other {
                Some(ProxyFault::ResetAfter) => reset(client),
                Some(ProxyFault::Stall) => {
                    until_hung_up(&mut client, shared.stall).await;
                    reply(client, &answer.raw).await;
                }
                _ => reply(client, &answer.raw).await,
            }
        }
    }
}

/// Waits until the client closes its side of the connection (its timeout fired), or `limit`.
async fn until_hung_up(client: &mut TcpStream, limit: Duration) {
    let mut byte = [0u8; 1];
    let hung_up = async {
        loop {
            match client.read(&mut byte).await {
                Ok(0) | Err(_) => return,
                // A client sends nothing after its request: ignore stray bytes.
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(limit, hung_up).await;
}

async fn reply(mut client: TcpStream, bytes: &[u8]) {
    if client.write_all(bytes).await.is_ok() {
        let _ = client.flush().await;
        let _ = client.shutdown().await;
    }
}

/// Sends the request to the server (with `cookie` in place of the client's, when given) and
/// reads its whole answer; `None` when the server cannot be reached in time.
async fn forward(shared: &Shared, request: &Message, cookie: Option<&str>) -> Option<Message> {
    let mut head = format!("{}\r\nHost: {}\r\n", request.first_line, shared.authority);
    for (name, value) in &request.headers {
        if matches!(
            name.as_str(),
            "host" | "connection" | "keep-alive" | "proxy-connection"
        ) {
            continue;
        }
        let value = match (name.as_str(), cookie) {
            ("cookie", Some(bogus)) => bogus,
            _ => value.as_str(),
        };
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let exchange = async {
        let mut upstream = TcpStream::connect(shared.upstream).await.ok()?;
        upstream.write_all(head.as_bytes()).await.ok()?;
        upstream.write_all(request.body()).await.ok()?;
        upstream.flush().await.ok()?;
        read_message(&mut upstream, true).await.ok().flatten()
    };
    tokio::time::timeout(shared.upstream_timeout, exchange)
        .await
        .ok()
        .flatten()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap (team rule); library code never does.
mod tests {
    use super::*;

    /// A tiny upstream: answers every request with a JSON-RPC result and records each
    /// request head and body.
    async fn upstream() -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let Ok(Some(request)) = read_message(&mut stream, false).await else {
                        return;
                    };
                    record
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&request.raw).into_owned());
                    let body = r#"{"jsonrpc":"2.0","result":"ok","id":1}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        (url, seen)
    }

    fn http(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    async fn post(
        client: &reqwest::Client,
        proxy: &FaultProxy,
        cookie: Option<&str>,
    ) -> Result<(u16, String), reqwest::Error> {
        let mut request = client
            .post(format!("{}/json-rpc/", proxy.url()))
            .header("Content-Type", "application/json")
            .header("Referer", "Product.filter@127.0.0.1")
            .body(r#"{"jsonrpc":"2.0","method":"Product.filter","params":[{}],"id":1}"#);
        if let Some(c) = cookie {
            request = request.header("Cookie", c);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    fn only(fault: ProxyFault, url: &str) -> FaultProxy {
        FaultProxy::builder(url)
            .rate(1.0)
            .faults([fault])
            .stall(Duration::from_millis(600))
            .start()
            .unwrap()
    }

    #[tokio::test]
    async fn forwards_untouched_at_rate_zero() {
        let (url, seen) = upstream().await;
        let proxy = FaultProxy::builder(&url).rate(0.0).start().unwrap();
        let (status, body) = post(&http(Duration::from_secs(5)), &proxy, Some("sessionid=k1"))
            .await
            .unwrap();
        assert_eq!(status, 200);
        assert!(body.contains(r#""result":"ok""#), "{body}");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        assert!(seen[0].contains("cookie: sessionid=k1"), "{}", seen[0]);
        assert!(seen[0].contains("Connection: close"), "{}", seen[0]);
        assert!(
            seen[0].ends_with(r#""id":1}"#),
            "the body is forwarded: {}",
            seen[0]
        );
        let counts = proxy.counts();
        assert_eq!((counts.requests, counts.forwarded), (1, 1));
        assert_eq!(counts.total_faults(), 0);
        let events = proxy.events();
        assert_eq!(events[0].label, "Product.filter");
        assert_eq!(events[0].calls, 1);
        assert_eq!(events[0].upstream_status, Some(200));
    }

    #[tokio::test]
    async fn status_faults_do_not_reach_the_server() {
        let (url, seen) = upstream().await;
        for (fault, want) in [
            (ProxyFault::BadGateway, 502),
            (ProxyFault::Unavailable, 503),
            (ProxyFault::ServerError, 500),
            (ProxyFault::Redirect, 301),
        ] {
            let proxy = only(fault, &url);
            let (status, _) = post(&http(Duration::from_secs(5)), &proxy, None)
                .await
                .unwrap();
            assert_eq!(status, want, "{fault}");
            assert_eq!(proxy.counts().of(fault), 1);
            assert_eq!(proxy.counts().forwarded, 0);
        }
        assert!(seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn resets_before_and_after_forwarding() {
        let (url, seen) = upstream().await;
        let before = only(ProxyFault::ResetBefore, &url);
        let err = post(&http(Duration::from_secs(5)), &before, None)
            .await
            .unwrap_err();
        assert!(!err.is_timeout() && !err.is_connect(), "{err:?}");
        assert_eq!(seen.lock().unwrap().len(), 0, "not forwarded");

        let after = only(ProxyFault::ResetAfter, &url);
        let err = post(&http(Duration::from_secs(5)), &after, None)
            .await
            .unwrap_err();
        assert!(!err.is_timeout() && !err.is_connect(), "{err:?}");
        assert_eq!(seen.lock().unwrap().len(), 1, "the server did the work");
        assert_eq!(after.events()[0].upstream_status, Some(200));
        assert!(
            after
                .fault_log()
                .contains("reset-after (server answered 200 in "),
            "{}",
            after.fault_log()
        );
    }

    #[tokio::test]
    async fn a_stall_outlasts_the_client_timeout_after_the_server_answered() {
        let (url, seen) = upstream().await;
        let proxy = only(ProxyFault::Stall, &url);
        let started = Instant::now();
        let err = post(&http(Duration::from_millis(200)), &proxy, None)
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(started.elapsed() < Duration::from_millis(590));
        assert_eq!(seen.lock().unwrap().len(), 1);
        // A patient client gets the answer after the stall.
        let started = Instant::now();
        let (status, _) = post(&http(Duration::from_secs(5)), &proxy, None)
            .await
            .unwrap();
        assert_eq!(status, 200);
        assert!(started.elapsed() >= Duration::from_millis(600));
    }

    #[tokio::test]
    async fn a_bad_session_replaces_the_cookie_and_spares_logins() {
        let (url, seen) = upstream().await;
        let proxy = only(ProxyFault::BadSession, &url);
        let client = http(Duration::from_secs(5));
        post(&client, &proxy, Some("sessionid=good")).await.unwrap();
        post(&client, &proxy, None).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        assert!(
            seen[0].contains("cookie: sessionid=fault-proxy-bogus-0"),
            "{}",
            seen[0]
        );
        assert!(!seen[0].contains("sessionid=good"), "{}", seen[0]);
        assert!(!seen[1].contains("cookie:"), "{}", seen[1]);
        assert_eq!(proxy.counts().of(ProxyFault::BadSession), 1);
        assert_eq!(proxy.events()[1].fault, None);
    }

    #[tokio::test]
    async fn a_delay_forwards_only_after_the_client_gave_up() {
        let (url, seen) = upstream().await;
        let proxy = only(ProxyFault::Delay, &url);
        let err = post(&http(Duration::from_millis(200)), &proxy, None)
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(seen.lock().unwrap().is_empty(), "not forwarded yet");
        assert_eq!(proxy.in_flight(), 1);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(proxy.in_flight(), 0);
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "forwarded after the client hung up"
        );
        assert_eq!(proxy.counts().forwarded, 1);
    }

    #[tokio::test]
    async fn counts_requests_the_server_was_too_slow_for() {
        let (url, _) = upstream().await;
        let fast = FaultProxy::builder(&url)
            .rate(0.0)
            .client_timeout(Duration::from_secs(5))
            .start()
            .unwrap();
        let slow = FaultProxy::builder(&url)
            .rate(0.0)
            .client_timeout(Duration::ZERO)
            .start()
            .unwrap();
        let client = http(Duration::from_secs(5));
        post(&client, &fast, None).await.unwrap();
        post(&client, &slow, None).await.unwrap();
        assert_eq!(fast.counts().slow, 0);
        assert_eq!(slow.counts().slow, 1);
        assert!(
            slow.fault_log().contains("slow server"),
            "{}",
            slow.fault_log()
        );
        assert!(fast.events()[0].upstream_time.is_some());
    }

    /// The decisions of `n` sequential requests.
    async fn decisions(url: &str, seed: u64, n: usize) -> Vec<Option<ProxyFault>> {
        let proxy = FaultProxy::builder(url)
            .seed(seed)
            .rate(0.3)
            .faults([ProxyFault::BadGateway, ProxyFault::Unavailable])
            .start()
            .unwrap();
        let client = http(Duration::from_secs(5));
        for _ in 0..n {
            post(&client, &proxy, None).await.unwrap();
        }
        let events = proxy.events();
        assert_eq!(events.len(), n);
        let counts = proxy.counts();
        assert_eq!(counts.requests, n as u64);
        assert_eq!(
            counts.total_faults() + counts.forwarded,
            n as u64,
            "{counts:?}"
        );
        events.iter().map(|e| e.fault).collect()
    }

    #[tokio::test]
    async fn the_same_seed_gives_the_same_faults() {
        let (url, _) = upstream().await;
        let a = decisions(&url, 42, 40).await;
        let b = decisions(&url, 42, 40).await;
        let c = decisions(&url, 43, 40).await;
        assert_eq!(a, b);
        assert_ne!(a, c);
        let faults = a.iter().filter(|f| f.is_some()).count();
        assert!((3..=25).contains(&faults), "about 30% of 40: {faults}");
    }

    #[tokio::test]
    async fn faults_can_target_one_method_and_be_turned_off() {
        let (url, _) = upstream().await;
        let proxy = FaultProxy::builder(&url)
            .rate(1.0)
            .faults([ProxyFault::BadGateway])
            .only_methods(["TestExecution.add_comment", "Nothing.else"])
            .start()
            .unwrap();
        let client = http(Duration::from_secs(5));
        assert_eq!(post(&client, &proxy, None).await.unwrap().0, 200);
        let targeted = client
            .post(format!("{}/json-rpc/", proxy.url()))
            .header("Referer", "TestExecution.add_comment x2@h")
            .body("[{},{}]")
            .send()
            .await
            .unwrap();
        assert_eq!(targeted.status().as_u16(), 502);
        assert_eq!(proxy.events()[1].calls, 2);
        proxy.set_rate(0.0);
        let targeted = client
            .post(format!("{}/json-rpc/", proxy.url()))
            .header("Referer", "TestExecution.add_comment x2@h")
            .body("[{},{}]")
            .send()
            .await
            .unwrap();
        assert_eq!(targeted.status().as_u16(), 200);
    }

    #[tokio::test]
    async fn the_number_of_faults_is_bounded() {
        let (url, _) = upstream().await;
        let proxy = FaultProxy::builder(&url)
            .rate(1.0)
            .faults([ProxyFault::Unavailable])
            .max_faults(2)
            .start()
            .unwrap();
        let client = http(Duration::from_secs(5));
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(post(&client, &proxy, None).await.unwrap().0);
        }
        assert_eq!(statuses, [503, 503, 200, 200]);
    }

    #[tokio::test]
    async fn stops_by_itself_after_its_lifetime_and_its_request_budget() {
        let (url, _) = upstream().await;
        let client = http(Duration::from_secs(5));
        let proxy = FaultProxy::builder(&url)
            .rate(0.0)
            .lifetime(Duration::from_millis(300))
            .start()
            .unwrap();
        assert_eq!(post(&client, &proxy, None).await.unwrap().0, 200);
        tokio::time::sleep(Duration::from_millis(600)).await;
        let err = post(&client, &proxy, None).await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");

        let proxy = FaultProxy::builder(&url)
            .rate(0.0)
            .max_requests(2)
            .start()
            .unwrap();
        for _ in 0..2 {
            assert_eq!(post(&client, &proxy, None).await.unwrap().0, 200);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let err = post(&client, &proxy, None).await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
    }

    #[test]
    fn only_loopback_http_upstreams() {
        for bad in [
            "http://192.0.2.1:8080",
            "http://tcms.example.com",
            "https://127.0.0.1:8443",
            "not a url",
        ] {
            let err = FaultProxy::builder(bad).start().unwrap_err();
            assert!(matches!(err, ProxyError::Upstream { .. }), "{bad}: {err}");
        }
        let (addr, authority) = parse_upstream("http://localhost:8080/json-rpc/").unwrap();
        assert!(addr.ip().is_loopback());
        assert_eq!(authority, "127.0.0.1:8080");
        assert_eq!(parse_upstream("http://[::1]").unwrap().0.port(), 80);
    }
}
