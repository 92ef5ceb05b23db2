//! The lines a report prints: `added:`/`reuse:` records (with `-v` or `--dry-run`) on stdout,
//! what did not land on stderr, and the summary line on stdout.

use std::io::Write as _;

use tcms_api::report::{Reporter, Summary};

use crate::args::CommonArgs;

/// How many failures are listed on stderr (all of them go into the receipt).
pub const FAILURES_LISTED: usize = 20;

/// Prints the records of a started report, with `-v` or `--dry-run`.
pub fn records(reporter: &Reporter, args: &CommonArgs) {
    if args.verbose > 0 || args.dry_run {
        let mut out = std::io::stdout().lock();
        for record in reporter.records() {
            let _ = writeln!(out, "{}", record.verbose_line());
        }
    }
}

/// Prints what did not land (and how to complete it) on stderr, then the summary line on
/// stdout.
pub fn finished(summary: &Summary, journal: Option<&std::path::Path>) {
    let mut err = std::io::stderr().lock();
    for line in summary.failure_lines(FAILURES_LISTED) {
        let _ = writeln!(err, "{line}");
    }
    if let (Some(run), Some(path), false) = (summary.run_id, journal, summary.is_complete()) {
        let _ = writeln!(
            err,
            "{} of {} result(s) did not land in {run}; run the same command with \
             `--resume {}` to complete it (nothing is duplicated)",
            summary.failures.len(),
            summary.parsed,
            path.display()
        );
    }
    let mut out = std::io::stdout().lock();
    if let Some(line) = summary.dry_run_line() {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{}", summary.line());
}
