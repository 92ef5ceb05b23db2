//! Reads TAP (the Test Anything Protocol) into the normalized results that the Kiwi TCMS
//! reporting engine consumes ([`tcms_api::report::TestResult`]).
//!
//! The parser is incremental: [`Parser::push_line`] takes one line and returns the result that
//! line completed, so a pipe is reported as it goes and memory stays flat. [`Results`] wraps it
//! as an iterator over a [`std::io::BufRead`]; [`parse_str`] reads a whole text.
//!
//! # What is accepted
//!
//! The TAP specification asks consumers to be lenient, and real output needs it. Everything
//! below is read; nothing in it is an error:
//!
//! - TAP 12 (no version line), `TAP version 13` and `TAP version 14` (any case);
//! - the plan at the start or at the end, `1..0 # SKIP reason`, or no plan at all;
//! - YAML diagnostic blocks (`  ---` ... `  ...`) right after a test point, at any
//!   indentation, closed or not (an unclosed block ends at the first less indented line);
//! - subtests in the TAP 14 form (`# Subtest: name` then the child indented by 4 spaces), with
//!   the heading indented like the child (`    # Subtest: name`, as Test::Builder before 1.3
//!   and node-tap before 12 write it), in the bare indented form (Test::More, node's test
//!   runner), and node-tap's buffered form (`ok 1 - name {` ... `}`, an empty one too), nested to any depth
//!   (past 32 levels the rest is kept as text);
//! - pragmas (`pragma +strict`; read and ignored), `#` comments, blank lines;
//! - lines that are not TAP at all (log output, compiler messages, `prove`'s summary): they are
//!   counted in [`Summary::non_tap_lines`] and otherwise ignored;
//! - several documents in one stream: the output of `prove -v` over several files, or streams
//!   written one after the other. A new document starts at a `t/name.t .. ` header of
//!   `prove -v` (its name becomes [`Origin::suite`](tcms_api::report::Origin::suite)), at a
//!   second plan, and where the numbering starts again after a `TAP version` line or after a
//!   plan that followed test points: when the next test point's number was already seen in the
//!   document (without a number: when the plan is already complete, or there is none). So a
//!   plan in the middle of the stream (tests 2 to 13, `1..15`, then 1, 14 and 15) or a
//!   `TAP version` line after the plan starts nothing, and the plan is counted against the
//!   test points of the whole stream. Each document has its own plan accounting;
//! - CRLF line ends and a byte order mark.
//!
//! Only input that cannot be read as text is an error ([`ParseError`]): a line that is not
//! UTF-8 names the source, the line and the column. No input makes the parser panic.
//!
//! # When a result is complete
//!
//! A test point's result is complete when the next test point at its level, a plan, a
//! `Bail out!`, a subtest header or indented subtest lines, a new document, or the end of the
//! input arrives. Its YAML block and the `#` lines that follow it belong to it, including after
//! the last test of the input (the Python plugin drops those). `#` lines after the plan at the
//! end of a document (node's `# tests 8` footer) belong to no result.
//! [`Parser::has_pending`] says whether a result is still being built; [`Parser::flush`]
//! completes it early for a live reporter whose input went quiet.
//!
//! # Mapping
//!
//! Each top-level test point gives one [`TestResult`](tcms_api::report::TestResult) with one
//! attempt; results are handed out in input order and never merged (two results with the same
//! name are both reported; the engine merges them, worst outcome first).
//!
//! **Names.** The case name is the description without the ` - ` separator, with TAP 14's `\#`
//! and `\\` escapes undone: `ok 1 - adds numbers` gives `adds numbers`. A subtest's parent is
//! named by the subtest's name (`# Subtest: name`) when it has one, otherwise by its
//! description. A test point without a description gets `<stem> #<number>`, where `<stem>` is
//! the file stem of the source name (or of the `prove` file name, or
//! [`Options::fallback_stem`] for standard input) and `<number>` the test number, given or
//! implied (its position in the document): `ok 3` in `t/basic.t` is `basic #3`. With [`Options::compat_summaries`] the name is what the Python
//! `kiwitcms-tap-plugin` uses (tap.py's description: the text between the number and the first
//! `#`, trimmed, so `ok 1 - foo` gives `- foo`), keeping existing Kiwi cases matched; the
//! fallback name still replaces an empty one (the Python plugin fails there).
//!
//! **Outcome.** `ok` is [`Outcome::Passed`](tcms_api::report::Outcome::Passed), `not ok` is
//! `Failed`. A `# SKIP` directive (any case, `SKIP\S*`, so `# Skipped:` too) makes it
//! `Skipped` and a `# TODO` directive (any case) makes it `Todo`, whether the line says `ok` or
//! `not ok`. The directive is looked for at the first unescaped `#` only; a `#` that starts
//! neither a directive nor node-tap's `# time=12ms` trailer is part of the description (as in
//! Test::Harness), so `ok 1 - issue #42` keeps its name. `ok ... # TODO` (a TODO test that
//! passed) stays `Todo`, with the message `TODO test passed: <reason>`: the specification does
//! not count a passing TODO test as a plain pass but as a "bonus" to report so that the TODO
//! can be removed, and `Passed` would hide it (the engine writes no comment for passes). The
//! message says "passed", not "unexpectedly": node-tap writes `ok` for every TODO subtest,
//! failing or not.
//!
//! **Message and details.** The message is the directive's reason (for SKIP and TODO), else the
//! first line of the YAML `message`, else of node's YAML `error`. The details are, in order
//! and separated by blank lines: the subtest section (below); a short head with the YAML
//! `wanted`, `found`, `expected`, `actual` (single-line values) and `at:` with the location;
//! the whole YAML block between `---` and `...`; the `#` lines after the test point (`#` and
//! one space removed). YAML `duration_ms` (or node-tap's `# time=` trailer) sets
//! [`Attempt::duration`](tcms_api::report::Attempt::duration); dates are left to the engine.
//! YAML `severity` and the location (`at` or `location`; a mapping becomes `file:line:column`)
//! are also kept as properties. Each text part is capped at
//! [`MAX_COMMENT_BYTES`](tcms_api::report::MAX_COMMENT_BYTES), with a note of what was cut.
//!
//! **Subtests.** There is one result per *top-level* test point: a subtest's parent is one
//! case, and the nested results go into its details, never into cases of their own. Its
//! details start with the subtest section: one line such as
//! `subtest "parser": 2 passed, 1 failed (plan 1..3)`, a line naming the nested results that
//! failed (at most 10), lines for missing planned tests and a bail out inside, a blank line,
//! then the subtest's own lines, one indentation level removed (nested YAML and comments
//! included). The outcome is the parent test point's own. A `# Subtest: name` heading names
//! its test point; a heading with nothing after it (node's test runner writes one before each
//! test point) only when the test point has no description.
//!
//! A subtest that never gets its test point (the input ends, bails out or starts another
//! subtest inside it) becomes an `Error` result named by the subtest, when the document still
//! expects a test: it has no plan, or a planned number was not seen yet. Indented lines that
//! belong to no test are ignored and counted in [`Summary::ignored_subtests`] (`tcms-tap -v`
//! names their lines): a subtest after the plan was complete (a stray indented test point
//! after the last test, a heading at the end), indented lines without a heading and without
//! results that no test point follows, and, inside a subtest, a heading with nothing after it.
//!
//! **Origin.** [`Origin::file`](tcms_api::report::Origin::file) is the source name,
//! [`Origin::line`](tcms_api::report::Origin::line) the input line of the test point,
//! [`Origin::suite`](tcms_api::report::Origin::suite) the `prove` file name if any.
//!
//! # Plan, missing tests, bail out
//!
//! [`Parser::summary`] lists the [`Document`]s with their plan, the number of test points and
//! the planned test numbers that never reported (as ranges), so that the command line can list
//! them and exit non-zero; [`Document::matches_plan`] and [`Summary::is_complete`] sum it up
//! (as many test points as planned, every planned number seen, none outside the plan, no bail
//! out). `Bail out!` (any case, at any level) stops the reading there: the pending result is
//! completed, later lines are ignored, and [`Summary::bailed_out`] holds the reason.
//!
//! # Why not `tap_parser`
//!
//! The `tap_parser` crate (0.1.1) was measured against the fixture corpus of this crate (the
//! table, kept current for every fixture, is in `tests/fixtures/README.md`; a test recomputes
//! it). Of the 30 fixtures it was chosen against, it accepts 2 as produced: it rejects every document that does not start with
//! `TAP version 14`, which is all the Perl, `prove`, bats, pytest, tape and node test runner
//! output, and node-tap's own TAP 14 (for its ` # time=` trailers). With the first line forced
//! to `TAP version 14` it accepts 16 of 30, still rejecting non-TAP lines, concatenated
//! documents, buffered subtests, `#` in descriptions, and a YAML block or a `Bail out!` it
//! does not like; and on one fixture it accepts it reads zero tests instead of two (a pragma
//! before the plan makes it take the plan for a trailing one and stop). It also parses whole
//! documents only (no streaming, which `--live` needs) and keeps subtest contents private. So
//! it serves only as a cross-check in the tests, on the fixtures it reads the same way.
//!
//! # Layers
//!
//! The modules depend on each other in one direction only, each on the ones before it:
//! `line` (what one line is; no state) and `yamlish` (the top level of a YAML block), `summary`
//! (plans and documents as plain data) and `error`; then `mapping` ([`Options`] and the rules
//! that turn one completed test point, plain data, into a `TestResult`); then `parser` (the
//! state machine over nesting levels, which hands completed test points to `mapping`); then
//! `reader` ([`Results`] and [`parse_str`] over the parser).

mod error;
mod line;
mod mapping;
mod parser;
mod reader;
mod summary;
mod yamlish;

pub use error::ParseError;
pub use mapping::Options;
pub use parser::Parser;
pub use reader::{Results, parse_str};
pub use summary::{Document, Plan, Summary};
