//! No input makes the parser panic or loop: truncated, mutated, random and pathological inputs.

use std::collections::HashMap;

use tcms_api::report::TestResult;
use tcms_junit_xml::JunitParser;

use crate::fixtures;

fn parse(bytes: &[u8]) -> Vec<Result<TestResult, tcms_junit_xml::ParseError>> {
    JunitParser::new(bytes, "input.xml").collect()
}

/// Every result of `part` also appears in `whole` (as a multiset of names).
fn names_are_a_subset(
    part: &[Result<TestResult, tcms_junit_xml::ParseError>],
    whole: &[String],
) -> bool {
    let mut available: HashMap<&str, usize> = HashMap::new();
    for n in whole {
        *available.entry(n.as_str()).or_default() += 1;
    }
    part.iter()
        .filter_map(|r| r.as_ref().ok())
        .all(|r| match available.get_mut(r.name.as_str()) {
            Some(c) if *c > 0 => {
                *c -= 1;
                true
            }
            _ => false,
        })
}

/// The byte ranges of the `<testcase>` elements (start tag to end of the closing or self-closing
/// tag), outside comments.
fn testcase_regions(bytes: &[u8]) -> Vec<(usize, usize)> {
    let find = |from: usize, what: &[u8]| {
        bytes[from.min(bytes.len())..]
            .windows(what.len())
            .position(|w| w == what)
            .map(|p| p + from)
    };
    let mut regions = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let next_case = find(at, b"<testcase");
        let next_comment = find(at, b"<!--");
        match (next_case, next_comment) {
            (Some(c), Some(m)) if m < c => {
                at = find(m, b"-->").map_or(bytes.len(), |e| e + 3);
            }
            (Some(c), _) => {
                let Some(gt) = find(c, b">") else { break };
                let end = if bytes[gt - 1] == b'/' {
                    gt + 1
                } else {
                    find(gt, b"</testcase>").map_or(bytes.len(), |e| e + 11)
                };
                regions.push((c, end));
                at = end;
            }
            (None, _) => break,
        }
    }
    regions
}

#[test]
fn every_truncation_of_every_fixture() {
    let mut parses = 0;
    for path in fixtures::all() {
        let bytes = std::fs::read(&path).unwrap();
        let full = parse(&bytes);
        let full_names: Vec<String> = full
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|r| r.name.clone()))
            .collect();
        let regions = testcase_regions(&bytes);
        let step = (bytes.len() / 700).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let items = parse(&bytes[..cut]);
            parses += 1;
            assert!(
                names_are_a_subset(&items, &full_names),
                "{}: cut at {cut} invented results",
                fixtures::short_name(&path)
            );
            // Only the last item can be an error.
            if let Some(pos) = items.iter().position(Result::is_err) {
                assert_eq!(
                    pos,
                    items.len() - 1,
                    "{}: cut at {cut}",
                    fixtures::short_name(&path)
                );
            }
            // A cut inside a <testcase> element always ends in an error.
            if regions.iter().any(|&(start, end)| start < cut && cut < end) {
                assert!(
                    items.last().is_some_and(Result::is_err),
                    "{}: cut at {cut} gave no error",
                    fixtures::short_name(&path)
                );
            }
        }
    }
    assert!(parses > 5_000, "{parses}");
}

#[test]
fn byte_mutations_never_panic() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let replacements = [
        b'<', b'>', b'&', b'"', b'\'', b'/', b'=', b'!', b'?', 0xFF, 0xC3, 0x00, b'\n', b'[', b']',
    ];
    for path in fixtures::all() {
        let original = std::fs::read(&path).unwrap();
        if original.is_empty() {
            continue;
        }
        for _ in 0..300 {
            let mut bytes = original.clone();
            for _ in 0..=(next() % 3) {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = replacements[(next() % replacements.len() as u64) as usize];
            }
            let items = parse(&bytes);
            if let Some(pos) = items.iter().position(Result::is_err) {
                assert_eq!(pos, items.len() - 1);
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let alphabet: &[u8] =
        b"<>/=\"' &;#x?!-[]CDATAtestsuitecasefailureskippedpropertysystem-out\n\xC3\xA9\xFF";
    for len in [0usize, 1, 2, 5, 17, 100, 1000] {
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    rng = rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(rng >> 33) as usize % alphabet.len()]
                })
                .collect();
            let mut wrapped = b"<testsuite><testcase name='x'>".to_vec();
            wrapped.extend_from_slice(&bytes);
            let _ = parse(&bytes);
            let _ = parse(&wrapped);
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 200_000;
    let mut xml = String::from("<testsuites>");
    xml.push_str(&"<testsuite name='s'>".repeat(depth));
    xml.push_str("<testcase classname='c' name='deep'><failure>");
    xml.push_str(&"<x>".repeat(depth));
    xml.push_str(&"</x>".repeat(depth));
    xml.push_str("</failure></testcase>");
    xml.push_str(&"</testsuite>".repeat(depth));
    xml.push_str("</testsuites>");
    let items = parse(xml.as_bytes());
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap().name, "c.deep");
}

#[test]
fn huge_values_and_overflowing_numbers() {
    let xml = r#"<testsuite timestamp="9999-12-31T23:59:59Z">
        <testcase classname="c" name="d" time="1000000"/>
        <testcase classname="c" name="a" time="99999999999999999999999"/>
        <testcase classname="c" name="b" time="18446744073709551615.999999999"/>
        <testcase classname="c" name="c" time="1e308"/>
        <testcase classname="c" name="e" timestamp="+262143-12-31T23:59:59Z" time="1"/>
        <testcase classname="c" name="f" timestamp="2024-01-01T00:00:00+99:99" time="1"/>
    </testsuite>"#;
    let items = parse(xml.as_bytes());
    assert_eq!(items.len(), 6);
    for item in &items {
        let result = item.as_ref().unwrap();
        let a = &result.attempts()[0];
        if let (Some(start), Some(stop)) = (a.started, a.stopped) {
            assert!(stop >= start);
        }
    }
    let d = &items[0].as_ref().unwrap().attempts()[0];
    assert_eq!(
        d.stopped.unwrap().to_rfc3339(),
        "+10000-01-12T13:46:39+00:00"
    );
    // 18446744073709551615 s is a valid duration, but no end time can be computed from it.
    let b = &items[2].as_ref().unwrap().attempts()[0];
    assert_eq!(b.duration.unwrap().as_secs(), u64::MAX);
    assert!(b.started.is_some() && b.stopped.is_none());
    // After it the suite clock is past representable: unknown.
    let c = &items[3].as_ref().unwrap().attempts()[0];
    assert!(c.started.is_none() && c.duration.is_none());
}

#[test]
fn suite_output_hold_back_is_bounded() {
    // 12 failed cases with 1 MiB of trace each: more than the 8 MiB a suite may hold back, so
    // they are passed on without the suite's output instead of piling up.
    let trace = "x".repeat(1024 * 1024);
    let mut xml = String::from("<testsuite name='big'>");
    for i in 0..12 {
        xml.push_str(&format!(
            "<testcase classname='c' name='t{i}'><failure>{trace}</failure></testcase>"
        ));
    }
    xml.push_str("<system-out>suite output</system-out></testsuite>");
    let items = parse(xml.as_bytes());
    assert_eq!(items.len(), 12);
    let with_output = items
        .iter()
        .filter(|r| r.as_ref().unwrap().attempts()[0].stdout.is_some())
        .count();
    assert_eq!(with_output, 0);

    // The same with small traces: every failed case gets the suite output.
    let small = xml.replace(&trace, "short");
    let items = parse(small.as_bytes());
    assert!(
        items.iter().all(|r| {
            r.as_ref().unwrap().attempts()[0].stdout.as_deref() == Some("suite output")
        })
    );
}
