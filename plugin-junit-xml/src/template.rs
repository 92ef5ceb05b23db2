//! The summary template: how a `<testcase>` becomes a Kiwi TCMS test case name.

use std::fmt;
use std::str::FromStr;

/// The variables a [`SummaryTemplate`] can use, in the order the error message lists them.
const VARIABLES: [(&str, Variable); 4] = [
    ("classname", Variable::Classname),
    ("name", Variable::Name),
    ("suitename", Variable::Suitename),
    ("file", Variable::File),
];

/// What rendering writes for a variable whose attribute is absent, as the Python plugin does
/// (it passes Python's `None` to `string.Template`).
pub const ABSENT: &str = "None";

/// A template for test case names, with the syntax of Python's `string.Template` that the
/// Python `tcms-junit.xml-plugin --summary-template` uses, so that a team switching from it gets
/// the same names.
///
/// Syntax: `${var}` or `$var` is replaced by a variable, `$$` is a literal `$`; any other `$` is
/// an error. `$var` takes the longest run of ASCII letters, digits and `_`, so `$name_x` names
/// the variable `name_x` (use `${name}_x`).
///
/// Variables (attributes of the `<testcase>` being named):
/// - `classname`: its `classname` attribute;
/// - `name`: its `name` attribute;
/// - `suitename`: the `name` of the outermost `<testsuite>` around it (the suite directly under
///   `<testsuites>`, or the root `<testsuite>`), which is what the Python plugin uses for nested
///   suites too;
/// - `file`: its `file` attribute, else the `file` attribute of the nearest `<testsuite>` that has
///   one (not a Python plugin variable).
///
/// An attribute that is present but empty renders as the empty string; an absent one renders as
/// [`ABSENT`] (`None`), like the Python plugin: with the default template `${classname}.${name}`
/// a case without `classname` is named `None.test_x`, one with `classname=""` is named `.test_x`.
///
/// The default template is [`SummaryTemplate::DEFAULT`]. Names are not cut to 255 characters
/// here: the reporting engine does that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(Variable),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variable {
    Classname,
    Name,
    Suitename,
    File,
}

/// The values a [`SummaryTemplate`] is rendered with; `None` is an absent attribute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateValues<'a> {
    /// The `classname` attribute.
    pub classname: Option<&'a str>,
    /// The `name` attribute.
    pub name: Option<&'a str>,
    /// The outermost suite's `name` attribute.
    pub suitename: Option<&'a str>,
    /// The `file` attribute of the case or of its nearest suite.
    pub file: Option<&'a str>,
}

/// Why a summary template was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A `$name` or `${name}` that is not one of the known variables.
    #[error(
        "unknown variable `{name}` in summary template {template:?} \
         (known variables: classname, name, suitename, file)"
    )]
    UnknownVariable {
        /// The variable as written.
        name: String,
        /// The whole template.
        template: String,
    },
    /// A `$` that starts neither a variable nor `$$`.
    #[error(
        "invalid placeholder at character {column} of summary template {template:?} \
         (write `${{name}}` for a variable, `$$` for a literal `$`)"
    )]
    InvalidPlaceholder {
        /// 1-based character position of the `$`.
        column: usize,
        /// The whole template.
        template: String,
    },
}

impl SummaryTemplate {
    /// The default template, as in the Python plugin.
    pub const DEFAULT: &'static str = "${classname}.${name}";

    /// Parses a template, checking that every variable is known.
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = template.char_indices().peekable();
        let mut column = 0;
        while let Some((_, c)) = chars.next() {
            column += 1;
            if c != '$' {
                literal.push(c);
                continue;
            }
            let invalid = || TemplateError::InvalidPlaceholder {
                column,
                template: template.to_owned(),
            };
            let name = match chars.peek().map(|&(_, c)| c) {
                Some('$') => {
                    chars.next();
                    column += 1;
                    literal.push('$');
                    continue;
                }
                Some('{') => {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, c)) => name.push(c),
                            None => return Err(invalid()),
                        }
                    }
                    if !is_identifier(&name) {
                        return Err(invalid());
                    }
                    column += name.chars().count() + 2;
                    name
                }
                Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                    let mut name = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if c == '_' || c.is_ascii_alphanumeric() {
                            name.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    column += name.len();
                    name
                }
                _ => return Err(invalid()),
            };
            let Some(&(_, variable)) = VARIABLES.iter().find(|(known, _)| *known == name) else {
                return Err(TemplateError::UnknownVariable {
                    name,
                    template: template.to_owned(),
                });
            };
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Variable(variable));
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self {
            source: template.to_owned(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Renders the name of one test case.
    pub fn render(&self, values: &TemplateValues<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(v) => {
                    let value = match v {
                        Variable::Classname => values.classname,
                        Variable::Name => values.name,
                        Variable::Suitename => values.suitename,
                        Variable::File => values.file,
                    };
                    out.push_str(value.unwrap_or(ABSENT));
                }
            }
        }
        out
    }
}

/// Python's `string.Template` identifier: ASCII letter or `_`, then letters, digits or `_`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

impl Default for SummaryTemplate {
    fn default() -> Self {
        Self {
            source: Self::DEFAULT.to_owned(),
            parts: vec![
                Part::Variable(Variable::Classname),
                Part::Literal(".".to_owned()),
                Part::Variable(Variable::Name),
            ],
        }
    }
}

impl FromStr for SummaryTemplate {
    type Err = TemplateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for SummaryTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: TemplateValues<'static> = TemplateValues {
        classname: Some("pkg.Class"),
        name: Some("test_x"),
        suitename: Some("suite"),
        file: Some("tests/x.py"),
    };

    fn render(template: &str, values: &TemplateValues<'_>) -> String {
        SummaryTemplate::parse(template).unwrap().render(values)
    }

    #[test]
    fn default_matches_parsed_default() {
        assert_eq!(
            SummaryTemplate::default(),
            SummaryTemplate::parse(SummaryTemplate::DEFAULT).unwrap()
        );
        assert_eq!(SummaryTemplate::default().render(&FULL), "pkg.Class.test_x");
    }

    #[test]
    fn all_variables_and_both_spellings() {
        assert_eq!(
            render("$suitename/${file}::$classname::${name}", &FULL),
            "suite/tests/x.py::pkg.Class::test_x"
        );
        assert_eq!(render("cost: $$5 ${name}$$", &FULL), "cost: $5 test_x$");
        assert_eq!(render("${name}_x", &FULL), "test_x_x");
        assert_eq!(render("plain text ü", &FULL), "plain text ü");
        assert_eq!(render("", &FULL), "");
    }

    #[test]
    fn absent_renders_none_and_empty_renders_empty() {
        // Verified against kiwitcms-junit.xml-plugin 15.0 (tests/fixtures/README.md).
        let values = TemplateValues {
            classname: None,
            name: Some("test_x"),
            ..TemplateValues::default()
        };
        assert_eq!(SummaryTemplate::default().render(&values), "None.test_x");
        let values = TemplateValues {
            classname: Some(""),
            name: Some(""),
            ..TemplateValues::default()
        };
        assert_eq!(SummaryTemplate::default().render(&values), ".");
        assert_eq!(render("${suitename}|$file", &values), "None|None");
    }

    #[test]
    fn unknown_variable_is_named() {
        for (template, name) in [
            ("${classname}.${nmae}", "nmae"),
            ("$name_x", "name_x"),
            ("${Name}", "Name"),
            ("$testsuite", "testsuite"),
        ] {
            let err = SummaryTemplate::parse(template).unwrap_err();
            assert_eq!(
                err,
                TemplateError::UnknownVariable {
                    name: name.to_owned(),
                    template: template.to_owned()
                }
            );
            assert!(err.to_string().contains(&format!("`{name}`")), "{err}");
        }
    }

    #[test]
    fn invalid_placeholders() {
        for (template, column) in [
            ("$", 1),
            ("a $ b", 3),
            ("${name", 1),
            ("${}", 1),
            ("${1x}", 1),
            ("x${na me}", 2),
            ("$1", 1),
            ("ü$-", 2),
            ("$$$", 3),
        ] {
            match SummaryTemplate::parse(template) {
                Err(TemplateError::InvalidPlaceholder { column: c, .. }) => {
                    assert_eq!(c, column, "{template:?}")
                }
                other => panic!("{template:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn display_and_from_str_round_trip() {
        let t: SummaryTemplate = "${suitename}: ${name}".parse().unwrap();
        assert_eq!(t.to_string(), "${suitename}: ${name}");
        assert_eq!(t.as_str(), "${suitename}: ${name}");
    }
}
