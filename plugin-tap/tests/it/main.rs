//! The one integration-test binary of plugin-tap.

// Test helpers may unwrap: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

// End to end against the real Kiwi TCMS.
mod ci_e2e;
mod e2e;
// Golden files: every fixture's results and summary, rendered as text.
mod fixtures;
// The `tap_parser` crate measured against the same corpus, and used as a cross-check.
mod measure;
// Generated TAP, well-formed and messy: the properties every reading must have.
mod props;
// Inputs nobody wrote on purpose: random lines, truncations, huge streams.
mod robustness;
// Plans in the middle, late version lines, subtest headings, stray indented lines.
mod structure;
// The incremental behaviour: when results come out, flushing, bailing out, errors.
mod streaming;
// Shared helpers.
mod util;
