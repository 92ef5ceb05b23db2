//! The JSON-RPC client against the fake Kiwi TCMS: session handling, every error path,
//! batches, concurrency, retries and HTML unescaping.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use tcms_api::{Call, Client, Config, Error, USER_AGENT};
use tcms_test_kit::fake::{DEFAULT_PASSWORD, DEFAULT_USERNAME, FakeKiwi, Fault, RpcFault};

type TestResult = anyhow::Result<()>;

/// A fake of `version` that answers `Product.filter` with the product ids it was asked for.
async fn fake_with_products(version: &str) -> FakeKiwi {
    let fake = FakeKiwi::builder().version(version).start().await;
    fake.on("Product.filter", |params| {
        Ok(json!([{"id": params[0]["id"].clone(), "name": "P"}]))
    });
    fake
}

fn config_for(url: &str, password: &str) -> anyhow::Result<Config> {
    Ok(Config::builder()
        .url(url)
        .username(DEFAULT_USERNAME)
        .password(password)
        .config_files(Vec::new())
        .env(Vec::<(String, String)>::new())
        .load()?)
}

/// The methods and answer status of every HTTP request the fake got.
fn exchanges(fake: &FakeKiwi) -> Vec<(Vec<String>, u16)> {
    fake.http_requests()
        .iter()
        .map(|e| (e.methods(), e.status))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// --- session -----------------------------------------------------------------------------

#[tokio::test]
async fn logs_in_once_per_client_and_sends_the_session_cookie() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let client = fake.client()?;

    for id in 1..=3 {
        let found: Value = client.call("Product.filter", json!([{"id": id}])).await?;
        assert_eq!(found[0]["id"], id);
    }
    let many = client
        .send_all::<Value>(vec![
            Call::new("Product.filter", json!([{"id": 4}])),
            Call::new("Product.filter", json!([{"id": 5}])),
        ])
        .await;
    assert!(many.iter().all(Result::is_ok), "{many:?}");
    // A clone shares the session.
    let _: Value = client
        .clone()
        .call("Product.filter", json!([{"id": 6}]))
        .await?;

    assert_eq!(fake.logins(), 1);
    assert_eq!(
        fake.calls_to("Auth.login"),
        vec![json!([DEFAULT_USERNAME, DEFAULT_PASSWORD])]
    );
    let key = fake.session_keys().remove(0);
    let requests = fake.http_requests();
    assert_eq!(requests.len(), 1 + 3 + 1 + 1);
    assert_eq!(requests[0].methods()[0], "Auth.login");
    assert_eq!(requests[0].session(), None, "no cookie before the login");
    for request in &requests[1..] {
        assert_eq!(
            request.header("cookie"),
            Some(format!("sessionid={key}").as_str())
        );
        assert_eq!(request.status, 200);
    }
    assert_eq!(client.request_count(), 6);

    // Another client logs in by itself.
    let other = fake.client()?;
    let _: Value = other.call("Product.filter", json!([{"id": 7}])).await?;
    assert_eq!(fake.logins(), 2);
    fake.assert_no_unexpected();
    Ok(())
}

#[tokio::test]
async fn user_agent_names_the_crate_and_its_version() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let expected = format!("tcms-api-rs/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(USER_AGENT, expected);

    let _: Value = fake
        .client()?
        .call("Product.filter", json!([{"id": 1}]))
        .await?;
    let plugin = fake
        .client_builder()?
        .user_agent("tcms-junit-xml/9.9.9")
        .build()?;
    let _: Value = plugin.call("Product.filter", json!([{"id": 1}])).await?;

    let requests = fake.http_requests();
    assert_eq!(requests.len(), 4);
    for request in &requests[..2] {
        assert_eq!(request.header("user-agent"), Some(expected.as_str()));
    }
    for request in &requests[2..] {
        assert_eq!(
            request.header("user-agent"),
            Some(format!("tcms-junit-xml/9.9.9 {expected}").as_str())
        );
    }
    // The other headers of every request.
    let host = fake.uri().trim_start_matches("http://").to_owned();
    assert_eq!(requests[1].header("content-type"), Some("application/json"));
    assert_eq!(requests[1].header("accept"), Some("application/json"));
    assert_eq!(
        requests[1].header("referer"),
        Some(format!("Product.filter@{host}").as_str())
    );
    Ok(())
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_the_password() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let secret = "n0t-the-Passw0rd";
    let client = Client::builder()
        .config(config_for(&fake.uri(), secret)?)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()?;

    let err = client
        .call::<Value>("Product.filter", json!([{"id": 1}]))
        .await
        .expect_err("the login must fail");

    match &err {
        Error::Auth {
            username,
            url,
            message,
        } => {
            assert_eq!(username, DEFAULT_USERNAME);
            assert_eq!(url, &fake.endpoint());
            assert_eq!(message, "Internal error: Wrong username or password");
        }
        other => bail!("expected Error::Auth, got {other:?}"),
    }
    let shown = format!("{err} | {err:#} | {err:?}");
    assert!(!shown.contains(secret), "the password leaked: {shown}");
    assert!(shown.contains(DEFAULT_USERNAME), "{shown}");
    // Not retried, and nothing else was called.
    assert_eq!(fake.http_request_count(), 1);
    assert_eq!(fake.count("Product.filter"), 0);
    assert_eq!(fake.logins(), 0);
    Ok(())
}

/// An expired session is refused the way `version` refuses it; the client logs in again once
/// and sends the call again.
async fn logs_in_again_when_the_session_expires(version: &str, refused: u16) -> TestResult {
    let fake = FakeKiwi::builder().version(version).start().await;
    let mut runs = 0;
    fake.on("Product.filter", move |_| {
        runs += 1;
        Ok(json!([{"id": runs}]))
    });
    let client = fake.client()?;
    let first: Value = client.call("Product.filter", json!([{}])).await?;
    assert_eq!(first, json!([{"id": 1}]));

    fake.expire_sessions();
    fake.clear_log();
    let second: Value = client.call("Product.filter", json!([{}])).await?;

    // The refused call did not run: the handler ran once more, not twice.
    assert_eq!(second, json!([{"id": 2}]));
    assert_eq!(fake.logins(), 2);
    assert_eq!(
        exchanges(&fake),
        vec![
            (strings(&["Product.filter"]), refused),
            (strings(&["Auth.login"]), 200),
            (strings(&["Product.filter"]), 200),
        ]
    );
    let keys = fake.session_keys();
    let requests = fake.http_requests();
    assert_eq!(requests[0].session().as_ref(), Some(&keys[0]));
    assert_eq!(requests[2].session().as_ref(), Some(&keys[1]));
    fake.assert_no_unexpected();
    Ok(())
}

#[tokio::test]
async fn kiwi12_http_403_authentication_failure_logs_in_again() -> TestResult {
    logs_in_again_when_the_session_expires("12.4", 403).await
}

#[tokio::test]
async fn kiwi16_32098_authentication_failure_logs_in_again() -> TestResult {
    logs_in_again_when_the_session_expires("16.2", 200).await
}

#[tokio::test]
async fn a_session_refused_after_logging_in_again_is_an_auth_error() -> TestResult {
    for (version, message) in [
        (
            "12.4",
            "Internal error: Authentication failed when calling \"TestRun.filter\"",
        ),
        (
            "16.2",
            "Authentication failed when calling \"TestRun.filter\"",
        ),
    ] {
        let fake = FakeKiwi::builder().version(version).start().await;
        fake.on_value("TestRun.filter", json!([]));
        fake.deny("TestRun.filter");
        let client = fake.client()?;

        let err = client
            .call::<Value>("TestRun.filter", json!([{}]))
            .await
            .expect_err("a denied method stays denied");

        match &err {
            Error::Auth { message: m, .. } => assert_eq!(m, message, "{version}"),
            other => bail!("{version}: expected Error::Auth, got {other:?}"),
        }
        // One login, one re-login, two attempts: no loop.
        assert_eq!(fake.logins(), 2, "{version}");
        assert_eq!(fake.count("TestRun.filter"), 2, "{version}");
    }
    Ok(())
}

#[tokio::test]
async fn a_failing_re_login_is_an_auth_error() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let client = fake.client()?;
    client.login().await?;

    fake.set_password("changed on the server");
    fake.expire_sessions();
    let err = client
        .call::<Value>("Product.filter", json!([{"id": 1}]))
        .await
        .expect_err("the re-login must fail");

    match &err {
        Error::Auth { message, .. } => {
            assert_eq!(message, "Internal error: Wrong username or password");
        }
        other => bail!("expected Error::Auth, got {other:?}"),
    }
    assert_eq!(fake.logins(), 1);
    assert_eq!(fake.count("Auth.login"), 2);
    assert_eq!(fake.count("Product.filter"), 1);
    Ok(())
}

#[tokio::test]
async fn a_batch_logs_in_again_and_resends_only_the_refused_calls() -> TestResult {
    let fake = fake_with_products("16.2").await;
    fake.on_value("TestRun.filter", json!([]));
    fake.deny("TestRun.filter");
    let client = fake.client()?;
    client.login().await?;
    fake.expire_sessions();
    fake.clear_log();

    let results = client
        .send_all::<Value>(vec![
            Call::new("Product.filter", json!([{"id": 1}])),
            Call::new("TestRun.filter", json!([{}])),
            Call::new("Product.filter", json!([{"id": 3}])),
        ])
        .await;

    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().ok(),
        Some(&json!([{"id": 1, "name": "P"}]))
    );
    assert!(
        matches!(&results[1], Err(Error::Auth { message, .. })
            if message == "Authentication failed when calling \"TestRun.filter\""),
        "{:?}",
        results[1]
    );
    assert_eq!(
        results[2].as_ref().ok(),
        Some(&json!([{"id": 3, "name": "P"}]))
    );
    assert_eq!(fake.logins(), 2);
    let all = strings(&["Product.filter", "TestRun.filter", "Product.filter"]);
    assert_eq!(
        exchanges(&fake),
        vec![
            (all.clone(), 200),
            (strings(&["Auth.login"]), 200),
            (all, 200),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn concurrent_callers_with_an_expired_session_log_in_once() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let client = fake.client_builder()?.max_in_flight(4).build()?;
    client.login().await?;
    fake.expire_sessions();

    let mut set = tokio::task::JoinSet::new();
    for id in 0..6 {
        let client = client.clone();
        set.spawn(async move {
            client
                .call::<Value>("Product.filter", json!([{"id": id}]))
                .await
        });
    }
    while let Some(joined) = set.join_next().await {
        joined??;
    }
    assert_eq!(fake.logins(), 2);
    Ok(())
}

#[tokio::test]
async fn the_secure_cookie_flag_of_kiwi16_does_not_matter() -> TestResult {
    let fake = fake_with_products("16.2").await;
    let client = fake.client()?;
    for id in 1..=2 {
        let _: Value = client.call("Product.filter", json!([{"id": id}])).await?;
    }

    let requests = fake.http_requests();
    let set_cookie = requests[0]
        .response_header("set-cookie")
        .context("the login answer sets the cookie")?;
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
    assert!(fake.uri().starts_with("http://"));
    // Over plain http a cookie jar would withhold it; we send it ourselves.
    let key = &fake.session_keys()[0];
    for request in &requests[1..] {
        assert_eq!(request.session().as_ref(), Some(key));
        assert_eq!(request.status, 200);
    }
    assert_eq!(fake.logins(), 1);
    Ok(())
}

// --- JSON-RPC errors ---------------------------------------------------------------------

#[tokio::test]
async fn a_validation_error_is_an_rpc_error_with_field_errors() -> TestResult {
    let fake = FakeKiwi::start().await;
    fake.on_fault(
        "Product.create",
        RpcFault::validation(&[
            ("name", &["This field is required."]),
            ("classification", &["This field is required."]),
        ]),
    );
    let client = fake.client()?;

    let err = client
        .call::<Value>("Product.create", json!([{}]))
        .await
        .expect_err("a validation error");

    let Error::Rpc(rpc) = &err else {
        bail!("expected Error::Rpc, got {err:?}");
    };
    assert_eq!(rpc.method, "Product.create");
    assert_eq!(rpc.code, -32603);
    assert_eq!(
        rpc.field_errors(),
        vec![
            ("name".to_owned(), strings(&["This field is required."])),
            (
                "classification".to_owned(),
                strings(&["This field is required."])
            ),
        ]
    );
    assert!(!rpc.is_auth_failure());
    assert_eq!(fake.count("Product.create"), 1, "never sent twice");
    assert_eq!(fake.logins(), 1);
    Ok(())
}

#[tokio::test]
async fn a_missing_method_is_method_not_found() -> TestResult {
    let fake = FakeKiwi::start().await;
    fake.not_found("TestExecution.add_property");
    let client = fake.client()?;

    let err = client
        .call::<Value>("TestExecution.add_property", json!([1, "os", "linux"]))
        .await
        .expect_err("not on 12.4");

    let rpc = err.as_rpc().context("an RpcError")?;
    assert!(rpc.is_method_not_found(), "{rpc:?}");
    assert_eq!(
        rpc.message,
        "Method not found: \"TestExecution.add_property\""
    );
    assert_eq!(fake.count("TestExecution.add_property"), 1);
    assert!(fake.unexpected().is_empty());
    Ok(())
}

#[tokio::test]
async fn kiwi16_refused_filter_key_is_reported_as_such() -> TestResult {
    let fake = FakeKiwi::builder().version("16.2").start().await;
    fake.on_value("User.filter", json!([{"id": 2, "username": "admin"}]));
    let client = fake.client()?;

    let err = client
        .call::<Value>("User.filter", json!([{"password__startswith": "pbkdf2"}]))
        .await
        .expect_err("refused by Kiwi 16");
    let rpc = err.as_rpc().context("an RpcError")?;
    assert!(rpc.is_refused_field(), "{rpc:?}");
    assert_eq!(rpc.code, -32600);
    assert!(!rpc.is_auth_failure());
    assert_eq!(fake.logins(), 1, "not an authentication problem");

    // Other keys are fine.
    let users: Value = client
        .call("User.filter", json!([{"username": "admin"}]))
        .await?;
    assert_eq!(users[0]["id"], 2);
    Ok(())
}

#[tokio::test]
async fn a_malformed_or_unexpected_answer_is_a_decode_error() -> TestResult {
    let fake = FakeKiwi::start().await;
    fake.on_value("Product.filter", json!([{"id": 1, "name": 5}]));
    let client = fake.client()?;
    client.login().await?;

    // Truncated JSON at HTTP 200.
    fake.inject(
        Fault::status(200)
            .body(
                "application/json",
                r#"{"jsonrpc": "2.0", "result": [{"id": 1"#,
            )
            .for_method("Product.filter"),
    );
    let err = client
        .call::<Value>("Product.filter", json!([{}]))
        .await
        .expect_err("truncated");
    assert!(
        matches!(&err, Error::Decode { method, .. } if method == "Product.filter"),
        "{err:?}"
    );

    // JSON, but not JSON-RPC.
    fake.inject(
        Fault::status(200)
            .body("application/json", r#"{"detail": "hello"}"#)
            .for_method("Product.filter"),
    );
    let err = client
        .call::<Value>("Product.filter", json!([{}]))
        .await
        .expect_err("not JSON-RPC");
    assert!(matches!(&err, Error::Decode { .. }), "{err:?}");

    // A JSON-RPC result that does not fit the type: the error names the path.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Product {
        id: u64,
        name: String,
    }
    let err = client
        .call::<Vec<Product>>("Product.filter", json!([{}]))
        .await
        .expect_err("name is a number");
    match &err {
        Error::Decode { method, path, .. } => {
            assert_eq!(method, "Product.filter");
            assert_eq!(path, "[0].name");
        }
        other => bail!("expected Error::Decode, got {other:?}"),
    }
    // None of them was retried.
    assert_eq!(fake.http_request_count(), 1 + 3);
    Ok(())
}

#[tokio::test]
async fn a_non_json_500_page_is_an_http_error() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let client = fake.client()?;
    client.login().await?;
    fake.clear_log();
    fake.inject(Fault::status(500).for_method("Product.filter"));

    let err = client
        .call::<Value>("Product.filter", json!([{"id": 1}]))
        .await
        .expect_err("HTTP 500");

    match &err {
        Error::Http {
            method,
            url,
            status,
            body,
        } => {
            assert_eq!(method, "Product.filter");
            assert_eq!(url, &fake.endpoint());
            assert_eq!(*status, 500);
            assert!(body.contains("500 Internal Server Error"), "{body}");
        }
        other => bail!("expected Error::Http, got {other:?}"),
    }
    assert!(!err.is_ambiguous());
    assert_eq!(fake.http_request_count(), 1, "a 500 is not retried");
    Ok(())
}

// --- HTML escaping -----------------------------------------------------------------------

/// What the handler returns is what Kiwi stored; the client must hand back exactly that.
async fn strings_come_back_as_stored(version: &str) -> TestResult {
    let stored = json!([{
        "id": 1,
        "summary": "a<b & 'c' \"d\"",
        "notes": "AT&amp;T, stored literally",
        // Multi-byte text right after an escaped `&` (once a slicing panic in the unescaper).
        "text": "A&中文测试 R&éééééé",
        "properties": [{"name": "x&y", "value": "&lt;literal&gt;"}],
        "tag": ["<t>"],
    }]);
    let fake = FakeKiwi::builder().version(version).start().await;
    fake.on_value("TestRun.add_case", stored.clone());
    fake.on_value("Tag.name", json!("<b>Tom & 'Jerry'</b>"));
    let client = fake.client()?;

    let got: Value = client.call("TestRun.add_case", json!([1, 2])).await?;
    assert_eq!(got, stored, "{version}");
    let one: String = client.call("Tag.name", json!([])).await?;
    assert_eq!(one, "<b>Tom & 'Jerry'</b>", "{version}");
    let batch = client
        .send_all::<Value>(vec![
            Call::new("TestRun.add_case", json!([1, 2])),
            Call::new("Tag.name", json!([])),
        ])
        .await;
    assert_eq!(batch[0].as_ref().ok(), Some(&stored), "{version}");
    assert_eq!(
        batch[1].as_ref().ok(),
        Some(&json!("<b>Tom & 'Jerry'</b>")),
        "{version}"
    );
    Ok(())
}

#[tokio::test]
async fn kiwi12_shallow_escaping_is_undone_exactly() -> TestResult {
    strings_come_back_as_stored("12.4").await
}

#[tokio::test]
async fn kiwi16_deep_escaping_is_undone_exactly() -> TestResult {
    strings_come_back_as_stored("16.2").await
}

// --- batches and concurrency -------------------------------------------------------------

#[tokio::test]
async fn a_batch_keeps_order_and_isolates_a_failing_call() -> TestResult {
    let fake = fake_with_products("12.4").await;
    fake.on_fault("Product.create", RpcFault::duplicate("Product", "name"));
    let client = fake.client()?;
    client.login().await?;
    fake.clear_log();

    let results = client
        .send_all::<Value>(vec![
            Call::new("Product.filter", json!([{"id": 1}])),
            Call::new(
                "Product.create",
                json!([{"name": "P", "classification": 1}]),
            ),
            Call::new("Product.filter", json!([{"id": 3}])),
        ])
        .await;

    assert_eq!(
        results[0].as_ref().ok(),
        Some(&json!([{"id": 1, "name": "P"}]))
    );
    match &results[1] {
        Err(Error::Rpc(e)) => {
            assert_eq!(e.method, "Product.create");
            assert!(e.is_duplicate(), "{e:?}");
        }
        other => bail!("expected an RpcError, got {other:?}"),
    }
    assert_eq!(
        results[2].as_ref().ok(),
        Some(&json!([{"id": 3, "name": "P"}]))
    );

    let requests = fake.http_requests();
    assert_eq!(requests.len(), 1, "one HTTP request for the batch");
    assert_eq!(
        requests[0].body_json(),
        Some(json!([
            {"jsonrpc": "2.0", "method": "Product.filter", "params": [{"id": 1}], "id": 1},
            {"jsonrpc": "2.0", "method": "Product.create",
             "params": [{"name": "P", "classification": 1}], "id": 2},
            {"jsonrpc": "2.0", "method": "Product.filter", "params": [{"id": 3}], "id": 3},
        ]))
    );
    Ok(())
}

/// Checks every batch request: ids 1..=n; returns the batch sizes, sorted.
fn batch_sizes(fake: &FakeKiwi) -> anyhow::Result<Vec<usize>> {
    let mut sizes = Vec::new();
    for request in fake.http_requests() {
        let Some(Value::Array(items)) = request.body_json() else {
            bail!("not a batch: {request:?}");
        };
        let ids: Vec<u64> = items.iter().filter_map(|i| i["id"].as_u64()).collect();
        assert_eq!(ids, (1..=items.len() as u64).collect::<Vec<_>>());
        sizes.push(items.len());
    }
    sizes.sort_unstable();
    Ok(sizes)
}

#[tokio::test]
async fn batches_are_cut_by_call_count() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let client = fake.client_builder()?.max_batch_calls(3).build()?;
    client.login().await?;
    fake.clear_log();

    let calls = (1..=7)
        .map(|id| Call::new("Product.filter", json!([{"id": id}])))
        .collect();
    let results = client.send_all::<Value>(calls).await;

    let ids: Vec<Value> = results
        .into_iter()
        .map(|r| r.map(|v| v[0]["id"].clone()))
        .collect::<Result<_, _>>()?;
    assert_eq!(ids, (1..=7).map(|i| json!(i)).collect::<Vec<_>>());
    assert_eq!(batch_sizes(&fake)?, vec![1, 3, 3]);
    assert_eq!(fake.count("Product.filter"), 7);
    Ok(())
}

#[tokio::test]
async fn batches_are_cut_by_bytes_and_a_big_call_goes_alone() -> TestResult {
    const LIMIT: usize = 2500;
    let fake = FakeKiwi::start().await;
    fake.on("TestExecution.add_comment", |params| {
        Ok(json!({"id": params[0].clone(), "len": params[1].as_str().map_or(0, str::len)}))
    });
    let client = fake.client_builder()?.max_batch_bytes(LIMIT).build()?;
    client.login().await?;
    fake.clear_log();

    // One element is ~1,070 bytes: two fit in 2,500, three do not; the 3,000-byte one does
    // not fit at all and is sent alone.
    let lens = [1000, 1000, 3000, 1000, 1000, 1000];
    let calls = lens
        .iter()
        .enumerate()
        .map(|(i, &len)| Call::new("TestExecution.add_comment", json!([i, "x".repeat(len)])))
        .collect();
    let results = client.send_all::<Value>(calls).await;

    for (i, (result, len)) in results.iter().zip(lens).enumerate() {
        assert_eq!(result.as_ref().ok(), Some(&json!({"id": i, "len": len})));
    }
    assert_eq!(batch_sizes(&fake)?, vec![1, 1, 2, 2]);
    for request in fake.http_requests() {
        let body = &request.request.body;
        assert!(
            body.len() <= LIMIT || request.methods().len() == 1,
            "{} bytes in a batch of {}",
            body.len(),
            request.methods().len()
        );
    }
    Ok(())
}

#[tokio::test]
async fn requests_in_flight_are_bounded() -> TestResult {
    for (limit, expect_at_least, expect_at_most) in [(2, 2, 2), (4, 3, 4)] {
        let fake = fake_with_products("12.4").await;
        let client = fake
            .client_builder()?
            .max_batch_calls(1)
            .max_in_flight(limit)
            .build()?;
        client.login().await?;
        fake.clear_log();
        fake.delay_method("Product.filter", Duration::from_millis(100));

        let calls = (1..=8)
            .map(|id| Call::new("Product.filter", json!([{"id": id}])))
            .collect();
        let results = client.send_all::<Value>(calls).await;

        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(fake.http_request_count(), 8);
        let seen = fake.max_concurrency();
        assert!(
            (expect_at_least..=expect_at_most).contains(&seen),
            "max_in_flight({limit}): {seen} requests at once"
        );
    }
    Ok(())
}

// --- transport faults and retries --------------------------------------------------------

#[tokio::test]
async fn a_slow_answer_is_a_timeout() -> TestResult {
    let fake = fake_with_products("12.4").await;
    fake.on_value("TestCase.create", json!({"id": 1}));
    let client = fake
        .client_builder()?
        .timeout(Duration::from_millis(300))
        .max_retries(1)
        .build()?;
    client.login().await?;
    fake.clear_log();
    fake.delay_method("Product.filter", Duration::from_secs(5));
    fake.delay_method("TestCase.create", Duration::from_secs(5));

    // A read is retried once, then gives up.
    let started = Instant::now();
    let err = client
        .call::<Value>("Product.filter", json!([{"id": 1}]))
        .await
        .expect_err("too slow");
    match &err {
        Error::Timeout { method, url, .. } => {
            assert_eq!(method, "Product.filter");
            assert_eq!(url, &fake.endpoint());
        }
        other => bail!("expected Error::Timeout, got {other:?}"),
    }
    assert!(err.is_ambiguous());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.count("Product.filter"), 2);

    // A write is not sent again: it may have run.
    let err = client
        .call::<Value>("TestCase.create", json!([{"summary": "s"}]))
        .await
        .expect_err("too slow");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(fake.count("TestCase.create"), 1);
    Ok(())
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() -> TestResult {
    // A port that was free a moment ago and that nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let client = Client::builder()
        .config(config_for(&url, "pw")?)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .max_retries(2)
        .build()?;

    let err = client
        .call::<Value>("TestCase.create", json!([{}]))
        .await
        .expect_err("nobody listens");

    match &err {
        Error::Transport { url: u, source, .. } => {
            assert_eq!(u, &format!("{url}/json-rpc/"));
            assert!(source.is_connect(), "{source:?}");
        }
        other => bail!("expected Error::Transport, got {other:?}"),
    }
    assert!(!err.is_ambiguous(), "nothing reached the server");
    assert!(!err.to_string().contains("pw"));
    assert_eq!(client.request_count(), 3, "1 + 2 retries");

    // In a batch every call gets the error.
    let results = client
        .send_all::<Value>(vec![
            Call::new("TestCase.create", json!([{}])),
            Call::new("Product.filter", json!([{}])),
        ])
        .await;
    assert_eq!(results.len(), 2);
    for result in results {
        let err = result.expect_err("nobody listens");
        assert!(
            err.to_string()
                .contains(&format!("cannot reach {url}/json-rpc/")),
            "{err}"
        );
    }
    assert_eq!(client.request_count(), 6);
    Ok(())
}

#[tokio::test]
async fn a_502_on_a_read_is_retried() -> TestResult {
    let fake = fake_with_products("12.4").await;
    let client = fake.client()?;
    client.login().await?;
    fake.clear_log();
    fake.inject(Fault::status(502).for_method("Product.filter"));

    let found: Value = client.call("Product.filter", json!([{"id": 1}])).await?;

    assert_eq!(found[0]["id"], 1);
    assert_eq!(
        exchanges(&fake),
        vec![
            (strings(&["Product.filter"]), 502),
            (strings(&["Product.filter"]), 200),
        ]
    );
    assert_eq!(client.request_count(), 3, "login + 2");
    Ok(())
}

#[tokio::test]
async fn a_502_on_a_write_is_not_sent_twice() -> TestResult {
    let fake = FakeKiwi::start().await;
    fake.on("TestCase.create", |params| {
        Ok(json!({"id": 7, "summary": params[0]["summary"].clone()}))
    });
    let client = fake.client()?;
    client.login().await?;
    fake.clear_log();
    // The backend created the case, then the proxy answered 502.
    fake.inject(
        Fault::status(502)
            .for_method("TestCase.create")
            .after_running()
            .times(5),
    );

    let err = client
        .call::<Value>("TestCase.create", json!([{"summary": "s"}]))
        .await
        .expect_err("502");

    assert!(
        matches!(&err, Error::Http { status: 502, method, .. } if method == "TestCase.create"),
        "{err:?}"
    );
    assert!(err.is_ambiguous(), "the write may have happened");
    assert_eq!(fake.http_request_count(), 1);
    assert_eq!(fake.count("TestCase.create"), 1);
    Ok(())
}

#[tokio::test]
async fn a_503_or_429_on_a_write_is_retried() -> TestResult {
    let fake = FakeKiwi::start().await;
    fake.on("TestCase.create", |params| {
        Ok(json!({"id": 7, "summary": params[0]["summary"].clone()}))
    });
    let client = fake.client()?;
    client.login().await?;
    fake.clear_log();

    // 503: turned away before running.
    fake.inject(Fault::status(503).for_method("TestCase.create"));
    let created: Value = client
        .call("TestCase.create", json!([{"summary": "s"}]))
        .await?;
    assert_eq!(created, json!({"id": 7, "summary": "s"}));
    assert_eq!(
        exchanges(&fake),
        vec![
            (strings(&["TestCase.create"]), 503),
            (strings(&["TestCase.create"]), 200),
        ]
    );
    assert_eq!(fake.count("TestCase.create"), 1, "ran once");

    // 429 with Retry-After: the client waits as told (the backoff alone is 1-5 ms).
    fake.clear_log();
    fake.inject(
        Fault::status(429)
            .header("Retry-After", "1")
            .for_method("TestCase.create"),
    );
    let started = Instant::now();
    let _: Value = client
        .call("TestCase.create", json!([{"summary": "t"}]))
        .await?;
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        exchanges(&fake)
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        vec![429, 200]
    );
    assert_eq!(fake.count("TestCase.create"), 1);
    Ok(())
}

#[tokio::test]
async fn a_redirect_is_reported_not_followed() -> TestResult {
    let fake = fake_with_products("16.2").await;
    fake.redirect_to_https();
    let client = fake.client()?;

    let err = client
        .call::<Value>("Product.filter", json!([{"id": 1}]))
        .await
        .expect_err("redirected");

    let https = fake.endpoint().replacen("http://", "https://", 1);
    match &err {
        Error::Redirect {
            url,
            location,
            status,
            ..
        } => {
            assert_eq!(url, &fake.endpoint());
            assert_eq!(location, &https);
            assert_eq!(*status, 301);
        }
        other => bail!("expected Error::Redirect, got {other:?}"),
    }
    assert!(err.to_string().contains(&https), "{err}");
    assert_eq!(fake.http_request_count(), 1, "neither followed nor retried");
    assert_eq!(fake.count("Auth.login"), 0);
    Ok(())
}
