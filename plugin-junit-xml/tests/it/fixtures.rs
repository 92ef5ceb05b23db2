//! Every `tests/fixtures/**/*.xml` is parsed with the default options and its rendering compared
//! with the `.expected` file next to it. `BLESS=1 cargo test -p plugin-junit-xml` rewrites them
//! (review the diff before committing).

use std::fs;
use std::path::{Path, PathBuf};

use tcms_junit_xml::JunitParser;

use crate::render::render;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            xml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

/// All fixtures, sorted.
pub(crate) fn all() -> Vec<PathBuf> {
    let mut files = Vec::new();
    xml_files(&fixtures_dir(), &mut files);
    files.sort();
    files
}

/// The fixture's path relative to the fixtures directory, with `/` separators: the input name
/// in renderings, so they do not depend on where the checkout is.
pub(crate) fn short_name(path: &Path) -> String {
    path.strip_prefix(fixtures_dir())
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

pub(crate) fn parse_fixture(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    let items: Vec<_> = JunitParser::new(bytes.as_slice(), short_name(path)).collect();
    render(&items)
}

#[test]
fn fixtures_match_expected() {
    let bless = std::env::var_os("BLESS").is_some_and(|v| v != "0");
    let files = all();
    let mut mismatches = Vec::new();
    for path in &files {
        let got = parse_fixture(path);
        let expected_path = path.with_extension("expected");
        if bless {
            fs::write(&expected_path, &got).unwrap();
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(want) if want == got => {}
            Ok(want) => {
                let line = want
                    .lines()
                    .zip(got.lines())
                    .position(|(a, b)| a != b)
                    .map_or(want.lines().count().min(got.lines().count()), |i| i);
                mismatches.push(format!(
                    "{}: first difference at line {}\n  want: {}\n  got:  {}",
                    short_name(path),
                    line + 1,
                    want.lines().nth(line).unwrap_or("<end>"),
                    got.lines().nth(line).unwrap_or("<end>"),
                ));
            }
            Err(_) => mismatches.push(format!(
                "{}: no .expected file (run with BLESS=1)",
                short_name(path)
            )),
        }
    }
    assert!(files.len() >= 20, "fixtures missing: {files:?}");
    assert!(
        mismatches.is_empty(),
        "{} fixture(s) differ (BLESS=1 rewrites them):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
