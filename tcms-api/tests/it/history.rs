//! The history readers (`tcms_api::history`) against the in-memory Kiwi TCMS: results are
//! reported through the real engine, with profiles, then read back.

use std::time::Duration;

use anyhow::Context;
use chrono::{TimeZone, Utc};
use tcms_api::history::{Class, History, HistoryError, Scope, split};
use tcms_api::report::{
    Attempt, Options, Outcome, PluginInfo, Profile, Reporter, Settings, TestResult,
};
use tcms_api::{Client, TestRunId};
use tcms_test_kit::fake::FakeKiwi;
use tcms_test_kit::kiwi::{Kiwi, PropertyRow};

type Checked = anyhow::Result<()>;

struct Server {
    fake: FakeKiwi,
    kiwi: Kiwi,
}

async fn server(version: &str) -> Server {
    let fake = FakeKiwi::builder().version(version).start().await;
    let kiwi = Kiwi::install(&fake);
    Server { fake, kiwi }
}

impl Server {
    fn client(&self) -> anyhow::Result<Client> {
        Ok(self.fake.client()?)
    }

    /// Reports `results` (name, outcome, seconds) into a new run of product `app`, with
    /// `profile` when given; returns the run.
    async fn report(
        &self,
        profile: Option<&str>,
        results: &[(&str, Outcome, f64)],
    ) -> anyhow::Result<TestRunId> {
        let mut vars = vec![
            ("TCMS_PRODUCT".to_owned(), "app".to_owned()),
            ("TCMS_PRODUCT_VERSION".to_owned(), "v1".to_owned()),
            ("TCMS_BUILD".to_owned(), "b1".to_owned()),
        ];
        if let Some(p) = profile {
            vars.push(("TCMS_PROFILE".to_owned(), p.to_owned()));
        }
        let plugin = PluginInfo::new("tcms-junit-xml", "0.1.0", "[junit.xml]");
        let settings = Settings::from_vars(plugin, vars)?;
        let mut reporter = Reporter::start(self.client()?, settings, Options::new()).await?;
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        let results: Vec<TestResult> = results
            .iter()
            .map(|(name, outcome, secs)| {
                let mut attempt = Attempt::new(*outcome);
                attempt.started = Some(start);
                attempt.stopped =
                    Some(start + chrono::Duration::milliseconds((secs * 1000.0) as i64));
                TestResult::new(*name, attempt)
            })
            .collect();
        reporter.report(&results).await?;
        let summary = reporter.finish().await?;
        summary.run_id.context("a run")
    }

    fn history(&self, scope: Scope) -> anyhow::Result<History> {
        Ok(History::new(self.client()?, scope))
    }
}

fn app() -> Scope {
    Scope::new().product("app")
}

fn profile(name: &str) -> Profile {
    Profile::parse(name).unwrap()
}

use Outcome::{Error, Failed, Passed, Skipped};

#[tokio::test]
async fn failing_is_per_profile_latest_run_and_refuses_a_flat_list_of_several() -> Checked {
    let s = server("12.4").await;
    s.report(Some("py27"), &[("t.a", Passed, 1.0), ("t.b", Passed, 1.0)])
        .await?;
    let py27 = s
        .report(
            Some("py27"),
            &[
                ("t.a", Failed, 1.0),
                ("t.b", Error, 1.0),
                ("t.c", Skipped, 0.0),
            ],
        )
        .await?;
    let py34 = s
        .report(Some("py34"), &[("t.a", Passed, 1.0), ("t.b", Passed, 1.0)])
        .await?;

    let before = s.fake.http_request_count();
    let failing = s.history(app())?.failing().await?;
    // Login, the catalog, the two latest runs' executions.
    assert_eq!(s.fake.http_request_count() - before, 3);
    assert_eq!(failing.labels(), ["py27", "py34"]);
    let f27 = failing.get(Some(&profile("py27"))).unwrap();
    assert_eq!(f27.run.id, py27);
    assert_eq!(f27.names(), ["t.a", "t.b"]);
    let f34 = failing.get(Some(&profile("py34"))).unwrap();
    assert_eq!(f34.run.id, py34);
    assert!(f34.names().is_empty());
    let err = failing.single().unwrap_err();
    assert!(matches!(err, HistoryError::SeveralProfiles { .. }), "{err}");
    assert!(err.to_string().contains("py27, py34"), "{err}");

    let only = s.history(app().profile(profile("py27")))?.failing().await?;
    let (p, f) = only.single()?.context("one profile")?;
    assert_eq!(p.map(Profile::name), Some("py27"));
    assert_eq!(f.names(), ["t.a", "t.b"]);

    let err = s
        .history(app().profile(profile("py99")))?
        .failing()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no test run of profile py99 for product \"app\", profile py99; its profiles: py27, py34"
    );
    Ok(())
}

#[tokio::test]
async fn runs_without_a_profile_are_their_own_group_and_scopes_are_checked() -> Checked {
    let s = server("12.4").await;
    s.report(None, &[("t.a", Failed, 1.0)]).await?;
    s.report(Some("py27"), &[("t.a", Passed, 1.0)]).await?;
    let failing = s.history(app())?.failing().await?;
    assert_eq!(failing.labels(), ["(no profile)", "py27"]);
    assert_eq!(failing.get(None).unwrap().names(), ["t.a"]);
    let runs = s.history(app())?.runs().await?;
    assert_eq!(runs.len(), 2);
    assert!(runs[0].profiles.is_empty());
    assert_eq!(runs[1].profiles, [profile("py27")]);

    let err = s.history(Scope::new())?.failing().await.unwrap_err();
    assert!(matches!(err, HistoryError::NoScope), "{err}");
    let err = s
        .history(Scope::new().product("nope"))?
        .failing()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no test run found for product \"nope\" on http://"),
        "{err}"
    );
    // Narrower scopes: the version and build by name, one run, one plan.
    let by_build = s.history(app().version("v1").build("b1"))?.runs().await?;
    assert_eq!(by_build.len(), 2);
    assert!(
        s.history(app().build("b2"))?.runs().await.is_err(),
        "no run of build b2"
    );
    let one = s.history(Scope::new().run(runs[1].id))?.failing().await?;
    assert_eq!(one.labels(), ["py27"]);
    let plan = runs[0].plan.context("plan")?;
    assert_eq!(s.history(Scope::new().plan(plan))?.runs().await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_shared_run_is_split_by_the_profile_property_on_15_3() -> Checked {
    let s = server("16.2").await;
    let run = s
        .report(Some("py27"), &[("t.a", Failed, 1.0), ("t.b", Passed, 1.0)])
        .await?;
    {
        // What the engine will write on 15.3+ when two profiles share one run: one execution
        // per profile, each with its `profile` property, and both profile tags on the run.
        let mut db = s.kiwi.db();
        let mut extra = Vec::new();
        for e in db.executions.clone() {
            let mut copy = e.clone();
            copy.id = e.id + 1000;
            copy.status = 4; // PASSED
            extra.push(copy);
        }
        for (i, e) in db.executions.clone().iter().chain(&extra).enumerate() {
            let value = if e.id > 1000 { "py34" } else { "py27" };
            db.execution_properties.push(PropertyRow {
                id: i as i64 + 1,
                owner: e.id,
                name: "profile".into(),
                value: value.into(),
            });
        }
        db.executions.extend(extra);
        let tag = profile("py34").tag();
        db.tags.push(tag.clone());
        db.runs[0].tags.push(tag);
    }
    let failing = s.history(app())?.failing().await?;
    assert_eq!(failing.labels(), ["py27", "py34"]);
    assert_eq!(
        failing.get(Some(&profile("py27"))).unwrap().names(),
        ["t.a"]
    );
    let f34 = failing.get(Some(&profile("py34"))).unwrap();
    assert_eq!(f34.run.id, run);
    assert!(f34.names().is_empty());
    assert!(s.fake.count("TestExecution.properties") >= 1);

    // Without properties (an older server, or an engine that writes none) every execution
    // of the run counts for each of its profiles.
    s.kiwi.db().execution_properties.clear();
    let failing = s.history(app())?.failing().await?;
    assert_eq!(
        failing.get(Some(&profile("py34"))).unwrap().names(),
        ["t.a"]
    );
    Ok(())
}

#[tokio::test]
async fn no_properties_are_read_before_15_3() -> Checked {
    let s = server("12.4").await;
    s.report(Some("py27"), &[("t.a", Failed, 1.0)]).await?;
    s.history(app())?.failing().await?;
    assert_eq!(s.fake.count("TestExecution.properties"), 0);
    assert!(s.fake.unexpected().is_empty(), "{:?}", s.fake.unexpected());
    Ok(())
}

#[tokio::test]
async fn flaky_counts_flips_in_the_last_runs_per_profile() -> Checked {
    let s = server("12.4").await;
    for (a, b) in [
        (Passed, Passed),
        (Failed, Passed),
        (Passed, Passed),
        (Failed, Passed),
    ] {
        s.report(Some("p"), &[("t.a", a, 1.0), ("t.b", b, 1.0)])
            .await?;
    }
    s.report(Some("q"), &[("t.a", Failed, 1.0)]).await?;
    let flaky = s.history(app())?.flaky(10).await?;
    let p = flaky.get(Some(&profile("p"))).unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].name.as_str(), p[0].flips, p[0].results),
        ("t.a", 3, 4)
    );
    assert_eq!(p[0].rate, 1.0);
    assert_eq!(p[0].last, "FAILED");
    assert!(flaky.get(Some(&profile("q"))).unwrap().is_empty());
    let last_two = s.history(app().profile(profile("p")))?.flaky(2).await?;
    let p = last_two.get(Some(&profile("p"))).unwrap();
    assert_eq!((p[0].flips, p[0].results), (1, 2));
    Ok(())
}

#[tokio::test]
async fn durations_are_medians_of_the_last_runs_and_drive_the_split() -> Checked {
    let s = server("12.4").await;
    for secs in [100.0, 1.0, 2.0, 3.0] {
        s.report(
            Some("p"),
            &[
                ("t.slow", Passed, secs * 10.0),
                ("t.fast", Passed, secs / 10.0),
            ],
        )
        .await?;
    }
    let durations = s.history(app())?.durations(3).await?;
    assert_eq!(durations.runs(), 3);
    assert_eq!(durations.get("t.slow"), Some(Duration::from_secs(20)));
    assert_eq!(durations.get("t.fast"), Some(Duration::from_millis(200)));
    let all = s.history(app())?.durations(10).await?;
    assert_eq!(all.get("t.slow"), Some(Duration::from_secs(25)));
    let tests = ["t.fast", "t.new", "t.slow"].map(String::from);
    let shards = split(&tests, &durations, 2)?;
    assert_eq!(shards[0].tests, ["t.slow"]);
    assert_eq!(shards[1].tests, ["t.fast", "t.new"]);
    Ok(())
}

#[tokio::test]
async fn one_tests_history_newest_first_with_profiles() -> Checked {
    let s = server("12.4").await;
    let r1 = s.report(Some("py27"), &[("t.a", Passed, 1.5)]).await?;
    let r2 = s.report(Some("py34"), &[("t.a", Failed, 0.5)]).await?;
    let r3 = s
        .report(None, &[("t.a", Error, 0.0), ("t.other", Passed, 0.0)])
        .await?;
    let entries = s.history(app())?.test("t.a", 10).await?;
    let got: Vec<(TestRunId, Option<&str>, &str, Class)> = entries
        .iter()
        .map(|e| {
            (
                e.run,
                e.profile.as_ref().map(Profile::name),
                e.status.as_str(),
                e.class,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (r3, None, "ERROR", Class::Failed),
            (r2, Some("py34"), "FAILED", Class::Failed),
            (r1, Some("py27"), "PASSED", Class::Passed),
        ]
    );
    assert_eq!(entries[2].duration(), Some(Duration::from_millis(1500)));
    assert_eq!(entries[0].build.as_deref(), Some("b1"));
    assert_eq!(s.history(app())?.test("t.a", 1).await?.len(), 1);
    let py27 = s
        .history(app().profile(profile("py27")))?
        .test("t.a", 10)
        .await?;
    assert_eq!(py27.len(), 1);
    assert!(s.history(app())?.test("t.none", 10).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn long_names_are_read_back_whole_and_cases_list_the_plan() -> Checked {
    let s = server("12.4").await;
    let long = format!("t.{}", "x".repeat(300));
    s.report(
        None,
        &[(long.as_str(), Failed, 1.0), ("t.short", Passed, 1.0)],
    )
    .await?;
    let failing = s.history(app())?.failing().await?;
    assert_eq!(failing.get(None).unwrap().names(), vec![long.clone()]);
    let cases = s.history(app())?.cases().await?;
    assert_eq!(cases, ["t.short".to_owned(), long.clone()]);
    let entries = s.history(app())?.test(&long, 5).await?;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, long);
    Ok(())
}
