//! GitHub Actions workflow annotations for failures whose input names a source file:
//! `::error file=src/lib.rs,line=10,col=5,title=...::message`, escaped as the runner reads
//! them (`%`, `\r`, `\n` in the message; also `:` and `,` in properties).
//!
//! GitHub shows at most 10 error annotations per step (50 per job), so the default is 10.

use std::path::Path;

use tcms_api::report::Summary;

use crate::links::Links;
use crate::markdown::{is_failure, truncate, worst_first};

/// The default of `--max-annotations`: what GitHub shows of one step.
pub const DEFAULT_MAX: usize = 10;

/// The annotations of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations {
    /// The workflow commands, one per line.
    pub lines: Vec<String>,
    /// Failures with a location that were left out by the limit.
    pub left_out: usize,
}

/// The annotations of the failures (FAILED, ERROR, BLOCKED) of `summary` that name a file, at
/// most `max`. A file under `workspace` (`GITHUB_WORKSPACE`) is made relative to it, as
/// GitHub needs to place it in the diff.
pub fn render(summary: &Summary, max: usize, workspace: Option<&Path>) -> Annotations {
    let links = Links::of(summary);
    let mut out = Annotations::default();
    for entry in worst_first(summary) {
        if !is_failure(entry.status) {
            continue;
        }
        let Some(location) = &entry.location else {
            continue;
        };
        if out.lines.len() == max {
            out.left_out += 1;
            continue;
        }
        let mut properties = vec![("file", relative(&location.file, workspace))];
        if let Some(line) = location.line {
            properties.push(("line", line.to_string()));
            if let Some(column) = location.column {
                properties.push(("col", column.to_string()));
            }
        }
        properties.push((
            "title",
            format!("{}: {}", entry.status.name(), truncate(&entry.name, 200)),
        ));
        let mut message = entry
            .message
            .clone()
            .unwrap_or_else(|| format!("{} in Kiwi TCMS", entry.status.name()));
        if let Some(execution) = entry.execution {
            message.push_str(&format!("\n\nKiwi TCMS: {execution}"));
            if let Some(url) = links.execution(execution) {
                message.push_str(&format!(" {url}"));
            }
        }
        out.lines.push(command("error", &properties, &message));
    }
    out
}

/// One workflow command: `::NAME key=value,...::message`.
pub fn command(name: &str, properties: &[(&str, String)], message: &str) -> String {
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    let separator = if properties.is_empty() { "" } else { " " };
    format!(
        "::{name}{separator}{}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// A command's message: `%` `\r` `\n` percent-encoded.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: as [`escape_data`], and `:` `,` too.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn relative(file: &str, workspace: Option<&Path>) -> String {
    let path = Path::new(file);
    match workspace.and_then(|w| path.strip_prefix(w).ok()) {
        Some(inside) if path.is_absolute() => inside.to_string_lossy().into_owned(),
        _ => file.to_owned(),
    }
}
