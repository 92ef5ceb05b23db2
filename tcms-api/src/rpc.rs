//! The JSON-RPC 2.0 envelope, Kiwi's HTML escaping, and which methods are safe to retry.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, RpcError};

/// One JSON-RPC call: a method, its parameters, and the type its answer decodes to.
///
/// Every typed method of [`crate::models`] has a `*_call` sibling that builds its `Call`
/// (`TestRuns::create_call(&new)` is a `Call<TestRun>`); [`Client::send`] sends one,
/// [`Client::send_all`] many of one type, and a [`Batch`] many of different types, each
/// answer decoded once into its `T`.
///
/// [`Call::new`] is the one untyped door: a call of any method, with the answer type the caller
/// chooses (`serde_json::Value` takes any answer). It sends and batches like every typed call;
/// [`Client::call`](crate::Client::call) is its shorthand for one call.
///
/// ```no_run
/// # async fn demo(client: tcms_api::Client) -> Result<(), tcms_api::Error> {
/// use serde_json::{Value, json};
/// use tcms_api::Call;
///
/// let calls: Vec<Call<Value>> = ["Bug.details", "Markdown.render"]
///     .iter()
///     .map(|method| Call::new(*method, json!(["x"])))
///     .collect();
/// for answer in client.send_all(calls).await {
///     println!("{answer:?}");
/// }
/// # Ok(()) }
/// ```
/// [`Client::send`]: crate::Client::send
/// [`Client::send_all`]: crate::Client::send_all
pub struct Call<T> {
    pub(crate) raw: RawCall,
    answer: PhantomData<fn() -> T>,
}

/// A call without its answer type: what the transport sends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawCall {
    pub(crate) method: String,
    pub(crate) params: Value,
    pub(crate) idempotent: bool,
}

impl<T> Call<T> {
    /// A call of `method` with `params` (an array of positional arguments, or `null`), whose
    /// answer decodes to `T`: for methods the typed layer ([`crate::models`]) does not model.
    ///
    /// Whether it may be retried after a network fault is decided from the method name:
    /// reads, `*.update`, `add_case`, `add_tag` and `add_property` are retried; `*.create`,
    /// `add_comment`, `add_link`, `add_attachment` and `*.remove` are not (sending them
    /// twice makes two records). Override it with [`Call::retry_safe`].
    pub fn new(method: impl Into<String>, params: Value) -> Self {
        let method = method.into();
        let idempotent = is_idempotent(&method);
        Self {
            raw: RawCall {
                method,
                params,
                idempotent,
            },
            answer: PhantomData,
        }
    }

    /// Declares whether sending this call twice is harmless (then it is retried on network
    /// faults, 502/503/504 and 429).
    pub fn retry_safe(mut self, retry_safe: bool) -> Self {
        self.raw.idempotent = retry_safe;
        self
    }

    /// Whether the call is retried after a network fault.
    pub fn is_retry_safe(&self) -> bool {
        self.raw.idempotent
    }

    /// The method name.
    pub fn method(&self) -> &str {
        &self.raw.method
    }

    /// The parameters.
    pub fn params(&self) -> &Value {
        &self.raw.params
    }

    /// The same call with its answer decoded as another type (a record family's own
    /// struct, say, or `serde_json::Value` to read fields the models leave out).
    pub fn decode_as<U>(self) -> Call<U> {
        Call {
            raw: self.raw,
            answer: PhantomData,
        }
    }
}

impl<T> Clone for Call<T> {
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
            answer: PhantomData,
        }
    }
}

impl<T> PartialEq for Call<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.raw.method)
            .field("params", &self.raw.params)
            .field("retry_safe", &self.raw.idempotent)
            .field("answer", &std::any::type_name::<T>())
            .finish()
    }
}

/// Calls of different answer types sent together as JSON-RPC batches (cut by count and bytes,
/// a few requests in flight, like [`Client::send_all`](crate::Client::send_all)).
///
/// [`Batch::push`] returns a [`Slot`] that takes its answer, decoded, out of the
/// [`Answers`] of this batch:
///
/// ```no_run
/// # async fn demo(client: tcms_api::Client) -> Result<(), tcms_api::Error> {
/// use tcms_api::models::{Priorities, TestExecutionStatuses};
/// use tcms_api::{Batch, Query};
///
/// let mut batch = Batch::new();
/// let statuses = batch.push(TestExecutionStatuses::filter_call(Query::new()));
/// let priorities = batch.push(Priorities::filter_call(Query::new()));
/// let mut answers = client.send_batch(batch).await;
/// println!("{} statuses", answers.take(statuses)?.len());
/// println!("{} priorities", answers.take(priorities)?.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Batch {
    pub(crate) id: u64,
    pub(crate) calls: Vec<RawCall>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            calls: Vec::new(),
        }
    }

    /// Adds a call; its answer is taken with the returned slot.
    pub fn push<T>(&mut self, call: Call<T>) -> Slot<T> {
        self.calls.push(call.raw);
        Slot {
            batch: self.id,
            index: self.calls.len() - 1,
            answer: PhantomData,
        }
    }

    /// How many calls the batch holds.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// True when the batch holds no call.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}

impl Default for Batch {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the answer of one call of a [`Batch`] is: [`Answers::take`] decodes it.
#[derive(Debug)]
#[must_use = "a slot is how the call's answer is read"]
pub struct Slot<T> {
    batch: u64,
    index: usize,
    answer: PhantomData<fn() -> T>,
}

/// The answers of a [`Batch`], one per call, each taken (and decoded) once with its [`Slot`].
#[derive(Debug)]
pub struct Answers {
    pub(crate) batch: u64,
    pub(crate) answers: Vec<Option<(String, Result<Value, Error>)>>,
}

impl Answers {
    /// The answer of the call `slot` stands for, decoded.
    pub fn take<T: DeserializeOwned>(&mut self, slot: Slot<T>) -> Result<T, Error> {
        let missing = |message: &str| Error::Decode {
            method: "(batch)".into(),
            path: ".".into(),
            message: message.into(),
        };
        if slot.batch != self.batch {
            return Err(missing("the slot belongs to another batch"));
        }
        let (method, answer) = self
            .answers
            .get_mut(slot.index)
            .and_then(Option::take)
            .ok_or_else(|| missing("no answer for this slot"))?;
        decode(&method, answer?)
    }
}

/// Decodes a result, naming the JSON path that did not fit.
pub(crate) fn decode<T: DeserializeOwned>(method: &str, value: Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| Error::Decode {
        method: method.to_owned(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// True for methods that change nothing, or whose second call leaves the same state as the
/// first (measured on Kiwi 12.4 and 16.2: `TestPlan.add_case` and `TestRun.add_case` return the
/// existing row; `*.update` sets the same values again).
///
/// Not idempotent: `*.create`, `add_comment`, `add_link`, `add_attachment`, `*.remove`.
pub(crate) fn is_idempotent(method: &str) -> bool {
    let name = method.rsplit('.').next().unwrap_or(method);
    matches!(
        name,
        "filter"
            | "get_cases"
            | "get_comments"
            | "get_links"
            | "get_plans"
            | "get_cc"
            | "properties"
            | "list_attachments"
            | "version"
            | "listMethods"
            | "methodHelp"
            | "login"
            | "update"
            | "add_case"
            | "add_tag"
            | "remove_tag"
            | "add_property"
    )
}

#[derive(Serialize)]
pub(crate) struct Request<'a> {
    pub(crate) jsonrpc: &'static str,
    pub(crate) method: &'a str,
    pub(crate) params: &'a Value,
    pub(crate) id: u64,
}

impl<'a> Request<'a> {
    pub(crate) fn new(call: &'a RawCall, id: u64) -> Self {
        Self {
            jsonrpc: "2.0",
            method: &call.method,
            params: &call.params,
            id,
        }
    }
}

/// Reads one response object: `Ok(result)` or the error object as an [`RpcError`].
pub(crate) fn read_response(method: &str, response: &Value) -> Option<Result<Value, RpcError>> {
    let obj = response.as_object()?;
    if let Some(err) = obj.get("error").filter(|e| !e.is_null()) {
        let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("(no message)")
            .to_owned();
        return Some(Err(RpcError {
            method: method.to_owned(),
            code,
            message,
        }));
    }
    obj.get("result").map(|r| Ok(r.clone()))
}

/// How deep Kiwi HTML-escapes the strings of a JSON-RPC result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escaping {
    /// Kiwi before 16.2: the result if it is a string, the string values of a top-level dict,
    /// and the strings and dict string values inside a top-level list. Deeper strings are raw.
    Shallow,
    /// Kiwi 16.2 and later: every string at any depth.
    Deep,
}

/// Undoes Kiwi's escaping of a result in place.
pub(crate) fn unescape_result(value: &mut Value, escaping: Escaping) {
    match escaping {
        Escaping::Deep => unescape_deep(value),
        Escaping::Shallow => match value {
            Value::String(_) => unescape_string(value),
            Value::Object(map) => map.values_mut().for_each(unescape_string),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::String(_) => unescape_string(item),
                        Value::Object(map) => map.values_mut().for_each(unescape_string),
                        _ => {}
                    }
                }
            }
            _ => {}
        },
    }
}

fn unescape_string(value: &mut Value) {
    if let Value::String(s) = value
        && let Cow::Owned(o) = unescape_html(s)
    {
        *s = o;
    }
}

fn unescape_deep(value: &mut Value) {
    match value {
        Value::String(_) => unescape_string(value),
        Value::Array(items) => items.iter_mut().for_each(unescape_deep),
        Value::Object(map) => map.values_mut().for_each(unescape_deep),
        _ => {}
    }
}

/// Decodes the HTML character references Python's `html.escape` produces (`&lt; &gt; &amp;
/// &quot; &#x27;`), plus `&apos;` and any numeric reference. Unknown references stay as they
/// are. One pass: `&amp;lt;` becomes `&lt;`, as it was stored.
pub(crate) fn unescape_html(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        match decode_reference(tail) {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decodes the reference at the start of `s` (which starts with `&`): the character and the
/// number of bytes consumed.
fn decode_reference(s: &str) -> Option<(char, usize)> {
    let semi = s.bytes().take(12).position(|b| b == b';')?;
    let body = &s[1..semi];
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let num = body.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, semi + 1))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unescapes_what_python_escapes() {
        assert_eq!(
            unescape_html("a&lt;b&gt;c &amp; d&#x27;e&quot;f"),
            "a<b>c & d'e\"f"
        );
        assert_eq!(unescape_html("&amp;lt;"), "&lt;");
        assert_eq!(unescape_html("&#39;&#X41;&apos;"), "'A'");
        assert_eq!(unescape_html("AT&T & &unknown; &"), "AT&T & &unknown; &");
        assert_eq!(unescape_html("ünïcode &#128512;"), "ünïcode 😀");
        assert!(matches!(unescape_html("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn shallow_escaping_matches_kiwi_12() {
        let mut v = json!([{"summary": "a&lt;b", "properties": [{"name": "x&amp;y"}]}, "c&amp;d"]);
        unescape_result(&mut v, Escaping::Shallow);
        assert_eq!(
            v,
            json!([{"summary": "a<b", "properties": [{"name": "x&amp;y"}]}, "c&d"])
        );
        let mut v = json!({"a": "&quot;", "b": {"c": "&quot;"}});
        unescape_result(&mut v, Escaping::Shallow);
        assert_eq!(v, json!({"a": "\"", "b": {"c": "&quot;"}}));
    }

    #[test]
    fn deep_escaping_matches_kiwi_16() {
        let mut v = json!([{"summary": "a&lt;b", "properties": [{"name": "x&amp;y"}]}]);
        unescape_result(&mut v, Escaping::Deep);
        assert_eq!(
            v,
            json!([{"summary": "a<b", "properties": [{"name": "x&y"}]}])
        );
    }

    #[test]
    fn classifies_retry_safety() {
        assert!(is_idempotent("TestCase.filter"));
        assert!(is_idempotent("TestRun.add_case"));
        assert!(is_idempotent("TestExecution.update"));
        assert!(!is_idempotent("TestCase.create"));
        assert!(!is_idempotent("TestExecution.add_comment"));
        assert!(!is_idempotent("TestExecution.add_link"));
        assert!(
            Call::<Value>::new("TestCase.create", json!([]))
                .retry_safe(true)
                .is_retry_safe()
        );
        assert!(!Call::<Value>::new("TestCase.create", json!([])).is_retry_safe());
    }
}
