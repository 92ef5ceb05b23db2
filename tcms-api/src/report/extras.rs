//! Phase 7: what an execution carries besides its status and comment, sent where the server
//! can hold it: properties (Kiwi ≥ 15.3; before, in the comment), a link to the CI job on every
//! execution that did not pass (every version), and attached files (Kiwi ≥ 15.3).
//!
//! Properties are get-or-create on the server (retry-safe). Links and attachments are not:
//! each is sent once per execution in a session, and, in a run that existed before, only when
//! the execution does not have it yet.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use tracing::warn;

use super::failures::Failures;
use crate::client::Client;
use crate::ids::{TestExecutionId, TestRunId};
use crate::models::{NewLink, TestExecutions};
use crate::query::Query;
use crate::rpc::Batch;

/// The extras of one batch of results.
#[derive(Debug, Default)]
pub(crate) struct Work {
    /// `(case summary, execution, name, value)`.
    pub(crate) properties: Vec<(String, TestExecutionId, String, String)>,
    /// `(case summary, execution)` to link to the CI job.
    pub(crate) links: Vec<(String, TestExecutionId)>,
    /// `(case summary, execution, file)`.
    pub(crate) attachments: Vec<(String, TestExecutionId, PathBuf)>,
}

/// What was sent in this session, so that nothing is sent twice.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    properties: HashSet<(TestExecutionId, String, String)>,
    links: HashSet<TestExecutionId>,
    attachments: HashSet<(TestExecutionId, String)>,
    /// The run's links before this report (read once, for a run that existed).
    links_before: Option<HashSet<(TestExecutionId, String)>>,
}

/// Where the extras go and how.
pub(crate) struct Context<'a> {
    pub(crate) client: &'a Client,
    pub(crate) run: TestRunId,
    pub(crate) run_existed: bool,
    pub(crate) job_url: Option<&'a str>,
    pub(crate) attachment_limit: u64,
}

/// Sends the extras; a server failure marks the case as not landed.
pub(crate) async fn send(ctx: &Context<'_>, work: Work, sent: &mut Sent, failed: &mut Failures) {
    let mut batch = Batch::new();
    let mut owners = Vec::new();
    let mut property_slots = Vec::new();
    for (summary, execution, name, value) in work.properties {
        if sent
            .properties
            .insert((execution, name.clone(), value.clone()))
        {
            let slot = batch.push(TestExecutions::add_property_call(execution, &name, &value));
            property_slots.push((summary, slot));
        }
    }
    // Properties are retry-safe: sent on their own so that the client may retry them.
    let mut answers = ctx.client.send_batch(batch).await;
    for (summary, slot) in property_slots {
        if let Err(e) = answers.take(slot) {
            failed.note(&summary, e.to_string());
        }
    }

    let mut batch = Batch::new();
    if let Some(url) = ctx.job_url
        && !work.links.is_empty()
    {
        if ctx.run_existed && sent.links_before.is_none() {
            let lookup = TestExecutions::get_links_call(Query::new().eq("execution__run", ctx.run));
            match ctx.client.send(lookup).await {
                Ok(links) => {
                    sent.links_before = Some(
                        links
                            .into_iter()
                            .filter_map(|l| l.execution.map(|e| (e, l.url)))
                            .collect(),
                    );
                }
                Err(e) => {
                    for (summary, _) in &work.links {
                        failed.note(summary, format!("cannot read the run's links: {e}"));
                    }
                    return;
                }
            }
        }
        for (summary, execution) in work.links {
            let before = sent
                .links_before
                .as_ref()
                .is_some_and(|b| b.contains(&(execution, url.to_owned())));
            if before || !sent.links.insert(execution) {
                continue;
            }
            let mut link = NewLink::new(execution, url);
            link.name = Some("CI job".into());
            owners.push((summary, batch.push(TestExecutions::add_link_call(&link))));
        }
    }
    let mut attachment_slots = Vec::new();
    let mut listed: HashMap<TestExecutionId, HashSet<String>> = HashMap::new();
    if ctx.run_existed {
        let executions: HashSet<TestExecutionId> =
            work.attachments.iter().map(|(_, e, _)| *e).collect();
        let mut lookups = Batch::new();
        let slots: Vec<_> = executions
            .iter()
            .map(|e| (*e, lookups.push(TestExecutions::list_attachments_call(*e))))
            .collect();
        let mut answers = ctx.client.send_batch(lookups).await;
        for (execution, slot) in slots {
            // Unreadable: sent anyway (a duplicate file is better than a lost one).
            if let Ok(list) = answers.take(slot) {
                listed.insert(
                    execution,
                    list.iter()
                        .filter_map(|a| a.url.rsplit('/').next().map(str::to_owned))
                        .collect(),
                );
            }
        }
    }
    for (summary, execution, path) in work.attachments {
        let Some((filename, base64)) = read_attachment(&path, ctx.attachment_limit) else {
            continue;
        };
        let already = listed
            .get(&execution)
            .is_some_and(|names| names.contains(&sanitised(&filename)));
        if already || !sent.attachments.insert((execution, filename.clone())) {
            continue;
        }
        attachment_slots.push((
            summary,
            batch.push(TestExecutions::add_attachment_call(
                execution, &filename, &base64,
            )),
        ));
    }
    let mut answers = ctx.client.send_batch(batch).await;
    for (summary, slot) in owners {
        if let Err(e) = answers.take(slot) {
            failed.note(&summary, e.to_string());
        }
    }
    for (summary, slot) in attachment_slots {
        if let Err(e) = answers.take(slot) {
            failed.note(&summary, e.to_string());
        }
    }
}

/// The file's name and base64 content, or `None` (with a warning) when it is missing,
/// unreadable or over `limit` bytes.
pub(crate) fn read_attachment(path: &Path, limit: u64) -> Option<(String, String)> {
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => {
            warn!("attachment {} left out: {e}", path.display());
            return None;
        }
    };
    if size > limit {
        warn!(
            "attachment {} left out: {size} bytes, over the limit of {limit} (--attachment-limit)",
            path.display()
        );
        return None;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            warn!("attachment {} left out: {e}", path.display());
            return None;
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    Some((
        name,
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

/// A file name as Kiwi stores it (Django's `get_valid_filename`: spaces become `_`, only
/// letters, digits, `-`, `_` and `.` are kept).
pub(crate) fn sanitised(name: &str) -> String {
    name.trim()
        .replace(' ', "_")
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised_like_django() {
        assert_eq!(sanitised("log <1>.txt"), "log_1.txt");
        assert_eq!(sanitised("a b.png"), "a_b.png");
    }

    #[test]
    fn attachments_are_read_capped_and_encoded() {
        let dir = std::env::temp_dir().join(format!("tcms-attach-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("out.txt");
        std::fs::write(&file, b"hello").unwrap();
        assert_eq!(
            read_attachment(&file, 10),
            Some(("out.txt".into(), "aGVsbG8=".into()))
        );
        assert_eq!(read_attachment(&file, 4), None);
        assert_eq!(read_attachment(&dir.join("missing"), 10), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
