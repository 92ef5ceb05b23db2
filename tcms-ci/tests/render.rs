//! The Markdown summary, the step outputs and the annotations of made-up summaries.

use std::collections::BTreeMap;
use std::path::Path;

use tcms_api::report::{Failure, KiwiStatus, Location, NotPassed, Summary};
use tcms_api::{TestCaseId, TestExecutionId, TestRunId};
use tcms_ci::annotations::{self, command, escape_data, escape_property};
use tcms_ci::markdown::{self, Limits, escape, link_target, truncate};
use tcms_ci::{CiOutput, github};

fn failing(n: usize) -> Summary {
    let mut accepted = BTreeMap::new();
    accepted.insert(KiwiStatus::Passed, 100);
    accepted.insert(KiwiStatus::Failed, n);
    accepted.insert(KiwiStatus::Waived, 1);
    let mut not_passed = vec![NotPassed {
        name: "skipped one".into(),
        status: KiwiStatus::Waived,
        message: Some("needs a GPU".into()),
        case: Some(TestCaseId::new(1)),
        execution: Some(TestExecutionId::new(2)),
        location: None,
    }];
    not_passed.extend((0..n).map(|i| NotPassed {
        name: format!("suite.test_{i} | <b>*bold*</b>"),
        status: KiwiStatus::Failed,
        message: Some(format!("assert {i} == 0, 100% sure: yes")),
        case: Some(TestCaseId::new(10 + i as i64)),
        execution: Some(TestExecutionId::new(500 + i as i64)),
        location: Some(Location {
            file: format!("/home/runner/work/app/app/tests/t_{i}.py"),
            line: Some(7 + i as u64),
            column: (i == 0).then_some(3),
        }),
    }));
    Summary {
        run_id: Some(TestRunId::new(42)),
        run_url: Some("http://kiwi.example:8080/runs/42/".into()),
        parsed: 101 + n,
        cases: 101 + n,
        accepted,
        flaky: 1,
        not_passed_total: n + 1,
        not_passed,
        requests: 9,
        seconds: 1.25,
        ..Summary::default()
    }
}

#[test]
fn a_failing_run_lists_counts_links_and_the_worst_first() {
    let text = markdown::render(&failing(2), "tcms-junit-xml", &Limits::default());
    assert!(
        text.starts_with("### ❌ Kiwi TCMS: 2 of 103 case(s) failed · tcms-junit-xml\n"),
        "{text}"
    );
    assert!(
        text.contains("Results in [TR-42](http://kiwi.example:8080/runs/42/) · 103 result(s)"),
        "{text}"
    );
    // Counts, the worst first.
    let failed = text.find("| ❌ FAILED | 2 |").expect(&text);
    let waived = text.find("| ⏭️ WAIVED | 1 |").expect(&text);
    let passed = text.find("| ✅ PASSED | 100 |").expect(&text);
    assert!(failed < waived && waived < passed, "{text}");
    assert!(
        text.contains("| 🔁 passed on a re-run (flaky) | 1 |"),
        "{text}"
    );
    // The failures before the skip, linked to the case and the execution's row, escaped.
    assert!(
        text.contains("#### 3 case(s) that did not pass\n"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.contains("test\\_0"))
        .expect("a row for test_0");
    assert_eq!(
        row,
        "| ❌ FAILED | [suite.test\\_0 \\| \\<b\\>\\*bold\\*\\</b\\>](http://kiwi.example:8080/case/10/) \
         ([TE-500](http://kiwi.example:8080/runs/42/#test-execution-500)) \
         | assert 0 == 0, 100% sure: yes | `/home/runner/work/app/app/tests/t_0.py:7` |"
    );
    let first_failure = text.find("test\\_0").expect(&text);
    let skip = text.find("skipped one").expect(&text);
    assert!(first_failure < skip, "{text}");
    // Every table row has the same number of cells: nothing in a name breaks the table.
    for line in text.lines().filter(|l| l.starts_with("| ❌ FAILED | [")) {
        assert_eq!(line.matches(" | ").count(), 3, "{line}");
    }
    assert!(text.ends_with("\n\n"), "{text:?}");
}

#[test]
fn a_huge_failing_run_stays_readable() {
    let summary = failing(5000);
    let text = markdown::render(&summary, "tcms-tap", &Limits::default());
    assert!(text.len() < 16 * 1024, "{} bytes", text.len());
    let rows = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("| ❌ FAILED | ["))
            .count()
    };
    assert_eq!(rows(&text), 20);
    assert!(
        text.contains("#### The first 20 of 5001 cases that did not pass"),
        "{text}"
    );
    assert!(
        text.contains("… and 4981 more in [the TestRun](http://kiwi.example:8080/runs/42/)."),
        "{text}"
    );
    let fewer = markdown::render(&summary, "tcms-tap", &Limits::default().failures(3));
    assert_eq!(rows(&fewer), 3);
}

#[test]
fn passing_dry_and_lost_runs_say_so() {
    let mut ok = failing(0);
    ok.not_passed.clear();
    ok.not_passed_total = 0;
    ok.accepted.remove(&KiwiStatus::Waived);
    let text = markdown::render(&ok, "tcms-cargo-test", &Limits::default());
    assert!(
        text.starts_with("### ✅ Kiwi TCMS: 101 case(s) passed"),
        "{text}"
    );
    assert!(!text.contains("did not pass"), "{text}");

    let dry = Summary {
        dry_run: true,
        cases: 3,
        parsed: 3,
        ..Summary::default()
    };
    let text = markdown::render(&dry, "tcms-tap", &Limits::default());
    assert!(
        text.starts_with("### ✅ Kiwi TCMS (dry run): 3 case(s) passed"),
        "{text}"
    );
    assert!(
        text.contains("Nothing was changed (dry run); results would go into a new TestRun"),
        "{text}"
    );

    let mut lost = failing(1);
    lost.failures = vec![Failure {
        name: "a|b".into(),
        error: "server said no".into(),
    }];
    let text = markdown::render(&lost, "tcms-tap", &Limits::default());
    assert!(
        text.starts_with("### ⚠️ Kiwi TCMS: 1 result(s) not reported"),
        "{text}"
    );
    assert!(text.contains("| ⚠️ not reported | 1 |"), "{text}");
    assert!(text.contains("- a\\|b: server said no"), "{text}");
}

#[test]
fn text_is_escaped_and_cut() {
    assert_eq!(escape("a|b\nc `x` & <i>"), "a\\|b c \\`x\\` &amp; \\<i\\>");
    assert_eq!(truncate("abcdef", 4), "abc…");
    assert_eq!(truncate("abc", 4), "abc");
    assert_eq!(truncate("line one\nline two", 40), "line one…");
    assert_eq!(
        link_target("http://k/case/1/ (x)"),
        "http://k/case/1/%20%28x%29"
    );
}

#[test]
fn outputs_name_the_run() {
    assert_eq!(
        github::outputs(&failing(1)),
        "run-id=42\nrun-url=http://kiwi.example:8080/runs/42/\n"
    );
    assert_eq!(github::outputs(&Summary::default()), "");
    assert_eq!(
        github::output("x", "a\nTCMS_EOF"),
        "x<<TCMS_EOF_\na\nTCMS_EOF\nTCMS_EOF_\n"
    );
}

#[test]
fn annotations_are_escaped_capped_and_relative_to_the_workspace() {
    let summary = failing(12);
    let found = annotations::render(&summary, 10, Some(Path::new("/home/runner/work/app/app")));
    assert_eq!(found.lines.len(), 10);
    assert_eq!(found.left_out, 2);
    assert_eq!(
        found.lines[0],
        "::error file=tests/t_0.py,line=7,col=3,\
         title=FAILED%3A suite.test_0 | <b>*bold*</b>::\
         assert 0 == 0, 100%25 sure: yes%0A%0AKiwi TCMS: TE-500 \
         http://kiwi.example:8080/runs/42/#test-execution-500"
    );
    // Skipped cases and failures without a file are not annotated.
    let mut summary = failing(1);
    summary.not_passed[1].location = None;
    assert!(annotations::render(&summary, 10, None).lines.is_empty());
    assert_eq!(escape_data("50%\r\n"), "50%25%0D%0A");
    assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    assert_eq!(command("notice", &[], "hi"), "::notice::hi");
}

#[test]
fn publish_writes_the_files_and_prints_annotations_in_github_actions() {
    let dir = tempfile::tempdir().unwrap();
    let step = dir.path().join("step.md");
    let output = dir.path().join("output");
    let md = dir.path().join("summary.md");
    std::fs::write(&step, "earlier step\n").unwrap();
    let vars = |name: &str| match name {
        "GITHUB_ACTIONS" => Some("true".to_owned()),
        "GITHUB_STEP_SUMMARY" => Some(step.display().to_string()),
        "GITHUB_OUTPUT" => Some(output.display().to_string()),
        _ => None,
    };
    let ci = CiOutput::from_vars("tcms-tap", vars)
        .summary_md(Some(md.clone()))
        .max_annotations(1);
    assert!(ci.is_active());
    let mut printed = Vec::new();
    let warnings = ci.publish(&failing(3), &mut printed);
    assert!(warnings.is_empty(), "{warnings:?}");
    let printed = String::from_utf8(printed).unwrap();
    assert_eq!(
        printed
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count(),
        1
    );
    assert!(printed.contains("2 more failure(s)"), "{printed}");
    let step_text = std::fs::read_to_string(&step).unwrap();
    assert!(
        step_text.starts_with("earlier step\n### ❌ Kiwi TCMS"),
        "{step_text}"
    );
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        step_text.trim_start_matches("earlier step\n")
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "run-id=42\nrun-url=http://kiwi.example:8080/runs/42/\n"
    );

    // Outside GitHub Actions nothing is printed; a file that cannot be written is a warning.
    let ci = CiOutput::from_vars("tcms-tap", |_| None)
        .summary_md(Some(dir.path().join("no/such/dir/x.md")));
    let mut printed = Vec::new();
    let warnings = ci.publish(&failing(3), &mut printed);
    assert!(printed.is_empty());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("cannot write the summary "),
        "{warnings:?}"
    );
    assert!(!CiOutput::from_vars("x", |_| None).is_active());
    // `--no-annotations` in GitHub Actions.
    let quiet = CiOutput::from_vars("x", |n| (n == "GITHUB_ACTIONS").then(|| "true".into()))
        .max_annotations(0);
    assert!(!quiet.is_active());
}
