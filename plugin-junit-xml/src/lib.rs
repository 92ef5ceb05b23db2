//! Streaming junit.xml parser for the Kiwi TCMS junit.xml plugin.
//!
//! [`JunitParser`] reads JUnit XML from any [`std::io::BufRead`] (a file, standard input) with
//! quick-xml and yields one [`tcms_api::report::TestResult`] per `<testcase>`, as soon as the
//! case (or, for a failed case, its suite) has been read, so memory stays flat however large the
//! input is.
//!
//! # What is accepted
//!
//! - A `<testsuites>` or a bare `<testsuite>` root; suites nested at any depth; several XML
//!   documents one after another in one stream (`cargo test --format junit` writes one per test
//!   binary); `<testcase>` directly under `<testsuites>`.
//! - `<failure>`, `<error>` and `<skipped>` with `message`/`type` attributes, text and CDATA;
//!   several of them in one case; Surefire/Gradle/nextest `flakyFailure`, `flakyError`,
//!   `rerunFailure` and `rerunError`; a `status` attribute meaning skipped
//!   (`skipped`, `disabled`, `ignored`, `notrun`) when there is no result element.
//! - `<properties>` on suites and cases (`value` attribute or text), `<system-out>` and
//!   `<system-err>` on cases, suites and flaky/rerun elements, `<stackTrace>` in flaky/rerun
//!   elements.
//! - Any `time` form tools write (`1.5`, `0,5`, `1,234.5`; unknown for `""`, `NaN`, negative)
//!   and any ISO 8601 `timestamp` (with or without fraction, `Z`, an offset, or naive = UTC).
//! - Entities and character references, non-ASCII text, a UTF-8 byte order mark. An unknown
//!   entity (`&nbsp;`) and a lone `&` are kept as written.
//!
//! Everything else (unknown elements and attributes, comments, `<!DOCTYPE>`) is skipped.
//! Invalid UTF-8, malformed XML, a non-JUnit root element, text outside the root and an empty
//! input are a [`ParseError`] naming the input, line and column; nothing panics.
//!
//! # From `<testcase>` to [`TestResult`](tcms_api::report::TestResult)
//!
//! - **name**: the [`SummaryTemplate`] (default `${classname}.${name}`, the Python plugin's
//!   rules, including `None` for an absent attribute).
//! - **origin**: `suite` = the outermost `<testsuite>`'s name (what `${suitename}` renders),
//!   `class` = `classname`, `file` = the case's `file`, else the nearest suite's, `line` = the
//!   line of the `<testcase>` tag.
//! - **attempts**, in run order: one per `flakyFailure`/`flakyError` (runs that failed before the
//!   case passed), then the case's own run, then one per `rerunFailure`/`rerunError` (runs that
//!   failed again). So a flaky test is `[Failed, Passed]` and a test that failed on every run is
//!   `[Failed, Failed, ...]`.
//! - **the case's own run**: no result element = `Passed`; `<failure>` = `Failed`; `<error>` =
//!   `Error`; `<skipped>` = `Skipped`, pytest's xfail (`type="pytest.xfail"`) too (reported WAIVED, as
//!   the official plugin does; [`JunitParser::with_expected_failures`] makes it `Todo`, PAUSED).
//!   With several result elements the worst (by [`Outcome::severity`]) decides, the first one of
//!   that outcome giving the message; the others are appended to the details.
//! - **message**: the `message` attribute, else the `type` attribute. **details**: the element's
//!   text (failure body, stack trace), then its `<stackTrace>`. **stdout/stderr**:
//!   `<system-out>`/`<system-err>` (of the case for its own run, of the flaky/rerun element for
//!   that run). Leading blank lines and trailing whitespace of these texts are layout and are
//!   removed (the first line keeps its indentation); absent, empty or blank text is `None`,
//!   never an empty string.
//! - **timestamps**: `started` = the case's `timestamp`, else the suite's `timestamp` plus the
//!   `time` of the cases before it in that suite (nested suites without a timestamp continue the
//!   clock of the suite around them; `<testsuites timestamp>` counts as a suite's); `duration` =
//!   `time`; `stopped` = `started + duration` when both are known. Flaky/rerun attempts use their
//!   own `timestamp`/`time` attributes (nextest writes them), else they are unknown.
//! - **properties**: the case's, in order, then (unless
//!   [`JunitParser::with_suite_properties`] turned it off) those of the suites around it, from the
//!   innermost out; a suite's property is skipped when the case or a suite nested deeper sets the
//!   same name (the closer one wins), repeated names within one element are all kept.
//!
//! # Suite output
//!
//! A `<system-out>`/`<system-err>` of a `<testsuite>` (Gradle and Jest write the whole class's
//! output there, at the end of the suite) is attached to the **failed** cases of that suite only
//! (final outcome `Failed` or `Error`), as the stdout/stderr of their last attempt, when the case
//! has none of its own for that stream; passed, skipped and flaky cases never get it. To do that
//! the failed cases of a suite are held back until `</testsuite>`, so they come after the suite's
//! other cases; past 8 MiB of held-back results in one suite they are passed on without the suite
//! output, which keeps memory bounded. Output of a suite is not given to cases of suites nested
//! in it.
//!
//! [`Outcome::severity`]: tcms_api::report::Outcome::severity

#![warn(missing_docs)]

mod error;
mod parser;
mod position;
mod template;
mod values;

pub use error::{ParseError, ParseErrorKind};
pub use parser::{ExpectedFailure, JunitParser, STDIN};
pub use template::{ABSENT, SummaryTemplate, TemplateError, TemplateValues};
