//! Property tests over generated junit.xml: documents built from the grammar (suites, cases,
//! result elements, properties, output, attributes with entities, CDATA, comments, processing
//! instructions, nesting, several documents in a row), then possibly truncated or with bytes
//! spliced in. For every input:
//!
//! - nothing panics, only the last item can be an error, and an error's line and column are
//!   inside the input;
//! - there are no more results than `<testcase` tags, and a well-formed document gives exactly
//!   one result per `<testcase>` that sits in suites only, and no error;
//! - parsing twice gives the same, and reading the input one byte at a time gives the same
//!   results, errors and positions as reading it whole.
//!
//! The runs are reproducible: a fixed seed, 512 cases per property by default
//! (`PROPTEST_CASES=5000 cargo test -p plugin-junit-xml props` runs more). A failure prints the
//! smallest input found. Inputs the fuzzers found are in `fuzz/regressions/junit/` and are
//! replayed here too. The coverage-guided fuzzers are `scripts/fuzz`.

use std::io::BufReader;
use std::path::Path;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tcms_api::report::TestResult;
use tcms_junit_xml::{JunitParser, ParseError};
use tcms_test_kit::io::Trickle;

/// The seed of every run (32 bytes for ChaCha).
const SEED: &[u8; 32] = b"kiwitcms-rs plugin-junit-xml pt1";

/// Cases per property when `PROPTEST_CASES` is not set: about 7 s for the module in a debug
/// build on one core.
const DEFAULT_CASES: u32 = 512;

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, SEED))
}

/// Runs `test` on `cases` inputs of `strategy`; panics with the smallest failing input.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    if let Err(failure) = runner().run(&strategy, test) {
        panic!("{failure}");
    }
}

// ------------------------------------------------------------------ the grammar ---

/// A piece of XML content.
#[derive(Debug, Clone)]
enum Node {
    Element {
        name: &'static str,
        attributes: Vec<(&'static str, String)>,
        children: Vec<Node>,
    },
    /// Text, already escaped.
    Text(String),
    CData(String),
    Comment(String),
    Pi,
}

const SUITES: &[&str] = &["testsuite", "testsuites", "x:testsuite"];
const ELEMENTS: &[&str] = &[
    "testsuite",
    "testsuites",
    "testcase",
    "testcase",
    "testcase",
    "x:testcase",
    "failure",
    "failure",
    "error",
    "skipped",
    "flakyFailure",
    "flakyError",
    "rerunFailure",
    "rerunError",
    "stackTrace",
    "system-out",
    "system-err",
    "properties",
    "property",
    "other",
];
const ATTRIBUTES: &[&str] = &[
    "name",
    "classname",
    "time",
    "timestamp",
    "file",
    "status",
    "message",
    "type",
    "value",
    "tests",
    "x:name",
];
/// Pieces of attribute values (inside `"`): entities, numbers and dates in every form.
const VALUES: &[&str] = &[
    "a",
    "Name",
    "a.b.C",
    " ",
    "é",
    "🦀",
    "'",
    "&amp;",
    "&lt;",
    "&quot;",
    "&#10;",
    "&#x41;",
    "&nbsp;",
    "&",
    "\n",
    "\t",
    "0",
    "1.5",
    "0,5",
    "1,234.5",
    "-1",
    "NaN",
    "1e400",
    "99999999999999999999",
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00.5+02:00",
    "2024-05-01T10:00:00",
    "+262143-12-31T23:59:59Z",
    "skipped",
    "pytest.xfail",
    "${name}",
];
/// Pieces of text content.
const TEXTS: &[&str] = &[
    "trace",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    "é",
    "🦀",
    "&amp;",
    "&lt;",
    "&gt;",
    "&apos;",
    "&#65;",
    "&#x1F980;",
    "&#0;",
    "&nbsp;",
    "&",
    "& b",
    ">",
    "]]",
    "'\"",
    "at x.rs:1",
];

/// CDATA content cannot hold its own end.
fn cdata(text: String) -> Node {
    Node::CData(text.replace("]]>", "]] >"))
}

fn joined(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..max).prop_map(|p| p.concat())
}

fn attributes() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    prop::collection::btree_map(prop::sample::select(ATTRIBUTES), joined(VALUES, 4), 0..5)
        .prop_map(|m| m.into_iter().collect())
}

fn leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => joined(TEXTS, 6).prop_map(Node::Text),
        1 => joined(&["x", " ", "<", "&", "]", ">", "\n", "é"], 8).prop_map(cdata),
        1 => joined(&["x", " ", "<", "&", "-", ">"], 6)
            .prop_map(|t| Node::Comment(t.replace("--", "- "))),
        1 => Just(Node::Pi),
        3 => (prop::sample::select(ELEMENTS), attributes()).prop_map(|(name, attributes)| {
            Node::Element { name, attributes, children: Vec::new() }
        }),
    ]
}

fn content() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        (
            prop::sample::select(ELEMENTS),
            attributes(),
            prop::collection::vec(inner, 0..6),
        )
            .prop_map(|(name, attributes, children)| Node::Element {
                name,
                attributes,
                children,
            })
    })
}

fn element(
    names: &'static [&'static str],
    children: impl Strategy<Value = Vec<Node>>,
) -> impl Strategy<Value = Node> {
    (prop::sample::select(names), attributes(), children).prop_map(
        |(name, attributes, children)| Node::Element {
            name,
            attributes,
            children,
        },
    )
}

/// Text for a result element or output: text, CDATA, entities.
fn texts() -> impl Strategy<Value = Vec<Node>> {
    prop::collection::vec(
        prop_oneof![
            3 => joined(TEXTS, 6).prop_map(Node::Text),
            1 => joined(&["x", " ", "<", "&", "]", ">", "\n", "é"], 8).prop_map(cdata),
        ],
        0..3,
    )
}

/// What a `<testcase>` holds: result elements (with text, a stack trace, output), output,
/// properties, or anything.
fn case_child() -> impl Strategy<Value = Node> {
    let result_child = prop_oneof![
        3 => joined(TEXTS, 6).prop_map(Node::Text),
        1 => element(&["stackTrace", "system-out", "system-err"], texts()),
    ];
    prop_oneof![
        4 => element(
            &[
                "failure", "error", "skipped", "flakyFailure", "flakyError", "rerunFailure",
                "rerunError",
            ],
            prop::collection::vec(result_child, 0..3),
        ),
        2 => element(&["system-out", "system-err"], texts()),
        1 => element(
            &["properties"],
            prop::collection::vec(element(&["property"], texts()), 0..3)
        ),
        1 => content(),
    ]
}

fn case() -> impl Strategy<Value = Node> {
    element(
        &["testcase", "testcase", "x:testcase"],
        prop::collection::vec(case_child(), 0..3),
    )
}

/// What a suite holds: mostly cases, and nested suites, properties, output, anything.
fn suite_child() -> impl Strategy<Value = Node> {
    case().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            6 => case(),
            2 => element(SUITES, prop::collection::vec(inner, 0..8)),
            1 => element(
                &["properties"],
                prop::collection::vec(element(&["property", "other"], texts()), 0..3)
            ),
            1 => element(&["system-out", "system-err"], texts()),
            1 => content(),
        ]
    })
}

/// One document: a suite root with any content.
#[derive(Debug, Clone)]
struct Document {
    declaration: bool,
    comment_before: bool,
    root: Node,
}

fn document() -> impl Strategy<Value = Document> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(SUITES),
        attributes(),
        prop::collection::vec(suite_child(), 0..8),
    )
        .prop_map(
            |(declaration, comment_before, name, attributes, children)| Document {
                declaration,
                comment_before,
                root: Node::Element {
                    name,
                    attributes,
                    children,
                },
            },
        )
}

/// What is done to the rendered bytes.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    /// Cut at this fraction of the length.
    Truncate(f64),
    /// Insert these bytes at this fraction of the length.
    Insert(f64, Vec<u8>),
    /// Replace the byte at this fraction of the length.
    Replace(f64, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let garbage: &[&[u8]] = &[
        b"<",
        b">",
        b"</",
        b"/>",
        b"&",
        b"&#;",
        b"&#xFFFFFFFF;",
        b"\"",
        b"'",
        b"=",
        b"<!--",
        b"<![CDATA[",
        b"]]>",
        b"<?",
        b"<!DOCTYPE x [",
        b"\xFF",
        b"\xC3",
        b"\xEF\xBB\xBF",
        b"\0",
        b"text",
        b"<testcase name='z'>",
    ];
    prop_oneof![
        3 => Just(Mutation::None),
        3 => (0.0..1.0f64).prop_map(Mutation::Truncate),
        2 => (0.0..1.0f64, prop::sample::select(garbage))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes.to_vec())),
        1 => (0.0..1.0f64, any::<u8>()).prop_map(|(at, byte)| Mutation::Replace(at, byte)),
    ]
}

#[derive(Debug, Clone)]
struct Input {
    bom: bool,
    documents: Vec<Document>,
    mutation: Mutation,
}

fn input() -> impl Strategy<Value = Input> {
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(document(), 1..3),
        mutation(),
    )
        .prop_map(|(bom, documents, mutation)| Input {
            bom,
            documents,
            mutation,
        })
}

fn render_node(node: &Node, out: &mut String) {
    match node {
        Node::Element {
            name,
            attributes,
            children,
        } => {
            out.push('<');
            out.push_str(name);
            for (key, value) in attributes {
                out.push_str(&format!(" {key}=\"{value}\""));
            }
            if children.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for child in children {
                    render_node(child, out);
                }
                out.push_str(&format!("</{name}>"));
            }
        }
        Node::Text(text) => out.push_str(text),
        Node::CData(text) => out.push_str(&format!("<![CDATA[{text}]]>")),
        Node::Comment(text) => out.push_str(&format!("<!--{text}-->")),
        Node::Pi => out.push_str("<?pi data?>"),
    }
}

impl Input {
    /// The document as written, before the mutation.
    fn well_formed(&self) -> Vec<u8> {
        let mut out = String::new();
        if self.bom {
            out.push('\u{feff}');
        }
        for doc in &self.documents {
            if doc.declaration {
                out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            }
            if doc.comment_before {
                out.push_str("<!-- generated -->\n");
            }
            render_node(&doc.root, &mut out);
            out.push('\n');
        }
        out.into_bytes()
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes = self.well_formed();
        let at = |fraction: f64, len: usize| ((len as f64 * fraction) as usize).min(len);
        match &self.mutation {
            Mutation::None => {}
            Mutation::Truncate(f) => bytes.truncate(at(*f, bytes.len())),
            Mutation::Insert(f, garbage) => {
                let i = at(*f, bytes.len());
                bytes.splice(i..i, garbage.iter().copied());
            }
            Mutation::Replace(f, byte) => {
                if !bytes.is_empty() {
                    let i = at(*f, bytes.len() - 1);
                    bytes[i] = *byte;
                }
            }
        }
        bytes
    }

    /// The `<testcase>` elements whose ancestors are all suites: the results of the
    /// unmutated input.
    fn expected_results(&self) -> usize {
        fn count(node: &Node) -> usize {
            match node {
                Node::Element { name, children, .. } if local(name) == "testsuite" => {
                    children.iter().map(count).sum()
                }
                Node::Element { name, children, .. } if local(name) == "testsuites" => {
                    children.iter().map(count).sum()
                }
                Node::Element { name, .. } if local(name) == "testcase" => 1,
                _ => 0,
            }
        }
        self.documents.iter().map(|d| count(&d.root)).sum()
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

// ------------------------------------------------------------------ the checks ---

type Item = Result<TestResult, ParseError>;

/// Items as comparable text: the results' `Debug`, the errors' message (with its position).
fn comparable(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|item| match item {
            Ok(result) => format!("{result:?}"),
            Err(error) => format!("ERROR {error}"),
        })
        .collect()
}

/// `<testcase` and `<prefix:testcase` tags in the bytes: an upper bound on the results.
fn testcase_tags(bytes: &[u8]) -> usize {
    (0..bytes.len())
        .filter(|&i| bytes[i..].starts_with(b"testcase"))
        .filter(|&i| {
            let before = &bytes[..i];
            match before.last() {
                Some(b'<') => true,
                Some(b':') => {
                    before[..before.len() - 1]
                        .iter()
                        .rev()
                        .find(|b| !b.is_ascii_alphanumeric() && **b != b'_' && **b != b'-')
                        == Some(&b'<')
                }
                _ => false,
            }
        })
        .count()
}

fn check_items(bytes: &[u8], items: &[Item]) -> Result<(), TestCaseError> {
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    for (i, item) in items.iter().enumerate() {
        match item {
            Ok(result) => {
                let line = result.origin.line.unwrap_or(0);
                prop_assert!(line >= 1 && line as usize <= lines.len(), "line {line}");
                prop_assert!(!result.attempts().is_empty());
            }
            Err(error) => {
                prop_assert_eq!(i, items.len() - 1, "an item after the error {}", error);
                let line = error.line();
                prop_assert!(
                    line >= 1 && line as usize <= lines.len(),
                    "{} outside the {} lines",
                    error,
                    lines.len()
                );
                let length = lines[line as usize - 1].len() as u64;
                prop_assert!(
                    error.column() >= 1 && error.column() <= length + 1,
                    "{} outside line {} ({} bytes)",
                    error,
                    line,
                    length
                );
            }
        }
    }
    let results = items.iter().filter(|i| i.is_ok()).count();
    let tags = testcase_tags(bytes);
    prop_assert!(
        results <= tags,
        "{} results from {} testcase tags",
        results,
        tags
    );
    Ok(())
}

/// Every property, for one input.
fn check_bytes(bytes: &[u8]) -> Result<Vec<Item>, TestCaseError> {
    let items: Vec<Item> = JunitParser::new(bytes, "props.xml").collect();
    check_items(bytes, &items)?;

    let again: Vec<Item> = JunitParser::new(bytes, "props.xml").collect();
    prop_assert_eq!(comparable(&again), comparable(&items), "parsed twice");

    let trickled: Vec<Item> = JunitParser::new(
        BufReader::with_capacity(1, Trickle::new(bytes)),
        "props.xml",
    )
    .collect();
    prop_assert_eq!(
        comparable(&trickled),
        comparable(&items),
        "one byte at a time"
    );
    Ok(items)
}

#[test]
fn generated_documents() {
    check(input(), |input| {
        let bytes = input.bytes();
        let items = check_bytes(&bytes)?;
        if matches!(input.mutation, Mutation::None) {
            let errors: Vec<String> = items
                .iter()
                .filter_map(|i| i.as_ref().err().map(ToString::to_string))
                .collect();
            prop_assert!(
                errors.is_empty(),
                "a well-formed document gave {:?}\n{}",
                errors,
                String::from_utf8_lossy(&bytes)
            );
            prop_assert_eq!(items.len(), input.expected_results());
        }
        Ok(())
    });
}

#[test]
fn every_truncation_of_a_generated_document() {
    // Fewer, smaller documents, each cut at every byte.
    let mut runner = runner();
    let small = (document(), Just(())).prop_map(|(doc, ())| Input {
        bom: false,
        documents: vec![doc],
        mutation: Mutation::None,
    });
    let cases = (runner.config().cases / 16).max(4);
    for _ in 0..cases {
        let input = small.new_tree(&mut runner).unwrap().current();
        let bytes = input.well_formed();
        let step = (bytes.len() / 200).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let part = &bytes[..cut];
            if let Err(failure) = check_bytes(part) {
                panic!("{failure}\n{}", String::from_utf8_lossy(part));
            }
        }
    }
}

#[test]
fn fuzzer_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/junit");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Err(failure) = check_bytes(&bytes) {
            panic!("{}: {failure}", path.display());
        }
        checked += 1;
    }
    assert!(checked > 0, "no inputs in {}", dir.display());
}
