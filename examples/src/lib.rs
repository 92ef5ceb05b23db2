//! SDK scripts a user copies: each file under `sdk/` is a small program built on `tcms-api`.
//!
//! - `plan-runs PLAN_ID`: the runs of a TestPlan with their pass/fail counts.
//! - `set-status EXECUTION_ID STATUS [COMMENT]`: set one execution's status (and comment).
//!
//! They read the Kiwi TCMS URL and credentials like every plugin: `~/.tcms.conf`, then
//! `TCMS_API_URL`, `TCMS_USERNAME`, `TCMS_PASSWORD`. CI recipes are in `examples/ci/`, a
//! project using the test harness in `examples/harness-demo/`.
