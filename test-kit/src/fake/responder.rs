//! The one wiremock responder: decodes a request or batch, dispatches each call, and answers
//! as Kiwi 12.4 or 16.x does (sessions, escaping, protocol errors, injected faults).

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::*;

/// An HTTP answer before it becomes a wiremock template.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(String, String)>,
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
pub(crate) struct Exchange {
    /// A valid session: from the cookie, or from an `Auth.login` earlier in the batch.
    pub(crate) authenticated: bool,
    /// The key to send in `Set-Cookie`, after a successful login.
    pub(crate) new_session: Option<String>,
}

/// The wiremock responder behind `POST /json-rpc/`.
pub(crate) struct Responder {
    pub(crate) shared: Arc<Shared>,
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
pub(crate) fn new_session_key(serial: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = format!("{serial:06}");
    while key.len() < 32 {
        key.push(char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]));
    }
    key
}

pub(crate) fn is_auth_refusal(fault: &RpcFault) -> bool {
    fault.code == AUTH_FAILED
        || (fault.code == INTERNAL_ERROR
            && fault
                .message
                .starts_with("Internal error: Authentication failed"))
}

pub(crate) fn error_object(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

/// Kiwi 16 refuses secret-looking top-level keys of positional object arguments, except in
/// `*.create` and `*.update`.
pub(crate) fn refuses_filter_keys(method: &str, params: &Value) -> bool {
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
pub(crate) fn session_cookie(request: &Request) -> Option<String> {
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
pub(crate) fn methods_of(body: &Value) -> Vec<String> {
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
pub(crate) fn escape_result(value: &mut Value, deep: bool) {
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
