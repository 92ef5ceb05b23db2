//! Tests of the fake's protocol behaviour.
use serde_json::{Value, json};

use super::responder::*;
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

const FILTER: &str = r#"{"jsonrpc": "2.0", "method": "Product.filter", "params": [{}], "id": 7}"#;

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
