//! Runs the executable specification: one libtest trial per scenario of
//! `spec/features/*.feature`, named `<feature file stem>::<scenario name>`.

use std::path::Path;
use std::process::ExitCode;

use libtest_mimic::{Arguments, Failed, Trial};

/// The SUMMARY lines of the 2018 "test runner plugin specification" (kiwitcms.org blog,
/// 2018-11-05), S1 to S12.
const SUMMARY_LINES: [&str; 12] = [
    "Will use configuration file if it exists",
    "Will use ENVIRONMENT if configuration file doesn't exist",
    "Will exit if TCMS_API_URL not configured",
    "Will exit if TCMS_USERNAME not configured",
    "Will exit if TCMS_PASSWORD not configured",
    "Will re-use existing TestPlan if configured",
    "Will create new TestPlan & TestRun if TCMS_RUN_ID not configured",
    "Will not create duplicate Product, Version & Build if they already exist",
    "Will auto-create Product, Version & Build if they don't exist",
    "Unit test names are added to TestPlan",
    "Unit test names are added to TestRun",
    "Current_TestRun is updated with unit test results",
];

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    let scenarios = match spec::runner::load_features(&dir) {
        Ok(scenarios) => scenarios,
        Err(e) => {
            eprintln!("error: cannot read the specification: {e}");
            return ExitCode::FAILURE;
        }
    };

    // Every step of every scenario has a definition, and every definition is used.
    let coverage = spec::runner::coverage(&scenarios);
    let mut trials = vec![Trial::test(
        "spec::every step is defined and every definition used",
        move || {
            let (unused, undefined) = coverage?;
            let mut problems = Vec::new();
            if !undefined.is_empty() {
                problems.push(format!("undefined steps:\n  {}", undefined.join("\n  ")));
            }
            if !unused.is_empty() {
                problems.push(format!(
                    "step definitions no scenario uses:\n  {}",
                    unused.join("\n  ")
                ));
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Failed::from(problems.join("\n")))
            }
        },
    )];

    // The twelve SUMMARY lines of the 2018 specification are scenario names, word for word.
    let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    trials.push(Trial::test(
        "spec::the twelve SUMMARY lines of the specification are scenarios",
        move || {
            let missing: Vec<&str> = SUMMARY_LINES
                .iter()
                .copied()
                .filter(|line| !names.iter().any(|n| n == line))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(Failed::from(format!("no scenario named: {missing:?}")))
            }
        },
    ));

    trials.extend(scenarios.into_iter().map(|scenario| {
        let ignored = scenario.is_ignored();
        Trial::test(scenario.trial_name(), move || {
            spec::runner::run_scenario(&scenario).map_err(Failed::from)
        })
        .with_ignored_flag(ignored)
    }));
    libtest_mimic::run(&args, trials).exit_code()
}
