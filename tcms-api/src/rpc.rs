//! The JSON-RPC 2.0 envelope, Kiwi's HTML escaping, and which methods are safe to retry.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::error::RpcError;

/// One JSON-RPC call: a method name and its parameters.
///
/// Parameters are positional (a JSON array) as Kiwi documents them; `Call::new("TestRun.add_case",
/// json!([run, case]))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub(crate) method: String,
    pub(crate) params: Value,
    pub(crate) idempotent: bool,
}

impl Call {
    /// A call of `method` with `params` (an array of positional arguments, or `null`).
    ///
    /// Whether it may be retried after a network fault is decided from the method name (see
    /// [`is_idempotent`]); override it with [`Call::idempotent`].
    pub fn new(method: impl Into<String>, params: Value) -> Self {
        let method = method.into();
        let idempotent = is_idempotent(&method);
        Self {
            method,
            params,
            idempotent,
        }
    }

    /// Declares whether sending this call twice is harmless (then it is retried on network
    /// faults, 502/503/504 and 429).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// The method name.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The parameters.
    pub fn params(&self) -> &Value {
        &self.params
    }
}

/// True for methods that change nothing, or whose second call leaves the same state as the
/// first (measured on Kiwi 12.4 and 16.2: `TestPlan.add_case` and `TestRun.add_case` return the
/// existing row; `*.update` sets the same values again).
///
/// Not idempotent: `*.create`, `add_comment`, `add_link`, `add_attachment`, `*.remove`.
pub fn is_idempotent(method: &str) -> bool {
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
    pub(crate) fn new(call: &'a Call, id: u64) -> Self {
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
pub fn unescape_html(s: &str) -> Cow<'_, str> {
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
            Call::new("TestCase.create", json!([]))
                .idempotent(true)
                .idempotent
        );
    }
}
