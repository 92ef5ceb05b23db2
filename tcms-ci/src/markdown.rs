//! The Markdown summary of a report: a heading with the verdict, the TestRun link, counts per
//! status, and the first cases that did not pass (linked to their case and execution pages),
//! then what did not land. GitHub renders it on the job page (`GITHUB_STEP_SUMMARY`); GitLab
//! and Jenkins show the file as an artifact.

use std::fmt::Write as _;

use tcms_api::report::{KiwiStatus, NotPassed, Summary};

use crate::links::Links;

/// How much the summary lists, so that a huge failing run stays readable (GitHub accepts at
/// most 1 MiB per step; this stays far below).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Cases that did not pass listed in the table (the count of all is in the heading).
    pub failures: usize,
    /// Characters of a case name in the table (longer ones end in `…`).
    pub name_chars: usize,
    /// Characters of a message in the table.
    pub message_chars: usize,
    /// Results that did not land listed.
    pub not_reported: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            failures: 20,
            name_chars: 120,
            message_chars: 160,
            not_reported: 10,
        }
    }
}

impl Limits {
    /// At most `n` cases that did not pass in the table.
    pub fn failures(mut self, n: usize) -> Self {
        self.failures = n;
        self
    }
}

/// The mark of a status in the tables (the name follows it, so no meaning hangs on colour or
/// on the symbol alone).
pub fn status_mark(status: KiwiStatus) -> &'static str {
    match status {
        KiwiStatus::Passed => "✅",
        KiwiStatus::Failed => "❌",
        KiwiStatus::Error => "💥",
        KiwiStatus::Blocked => "⛔",
        KiwiStatus::Waived => "⏭️",
        KiwiStatus::Paused => "⏸️",
        KiwiStatus::Idle | KiwiStatus::Running => "⏳",
    }
}

/// The summary of `summary` as reported by `program`, ending in a blank line so that several
/// reports appended to one file stay apart.
pub fn render(summary: &Summary, program: &str, limits: &Limits) -> String {
    let links = Links::of(summary);
    let mut out = String::new();
    heading(&mut out, summary, program);
    target_line(&mut out, summary, &links, program);
    counts(&mut out, summary);
    not_passed(&mut out, summary, &links, limits);
    not_reported(&mut out, summary, limits);
    out.push('\n');
    out
}

fn heading(out: &mut String, summary: &Summary, program: &str) {
    let cases = summary.cases;
    let failed: usize = summary
        .accepted
        .iter()
        .filter(|(status, _)| is_failure(**status))
        .map(|(_, n)| n)
        .sum();
    let lost = summary.failures.len();
    let (mark, verdict) = if lost > 0 {
        ("⚠️", format!("{lost} result(s) not reported"))
    } else if failed > 0 {
        ("❌", format!("{failed} of {cases} case(s) failed"))
    } else if cases == 0 {
        ("⚠️", "no test results".to_owned())
    } else if summary.not_passed_total > 0 {
        ("✅", format!("{cases} case(s), none failed"))
    } else {
        ("✅", format!("{cases} case(s) passed"))
    };
    let dry = if summary.dry_run { " (dry run)" } else { "" };
    let _ = writeln!(
        out,
        "### {mark} Kiwi TCMS{dry}: {verdict} · {}\n",
        escape(program)
    );
}

/// FAILED, ERROR and BLOCKED: what fails a run (and is annotated).
pub fn is_failure(status: KiwiStatus) -> bool {
    status.severity() >= KiwiStatus::Blocked.severity()
}

/// The cases that did not pass, the worst first (input order among equals).
pub fn worst_first(summary: &Summary) -> Vec<&NotPassed> {
    let mut entries: Vec<&NotPassed> = summary.not_passed.iter().collect();
    entries.sort_by_key(|n| std::cmp::Reverse(n.status.severity()));
    entries
}

fn target_line(out: &mut String, summary: &Summary, links: &Links, program: &str) {
    let run = match (&summary.run_id, links.run()) {
        (Some(id), Some(url)) => format!("[{id}]({})", link_target(url)),
        (Some(id), None) => id.to_string(),
        (None, _) => "a new TestRun".to_owned(),
    };
    let verb = if summary.dry_run {
        "Nothing was changed (dry run); results would go into"
    } else {
        "Results in"
    };
    let _ = writeln!(
        out,
        "{verb} {run} · {} result(s) read by `{}` · {} request(s) in {:.1} s\n",
        summary.parsed,
        program.replace('`', "'"),
        summary.requests,
        summary.seconds
    );
}

fn counts(out: &mut String, summary: &Summary) {
    if summary.accepted.is_empty() && summary.flaky == 0 && summary.failures.is_empty() {
        return;
    }
    let mut rows: Vec<(KiwiStatus, usize)> =
        summary.accepted.iter().map(|(s, n)| (*s, *n)).collect();
    // The worst first, as a reader looks for them.
    rows.sort_by_key(|(status, _)| std::cmp::Reverse(status.severity()));
    out.push_str("| status | cases |\n|:--|--:|\n");
    for (status, n) in rows {
        let _ = writeln!(out, "| {} {} | {n} |", status_mark(status), status.name());
    }
    if summary.flaky > 0 {
        let _ = writeln!(out, "| 🔁 passed on a re-run (flaky) | {} |", summary.flaky);
    }
    if !summary.failures.is_empty() {
        let _ = writeln!(out, "| ⚠️ not reported | {} |", summary.failures.len());
    }
    out.push('\n');
}

fn not_passed(out: &mut String, summary: &Summary, links: &Links, limits: &Limits) {
    let total = summary.not_passed_total.max(summary.not_passed.len());
    if total == 0 || limits.failures == 0 {
        return;
    }
    let shown = summary.not_passed.len().min(limits.failures);
    let title = if shown < total {
        format!("The first {shown} of {total} cases that did not pass")
    } else {
        format!("{total} case(s) that did not pass")
    };
    let _ = writeln!(out, "#### {title}\n");
    out.push_str("| status | case | message | where |\n|:--|:--|:--|:--|\n");
    for entry in worst_first(summary).into_iter().take(shown) {
        row(out, entry, links, limits);
    }
    if shown < total {
        let more = total - shown;
        let rest = match links.run() {
            Some(url) => format!("in [the TestRun]({})", link_target(url)),
            None => "in the TestRun".to_owned(),
        };
        let _ = writeln!(out, "\n… and {more} more {rest}.");
    }
    out.push('\n');
}

fn row(out: &mut String, entry: &NotPassed, links: &Links, limits: &Limits) {
    let name = escape(&truncate(&entry.name, limits.name_chars));
    let mut case = match entry.case.and_then(|id| links.case(id)) {
        Some(url) => format!("[{name}]({})", link_target(&url)),
        None => name,
    };
    if let Some(execution) = entry.execution {
        match links.execution(execution) {
            Some(url) => {
                let _ = write!(case, " ([{execution}]({}))", link_target(&url));
            }
            None => {
                let _ = write!(case, " ({execution})");
            }
        }
    }
    let message = entry
        .message
        .as_deref()
        .map(|m| escape(&truncate(m, limits.message_chars)))
        .unwrap_or_default();
    let place = entry
        .location
        .as_ref()
        .map(|l| {
            let mut text = l.file.clone();
            if let Some(line) = l.line {
                let _ = write!(text, ":{line}");
            }
            format!("`{}`", truncate(&text, 80).replace('`', "'"))
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "| {} {} | {case} | {message} | {place} |",
        status_mark(entry.status),
        entry.status.name()
    );
}

fn not_reported(out: &mut String, summary: &Summary, limits: &Limits) {
    if summary.failures.is_empty() {
        return;
    }
    let total = summary.failures.len();
    let _ = writeln!(
        out,
        "#### ⚠️ {total} result(s) did not land in Kiwi TCMS\n\n\
         The job log says why and how to complete the run (`--resume`).\n"
    );
    for failure in summary.failures.iter().take(limits.not_reported) {
        let _ = writeln!(
            out,
            "- {}: {}",
            escape(&truncate(&failure.name, limits.name_chars)),
            escape(&truncate(&failure.error, limits.message_chars))
        );
    }
    if total > limits.not_reported {
        let _ = writeln!(out, "- … and {} more", total - limits.not_reported);
    }
}

/// `text` on one line, at most `max` characters (then `…`).
pub fn truncate(text: &str, max: usize) -> String {
    let one_line = text.split(['\r', '\n']).next().unwrap_or_default().trim();
    let mut chars = one_line.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() || one_line.len() < text.trim().len() {
        if out.chars().count() >= max {
            out.pop();
        }
        out.push('…');
    }
    out
}

/// Text for a table cell or a link's text: Markdown and HTML are shown as they are, not
/// interpreted (`|` does not end the cell, `<b>` is not a tag, `*x*` is not emphasis).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!' | '(' | ')'
            | '{' | '}' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A URL as a link target: characters that would end or break it are percent-encoded.
pub fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '"' => out.push_str("%22"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
