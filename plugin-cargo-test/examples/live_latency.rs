//! A harness of many fast trials, for `scripts/bench/live.py`: how long a trial's start and
//! result take to land in Kiwi TCMS while the suite runs (`TCMS_REPORT=1`).
//!
//! ```text
//! TCMS_REPORT=1 BENCH_TRIALS=1000 BENCH_WORK_MS=0 BENCH_OUT=times.json \
//!     cargo run --release -p tcms-cargo-test --example live_latency -- --test-threads=2
//! ```
//!
//! Writes to `BENCH_OUT` (JSON): when each trial started and ended (Unix seconds), and the live
//! report's own latencies (from the hand-over to the reporting thread to Kiwi's answer), in
//! seconds.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tcms_cargo_test::{Arguments, Reporting, Trial};

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let count = env_number("BENCH_TRIALS", 1000);
    let work = Duration::from_millis(env_number("BENCH_WORK_MS", 0));
    let times: Arc<Mutex<Vec<(String, f64, f64)>>> = Arc::default();
    let trials = (0..count)
        .map(|i| {
            let name = format!("t{i:04}");
            let times = Arc::clone(&times);
            Trial::test(name.clone(), move || {
                let started = unix_now();
                std::thread::sleep(work);
                let ended = unix_now();
                if let Ok(mut times) = times.lock() {
                    times.push((name, started, ended));
                }
                Ok(())
            })
        })
        .collect();
    let conclusion = tcms_cargo_test::run(&args, trials);
    let (latencies, running) = match &conclusion.reporting {
        Reporting::Done(report) => (report.latencies.clone(), report.running_latencies.clone()),
        _ => (Vec::new(), Vec::new()),
    };
    let seconds =
        |list: &[Duration]| -> Vec<f64> { list.iter().map(Duration::as_secs_f64).collect() };
    let trials: Vec<serde_json::Value> = times
        .lock()
        .map(|t| t.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, started, ended)| {
            serde_json::json!({"name": name, "started": started, "ended": ended})
        })
        .collect();
    let doc = serde_json::json!({
        "trials": trials,
        "latencies": seconds(&latencies),
        "running_latencies": seconds(&running),
    });
    if let Some(path) = std::env::var_os("BENCH_OUT")
        && let Err(e) = std::fs::write(&path, doc.to_string())
    {
        eprintln!("live_latency: cannot write {}: {e}", path.to_string_lossy());
        return ExitCode::FAILURE;
    }
    conclusion.exit_code()
}
