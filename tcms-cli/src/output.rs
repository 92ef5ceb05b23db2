//! The lines a report prints: `added:`/`reuse:` records (with `-v` or `--dry-run`) on stdout,
//! what did not land on stderr, the CI outputs ([`tcms_ci`]: the Markdown summary, GitHub
//! step outputs, annotations on stdout), and the summary line on stdout. `--quiet` leaves out
//! everything but what did not land.

use std::io::Write as _;

use tcms_api::report::{Reporter, Summary};

use crate::args::CommonArgs;

/// How many failures are listed on stderr (all of them go into the receipt).
pub const FAILURES_LISTED: usize = 20;

/// Prints the records of a started report, with `-v` or `--dry-run` (not with `--quiet`).
pub fn records(reporter: &Reporter, args: &CommonArgs) {
    if (args.verbose > 0 || args.dry_run) && !args.quiet {
        let mut out = std::io::stdout().lock();
        for record in reporter.records() {
            let _ = writeln!(out, "{}", record.verbose_line());
        }
    }
}

/// Prints what did not land (and how to complete it) on stderr, writes the CI outputs of
/// `program` (see [`CommonArgs::ci_output`]), then prints the summary line on stdout (not
/// with `--quiet`).
pub fn finished(
    summary: &Summary,
    journal: Option<&std::path::Path>,
    program: &str,
    args: &CommonArgs,
) {
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
    drop(err);
    let ci = args.ci_output(program);
    if ci.is_active() {
        let warnings = ci.publish(summary, &mut std::io::stdout().lock());
        for warning in warnings {
            eprintln!("{program}: warning: {warning}");
        }
    }
    if args.quiet {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Some(line) = summary.dry_run_line() {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{}", summary.line());
}
