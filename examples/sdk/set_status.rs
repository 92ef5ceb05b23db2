//! Sets one execution's status, with start and stop dates, and optionally adds a comment.
//!
//! Usage: set-status EXECUTION_ID STATUS [COMMENT]      e.g. set-status 42 PASSED "re-tested"

use anyhow::{Context, Result, bail};
use chrono::Utc;
use tcms_api::models::ExecutionUpdate;
use tcms_api::{Client, Config, Query, TestExecutionId};

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [execution, status, rest @ ..] = args.as_slice() else {
        bail!("usage: set-status EXECUTION_ID STATUS [COMMENT]");
    };
    let execution: TestExecutionId = execution
        .parse()
        .context("EXECUTION_ID must be a number like 42 or TE-42")?;
    let client = Client::new(Config::load()?)?;

    let statuses = client
        .test_execution_statuses()
        .filter(Query::new().eq("name", status.to_uppercase()))
        .await?;
    let Some(status) = statuses.first() else {
        bail!("the server has no execution status named {status}");
    };
    // Both dates in the same call as the status: Kiwi keeps their fractions only then.
    let now = Utc::now();
    let update = ExecutionUpdate::finished(status.id, now, now);
    let updated = client.test_executions().update(execution, &update).await?;
    println!(
        "{execution}: {}",
        updated.status_name.as_deref().unwrap_or(&status.name)
    );
    if let Some(comment) = rest.first() {
        client
            .test_executions()
            .add_comment(execution, comment)
            .await?;
        println!("{execution}: comment added");
    }
    Ok(())
}
