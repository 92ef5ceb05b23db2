//! Lists the runs of a TestPlan with their pass/fail counts, in two requests after login:
//! one for the runs, one for all their executions.
//!
//! Usage: plan-runs PLAN_ID

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use tcms_api::{Client, Config, Query, TestPlanId};

#[tokio::main]
async fn main() -> Result<()> {
    let plan: TestPlanId = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .context("PLAN_ID must be a number like 5 or TP-5")?,
        None => bail!("usage: plan-runs PLAN_ID"),
    };
    let client = Client::new(Config::load()?)?;

    let runs = client
        .test_runs()
        .filter(Query::new().eq("plan", plan))
        .await?;
    let run_ids: Vec<_> = runs.iter().map(|r| r.id).collect();
    let executions = client
        .test_executions()
        .filter(Query::new().any_of("run", run_ids))
        .await?;

    // Count statuses per run, by the name the server gives them.
    let mut counts: BTreeMap<_, BTreeMap<String, usize>> = BTreeMap::new();
    for e in &executions {
        let status = e.status_name.clone().unwrap_or_else(|| "?".into());
        if let Some(run) = e.run {
            *counts.entry(run).or_default().entry(status).or_default() += 1;
        }
    }
    println!("{plan}: {} run(s)", runs.len());
    for run in &runs {
        let by_status = counts.remove(&run.id).unwrap_or_default();
        let total: usize = by_status.values().sum();
        let passed = by_status.get("PASSED").copied().unwrap_or(0);
        let failed = by_status.get("FAILED").copied().unwrap_or(0)
            + by_status.get("ERROR").copied().unwrap_or(0);
        println!(
            "{}  {}  {passed} passed, {failed} failed, {} other  {}",
            run.id,
            run.summary,
            total - passed - failed,
            run.stop_date
                .map(|d| format!("finished {d}"))
                .unwrap_or_else(|| "not finished".into()),
        );
    }
    Ok(())
}
