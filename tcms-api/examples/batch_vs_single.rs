//! Measures N `TestCase.filter` calls sent one per request, one at a time, against the same
//! calls sent with `Client::send_all` (JSON-RPC batches, a few requests in flight).
//!
//! Usage: `cargo run --release -p tcms-api --example batch_vs_single -- [N]` with the Kiwi
//! TCMS configuration in `~/.tcms.conf` or `TCMS_API_URL`/`TCMS_USERNAME`/`TCMS_PASSWORD`.
//! Read-only: it changes nothing on the server.

use std::time::Instant;

use tcms_api::models::{TestCase, TestCases};
use tcms_api::{Call, Client, Config, Query};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1000);
    let client = Client::new(Config::load()?)?;
    let version = client.server_version().await?;
    let calls = |n: usize| -> Vec<Call<Vec<TestCase>>> {
        (0..n)
            .map(|i| {
                TestCases::filter_call(Query::new().eq("summary", format!("no-such-case-{i}")))
            })
            .collect()
    };

    let before = client.request_count();
    let started = Instant::now();
    for call in calls(n) {
        client.send(call).await?;
    }
    let single = started.elapsed();
    let single_requests = client.request_count() - before;

    let before = client.request_count();
    let started = Instant::now();
    for result in client.send_all(calls(n)).await {
        result?;
    }
    let batched = started.elapsed();
    let batched_requests = client.request_count() - before;

    println!("Kiwi TCMS {} at {}", version.as_str(), client.base_url());
    println!("| mode | calls | HTTP requests | seconds | ms per call |");
    println!("|---|---|---|---|---|");
    for (mode, time, requests) in [
        ("one call per request, sequential", single, single_requests),
        ("send_all: batches, 4 in flight", batched, batched_requests),
    ] {
        println!(
            "| {mode} | {n} | {requests} | {:.2} | {:.2} |",
            time.as_secs_f64(),
            time.as_secs_f64() * 1000.0 / n as f64
        );
    }
    println!(
        "speed-up: {:.1}x",
        single.as_secs_f64() / batched.as_secs_f64()
    );
    Ok(())
}
