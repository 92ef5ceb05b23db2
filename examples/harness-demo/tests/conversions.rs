//! Table-driven tests on the tcms_cargo_test harness: one trial per row, each reported to
//! Kiwi TCMS as its own test case (`conversions::<trial name>`) when TCMS_REPORT=1.
//!
//! Run it like any test target: `cargo test`, `cargo test --test conversions -- parse`,
//! `cargo test -- --list`, `cargo test -- --include-ignored`.

use harness_demo::{celsius_to_fahrenheit, parse_celsius};
use tcms_cargo_test::{Arguments, Failed, Trial};

/// `(input, expected degrees Celsius)`.
const PARSE_CASES: &[(&str, f64)] = &[
    ("21.5C", 21.5),
    ("-40F", -40.0),
    ("212f", 100.0),
    (" 0C ", 0.0),
];

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let mut trials = Vec::new();

    for &(input, expected) in PARSE_CASES {
        trials.push(Trial::test(format!("parse::{}", input.trim()), move || {
            let got = parse_celsius(input).map_err(Failed::from)?;
            check_close(got, expected)
        }));
    }

    trials.push(Trial::test(
        "parse::rejects_unknown_units",
        || match parse_celsius("300K") {
            Err(message) if message.contains("unknown unit") => Ok(()),
            other => Err(format!("expected an unknown-unit error, got {other:?}").into()),
        },
    ));

    trials.push(
        Trial::test("convert::body_temperature", || {
            // Text added here goes into the Kiwi TCMS comment if the test fails.
            tcms_cargo_test::note("reference: 37 °C is 98.6 °F");
            check_close(celsius_to_fahrenheit(37.0), 98.6)
        })
        // Report under a case name of your choice instead of `conversions::convert::...`.
        .with_case_name("Body temperature converts to Fahrenheit"),
    );

    trials.push(
        Trial::test("convert::absolute_zero_in_kelvin", || Ok(()))
            // Reported as WAIVED with this reason, unless run with --include-ignored.
            .with_ignore_reason("Kelvin is not supported yet"),
    );

    tcms_cargo_test::run(&args, trials).exit_code()
}

fn check_close(got: f64, expected: f64) -> Result<(), Failed> {
    if (got - expected).abs() < 1e-9 {
        Ok(())
    } else {
        Err(format!("got {got}, expected {expected}").into())
    }
}
