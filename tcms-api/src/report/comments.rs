//! Phase 6: the execution comments. `add_comment` is not retry-safe, so a comment is never
//! sent twice: re-reporting into an existing run skips the comments an execution already has,
//! and a comment whose answer was lost is looked for before anything else happens.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use tracing::debug;

use super::create::{grace_period, next_delay};
use super::failures::Failures;
use crate::client::Client;
use crate::ids::TestExecutionId;
use crate::models::TestExecutions;

/// A comment to add: the case it reports, its execution, the text.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) summary: String,
    pub(crate) execution: TestExecutionId,
    pub(crate) text: String,
}

/// Drops comments identical to one the execution already has (re-reporting into
/// `TCMS_RUN_ID` must not duplicate them). When the comments cannot be read, the case is
/// noted as failed rather than risking a duplicate.
pub(crate) async fn drop_existing(
    client: &Client,
    pending: Vec<Pending>,
    failed: &mut Failures,
) -> Vec<Pending> {
    let mut ids: Vec<TestExecutionId> = pending.iter().map(|p| p.execution).collect();
    ids.sort();
    ids.dedup();
    let calls = ids
        .iter()
        .map(|id| TestExecutions::get_comments_call(*id))
        .collect();
    let answers = client.send_all(calls).await;
    let mut existing: HashMap<TestExecutionId, HashSet<String>> = HashMap::new();
    let mut unreadable: HashMap<TestExecutionId, String> = HashMap::new();
    for (id, answer) in ids.iter().zip(answers) {
        match answer {
            Ok(comments) => {
                existing
                    .entry(*id)
                    .or_default()
                    .extend(comments.into_iter().map(|c| c.comment.trim().to_owned()));
            }
            Err(e) => {
                unreadable.insert(*id, e.to_string());
            }
        }
    }
    pending
        .into_iter()
        .filter(|p| {
            if let Some(e) = unreadable.get(&p.execution) {
                failed.note(
                    &p.summary,
                    format!("cannot check the comments of {}: {e}", p.execution),
                );
                return false;
            }
            !existing
                .get(&p.execution)
                .is_some_and(|set| set.contains(p.text.trim()))
        })
        .collect()
}

/// Adds comments. A comment whose request got no answer (timeout, reset, 502) may or may not
/// exist, or may still wait in the server's queue: it is looked for during a grace period and,
/// if it does not appear, reported as not landed, never sent again by this process
/// (`--resume` later finds it if it landed after all).
pub(crate) async fn add(client: &Client, pending: Vec<Pending>, failed: &mut Failures) {
    if pending.is_empty() {
        return;
    }
    let calls = pending
        .iter()
        .map(|p| TestExecutions::add_comment_call(p.execution, &p.text))
        .collect();
    let answers = client.send_all(calls).await;
    let mut unsure = Vec::new();
    let mut last_error = HashMap::new();
    for (p, answer) in pending.into_iter().zip(answers) {
        match answer {
            Ok(_) => {}
            Err(e) if e.is_ambiguous() => {
                last_error.insert(p.summary.clone(), e.to_string());
                unsure.push(p);
            }
            Err(e) => failed.note(&p.summary, e.to_string()),
        }
    }
    let grace = grace_period(client);
    let started = Instant::now();
    let mut delay = Duration::from_millis(500);
    while !unsure.is_empty() {
        debug!(
            comments = unsure.len(),
            "comment answers lost, looking for them"
        );
        unsure = drop_existing(client, unsure, failed).await;
        if unsure.is_empty() || started.elapsed() >= grace {
            break;
        }
        tokio::time::sleep(delay).await;
        delay = next_delay(delay);
    }
    for p in unsure {
        let error = last_error.remove(&p.summary).unwrap_or_default();
        failed.note(&p.summary, error);
    }
}
