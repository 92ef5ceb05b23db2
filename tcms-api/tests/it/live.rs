//! Live reporting on the in-memory Kiwi: planned tests IDLE up front, RUNNING while they run,
//! a comment on a test that runs too long, and an interrupted suite marked.

use std::time::Duration;

use tcms_api::live::{LiveOptions, LiveReporter};
use tcms_api::report::{Attempt, Options, Outcome, PluginInfo, Settings, TestResult};
use tcms_test_kit::fake::FakeKiwi;
use tcms_test_kit::kiwi::Kiwi;

fn settings() -> Settings {
    Settings::from_vars(
        PluginInfo::new("live-test", "0.1.0", "[live]"),
        [
            ("TCMS_PRODUCT", "P"),
            ("TCMS_PRODUCT_VERSION", "v1"),
            ("TCMS_BUILD", "b1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .unwrap()
}

fn named(name: &str) -> TestResult {
    TestResult::new(name, Attempt::new(Outcome::Passed))
}

/// The statuses of the run's executions by case summary.
fn statuses(kiwi: &Kiwi) -> Vec<(String, String)> {
    let db = kiwi.db();
    let mut out: Vec<(String, String)> = db
        .executions
        .iter()
        .map(|e| {
            (
                db.case_summary(e.case).unwrap_or("?").to_owned(),
                db.status_name(e.status).unwrap_or("?").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn wait_for(kiwi: &Kiwi, want: &[(&str, &str)]) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    for _ in 0..100 {
        if statuses(kiwi) == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(statuses(kiwi), want);
}

/// A fake Kiwi TCMS of `version` with one classification, and the runtime it runs on.
fn fake_kiwi(version: &str) -> (tokio::runtime::Runtime, FakeKiwi, Kiwi) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(FakeKiwi::builder().version(version).start());
    let kiwi = Kiwi::install(&fake);
    kiwi.db()
        .call("Classification.create", serde_json::json!([{"name": "C"}]))
        .unwrap();
    (runtime, fake, kiwi)
}

#[test]
fn planned_running_slow_and_interrupted() {
    for version in ["12.4", "16.2"] {
        let (_runtime, fake, kiwi) = fake_kiwi(version);
        let client = fake.client().unwrap();
        let options = LiveOptions::new(
            PluginInfo::new("live-test", "0.1.0", "[live]"),
            Options::new().concurrent_wait(Duration::from_millis(100)),
        )
        .with_client(client, settings())
        .eager(true)
        .batches(50, Duration::from_millis(100))
        .slow_after(Some(Duration::from_millis(300)));
        let live = LiveReporter::spawn(options);
        let sink = live.sink().unwrap();
        sink.plan(vec![named("t.a"), named("t.b"), named("t.c")]);
        wait_for(&kiwi, &[("t.a", "IDLE"), ("t.b", "IDLE"), ("t.c", "IDLE")]);
        sink.started(named("t.a"));
        wait_for(
            &kiwi,
            &[("t.a", "RUNNING"), ("t.b", "IDLE"), ("t.c", "IDLE")],
        );
        sink.send(named("t.a"));
        sink.started(named("t.b"));
        wait_for(
            &kiwi,
            &[("t.a", "PASSED"), ("t.b", "RUNNING"), ("t.c", "IDLE")],
        );
        // t.b hangs: a comment says so, once.
        std::thread::sleep(Duration::from_millis(700));
        {
            let db = kiwi.db();
            let comments: Vec<&str> = db.comments.iter().map(|c| c.text.as_str()).collect();
            assert_eq!(comments.len(), 1, "{version}: {comments:?}");
            assert!(comments[0].contains("still running"), "{comments:?}");
        }
        sink.interrupt("SIGTERM");
        drop(sink);
        let report = live.finish(Some(Duration::from_secs(10)));
        assert!(report.interrupted, "{report:?}");
        assert!(report.errors.is_empty(), "{report:?}");
        assert_eq!(
            statuses(&kiwi),
            [
                ("t.a".to_owned(), "PASSED".to_owned()),
                ("t.b".to_owned(), "ERROR".to_owned()),
                ("t.c".to_owned(), "BLOCKED".to_owned()),
            ],
            "{version}"
        );
        let db = kiwi.db();
        let notes = &db.runs[0].notes;
        assert!(notes.contains("interrupted (SIGTERM)"), "{notes}");
        assert!(notes.contains("1 of 3 planned test(s) reported"), "{notes}");
        assert_eq!(report.latencies.len(), 1);
    }
}

fn run_notes(kiwi: &Kiwi) -> String {
    kiwi.db()
        .runs
        .first()
        .map(|r| r.notes.clone())
        .unwrap_or_default()
}

fn wait_for_notes(kiwi: &Kiwi, want: &str) {
    for _ in 0..100 {
        if run_notes(kiwi).contains(want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{want:?} not in the notes: {:?}", run_notes(kiwi));
}

/// Notes and planned counts are written as they happen; a name reported twice (a failure,
/// then its details) counts once; a lone result after a quiet time does not wait for the
/// batch interval; a running test that was never planned by name is marked when interrupted.
#[test]
fn notes_counts_quiet_results_and_unplanned_running_tests() {
    for version in ["12.4", "16.2"] {
        let (_runtime, fake, kiwi) = fake_kiwi(version);
        let client = fake.client().unwrap();
        let interval = Duration::from_secs(2);
        let options = LiveOptions::new(
            PluginInfo::new("live-test", "0.1.0", "[live]"),
            Options::new().concurrent_wait(Duration::from_millis(100)),
        )
        .with_client(client, settings())
        .eager(true)
        .batches(50, interval)
        .slow_after(None);
        let live = LiveReporter::spawn(options);
        let sink = live.sink().unwrap();
        let began = std::time::Instant::now();
        sink.planned(3);
        wait_for_notes(&kiwi, "progress: 0 of 3 planned test(s) reported");
        assert!(
            began.elapsed() < interval,
            "the first batch goes out at once"
        );
        // Quiet for longer than the interval: the next one goes out at once too.
        std::thread::sleep(interval);
        sink.note("Bail out! no database");
        let noted = std::time::Instant::now();
        wait_for_notes(&kiwi, "Bail out! no database");
        assert!(noted.elapsed() < interval / 2, "{:?}", noted.elapsed());
        std::thread::sleep(interval);
        let mut bare = Attempt::new(Outcome::Failed);
        bare.message = None;
        sink.send(TestResult::new("t.x", bare));
        let mut full = Attempt::new(Outcome::Failed);
        full.message = Some("boom".into());
        full.details = Some("the details".into());
        sink.send(TestResult::new("t.x", full));
        wait_for(&kiwi, &[("t.x", "FAILED")]);
        wait_for_notes(&kiwi, "progress: 1 of 3 planned test(s) reported");
        sink.started(named("t.y"));
        wait_for(&kiwi, &[("t.x", "FAILED"), ("t.y", "RUNNING")]);
        sink.interrupt("SIGINT");
        let report = live.finish(Some(Duration::from_secs(10)));
        drop(sink);
        assert!(report.interrupted, "{report:?}");
        assert!(report.errors.is_empty(), "{report:?}");
        // The status sent ahead and its text: one result when they went in one batch.
        assert!(
            (1..=2).contains(&report.latencies.len()),
            "{:?}",
            report.latencies
        );
        // (The text may miss that batch by a hair on a busy machine and wait for the next:
        // one batch per interval while results keep coming.)
        assert!(
            report.latencies[0] < interval,
            "a result after a quiet time is not held for the interval: {:?}",
            report.latencies
        );
        assert_eq!(
            statuses(&kiwi),
            [
                ("t.x".to_owned(), "FAILED".to_owned()),
                ("t.y".to_owned(), "ERROR".to_owned()),
            ],
            "{version}"
        );
        let notes = run_notes(&kiwi);
        assert!(notes.contains("Bail out! no database"), "{notes}");
        assert!(
            notes.contains("interrupted (SIGINT): 1 test(s) did not run to the end"),
            "{notes}"
        );
        assert!(notes.contains("1 of 3 planned test(s) reported"), "{notes}");
        assert!(!notes.contains("progress:"), "{notes}");
        let db = kiwi.db();
        let comments: Vec<&str> = db.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(comments.len(), 2, "{comments:?}");
        assert!(comments[0].contains("the details"), "{comments:?}");
        assert!(
            !comments[0].contains("[result"),
            "the status sent ahead and its text are one result: {comments:?}"
        );
        assert!(
            comments[1].contains("interrupted while running"),
            "{comments:?}"
        );
    }
}

/// A burst is sent in a few growing batches (50, 100, 200, 400, then the rest), not in twenty
/// of 50; every result lands once, and a lone result after it goes alone again.
#[test]
fn a_burst_goes_in_growing_batches() {
    let (_runtime, fake, kiwi) = fake_kiwi("16.2");
    let client = fake.client().unwrap();
    let options = LiveOptions::new(
        PluginInfo::new("live-test", "0.1.0", "[live]"),
        Options::new().concurrent_wait(Duration::from_millis(100)),
    )
    .with_client(client, settings())
    .batches(50, Duration::from_millis(100))
    .slow_after(None);
    let live = LiveReporter::spawn(options);
    let sink = live.sink().unwrap();
    for i in 0..1000 {
        sink.send(named(&format!("t.{i:04}")));
    }
    // Until all of them are in, then one more on its own.
    for _ in 0..600 {
        if kiwi.db().executions.len() == 1000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(kiwi.db().executions.len(), 1000);
    std::thread::sleep(Duration::from_millis(300));
    sink.send(named("t.late"));
    drop(sink);
    let report = live.finish(Some(Duration::from_secs(30)));
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.latencies.len(), 1001);
    assert_eq!(kiwi.db().executions.len(), 1001);
    // 50 + 100 + 200 + 400 + 250, one or two more if the first went out before the burst was
    // all queued; the late one alone. Twenty of 50 without the growth.
    assert!(
        (6..=8).contains(&report.batches),
        "{} batches",
        report.batches
    );
    assert!(
        report
            .latency_line()
            .unwrap()
            .ends_with(&format!("; in {} batch(es)", report.batches)),
        "{:?}",
        report.latency_line()
    );
}
