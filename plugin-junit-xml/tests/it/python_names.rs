//! The names match those of the Python plugin (kiwitcms-junit.xml-plugin), recorded by
//! `tests/fixtures/tools/python_names.py` into `tests/fixtures/python-plugin-names.json`, for
//! every fixture both can read, with the default template and with `${suitename}`.

use std::fs;
use std::path::Path;

use tcms_junit_xml::{JunitParser, SummaryTemplate};

/// Cases the Python plugin does not read at all: a `<testcase>` directly under `<testsuites>`
/// (junitparser only iterates suites).
const ONLY_OURS: &[(&str, &str)] = &[(
    "handmade/nested-suites.xml",
    "Loose.directly_under_testsuites",
)];

/// Inputs the Python plugin reads but this parser rejects (documented in the crate docs):
/// non-UTF-8 documents.
const ONLY_PYTHON: &[&str] = &["errors/latin1-declared.xml", "errors/utf16.xml"];

fn sorted(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = names.into_iter().collect();
    v.sort();
    v
}

#[test]
fn names_match_the_python_plugin() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let recorded: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("python-plugin-names.json")).unwrap())
            .unwrap();
    let mut compared = 0;
    for entry in recorded["fixtures"].as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        let Some(by_template) = entry["names"].as_object() else {
            continue; // the Python plugin could not read it
        };
        if ONLY_PYTHON.contains(&file) {
            continue;
        }
        for (template, python) in by_template {
            let python = sorted(
                python
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_owned()),
            );
            let bytes = fs::read(dir.join(file)).unwrap();
            let parse = |template: &str| {
                JunitParser::new(bytes.as_slice(), file)
                    .with_template(SummaryTemplate::parse(template).unwrap())
                    .map(|r| r.unwrap().name)
                    .collect::<Vec<_>>()
            };
            // The two parses yield the same cases in the same order: the default names pick out
            // the cases the Python plugin does not read.
            let ours = parse(template)
                .into_iter()
                .zip(parse(SummaryTemplate::DEFAULT))
                .filter(|(_, default)| !ONLY_OURS.contains(&(file, default.as_str())))
                .map(|(name, _)| name);
            let ours = sorted(ours);
            assert_eq!(ours, python, "{file} with {template}");
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} comparisons");
}
