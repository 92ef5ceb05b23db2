//! Summary templates applied by the parser, and the options that change results.

use tcms_junit_xml::{JunitParser, SummaryTemplate, TemplateError};

const XML: &str = r#"<testsuites>
  <testsuite name="top" file="tests/top.py">
    <properties><property name="suite" value="1"/></properties>
    <testsuite name="nested">
      <testcase classname="pkg.mod" name="test_a" file="tests/a.py"/>
      <testcase name="test_b"/>
    </testsuite>
  </testsuite>
</testsuites>"#;

fn names(template: &str) -> Vec<String> {
    JunitParser::new(XML.as_bytes(), "x.xml")
        .with_template(SummaryTemplate::parse(template).unwrap())
        .map(|r| r.unwrap().name)
        .collect()
}

#[test]
fn every_variable() {
    assert_eq!(
        names(SummaryTemplate::DEFAULT),
        ["pkg.mod.test_a", "None.test_b"]
    );
    assert_eq!(
        names("$suitename/$file::${classname}::$name"),
        [
            "top/tests/a.py::pkg.mod::test_a",
            "top/tests/top.py::None::test_b"
        ]
    );
    assert_eq!(names("$$${name}"), ["$test_a", "$test_b"]);
}

#[test]
fn unknown_variables_are_rejected_before_parsing() {
    let err = "${classname}.${testname}"
        .parse::<SummaryTemplate>()
        .unwrap_err();
    assert!(matches!(&err, TemplateError::UnknownVariable { name, .. } if name == "testname"));
    assert!(err.to_string().contains("`testname`"), "{err}");
}

#[test]
fn suite_properties_can_be_left_out() {
    let with: Vec<_> = JunitParser::new(XML.as_bytes(), "x.xml")
        .map(|r| r.unwrap().properties)
        .collect();
    assert_eq!(with[0], [("suite".to_owned(), "1".to_owned())]);
    let without: Vec<_> = JunitParser::new(XML.as_bytes(), "x.xml")
        .with_suite_properties(false)
        .map(|r| r.unwrap().properties)
        .collect();
    assert!(without.iter().all(Vec::is_empty));
}
