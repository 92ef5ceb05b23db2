//! Set-up and inspection for the specification's steps.

use serde_json::Value;

use super::lookup::*;
use super::*;

impl Db {
    // ----- set-up and inspection for the steps -----------------------------------------

    /// Calls one of the in-memory methods directly (to set up a scenario: not logged as a
    /// call).
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let (_, f) = METHODS
            .iter()
            .chain(METHODS_15_3)
            .find(|(name, _)| *name == method)
            .ok_or_else(|| format!("the in-memory Kiwi TCMS has no method {method}"))?;
        f(self, &params).map_err(|fault| format!("{method}: {}", fault.message))
    }

    /// Finds the id of a record by kind and name; `parent` narrows versions and categories
    /// (by product name) and builds (by version value).
    pub fn find(&self, kind: &str, name: &str, parent: Option<&str>) -> Result<i64, String> {
        let product = |p: i64| self.products.iter().find(|x| x.id == p).map(|x| &x.name);
        let ids: Vec<i64> = match kind {
            "product" => by_name(&self.products, |p| (p.id, &p.name), name),
            "classification" => by_name(&self.classifications, |c| (c.id, &c.name), name),
            "plan type" => by_name(&self.plan_types, |t| (t.id, &t.name), name),
            "test plan" => by_name(&self.plans, |p| (p.id, &p.name), name),
            "test run" => by_name(&self.runs, |r| (r.id, &r.summary), name),
            "test case" => by_name(&self.cases, |c| (c.id, &c.summary), name),
            "user" => by_name(&self.users, |u| (u.id, &u.username), name),
            "status" | "execution status" => by_name(&self.statuses, |s| (s.id, &s.name), name),
            "priority" => by_name(&self.priorities, |p| (p.id, &p.value), name),
            "case status" => by_name(&self.case_statuses, |s| (s.id, &s.name), name),
            "version" => self
                .versions
                .iter()
                .filter(|v| v.value == name)
                .filter(|v| parent.is_none_or(|p| product(v.product).is_some_and(|n| n == p)))
                .map(|v| v.id)
                .collect(),
            "category" => self
                .categories
                .iter()
                .filter(|c| c.name == name)
                .filter(|c| parent.is_none_or(|p| product(c.product).is_some_and(|n| n == p)))
                .map(|c| c.id)
                .collect(),
            "build" => self
                .builds
                .iter()
                .filter(|b| b.name == name)
                .filter(|b| {
                    parent.is_none_or(|p| self.version(b.version).is_some_and(|v| v.value == p))
                })
                .map(|b| b.id)
                .collect(),
            other => return Err(format!("no such kind of record: {other}")),
        };
        let within = parent.map(|p| format!(" of {p:?}")).unwrap_or_default();
        match ids.as_slice() {
            [id] => Ok(*id),
            [] => Err(format!("the server has no {kind} {name:?}{within}")),
            _ => Err(format!(
                "the server has {} records of kind {kind} named {name:?}{within}; say which",
                ids.len()
            )),
        }
    }

    /// How many records of a kind there are.
    pub fn count(&self, kind: &str) -> Result<usize, String> {
        Ok(match kind {
            "product" => self.products.len(),
            "classification" => self.classifications.len(),
            "version" => self.versions.len(),
            "build" => self.builds.len(),
            "category" => self.categories.len(),
            "plan type" => self.plan_types.len(),
            "test plan" => self.plans.len(),
            "test run" => self.runs.len(),
            "test case" => self.cases.len(),
            "execution" => self.executions.len(),
            "comment" => self.comments.len(),
            other => return Err(format!("no such kind of record: {other}")),
        })
    }

    /// A record as its `filter` returns it (raw, not escaped).
    pub fn record_json(&self, kind: &str, id: i64) -> Result<Value, String> {
        let missing = || format!("no {kind} with id {id}");
        match kind {
            "product" => self
                .products
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.json(self)),
            "version" => self.version(id).map(|v| v.json(self)),
            "build" => self.build(id).map(|b| b.json(self)),
            "test plan" => self.plan(id).map(|p| self.plan_json(p)),
            "test run" => self
                .runs
                .iter()
                .find(|r| r.id == id)
                .map(|r| self.run_json(r)),
            "test case" => self.case(id).map(|c| self.case_json(c)),
            "execution" => self
                .executions
                .iter()
                .find(|e| e.id == id)
                .map(|e| self.execution_json(e)),
            other => return Err(format!("records of kind {other} cannot be inspected")),
        }
        .ok_or_else(missing)
    }

    /// The executions of a run, in sort order.
    pub fn executions_of(&self, run: i64) -> Vec<&Execution> {
        let mut out: Vec<&Execution> = self.executions.iter().filter(|e| e.run == run).collect();
        out.sort_by_key(|e| (e.sortkey, e.id));
        out
    }

    /// The executions of the case named `summary` (in any run).
    pub fn executions_named(&self, summary: &str) -> Vec<&Execution> {
        self.executions
            .iter()
            .filter(|e| self.case(e.case).is_some_and(|c| c.summary == summary))
            .collect()
    }

    /// The summary of a case.
    pub fn case_summary(&self, id: i64) -> Option<&str> {
        self.case(id).map(|c| c.summary.as_str())
    }

    /// The summary of the case of an execution.
    pub fn execution_case_summary(&self, execution: i64) -> Option<&str> {
        self.executions
            .iter()
            .find(|e| e.id == execution)
            .and_then(|e| self.case_summary(e.case))
    }

    /// The name of an execution status.
    pub fn status_name(&self, id: i64) -> Option<&str> {
        self.status(id).map(|s| s.name.as_str())
    }

    /// The user name of a user.
    pub fn user_name(&self, id: i64) -> Option<&str> {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.username.as_str())
    }

    /// The comments of an execution, oldest first.
    pub fn comments_of(&self, execution: i64) -> Vec<&str> {
        self.comments
            .iter()
            .filter(|c| c.execution == execution)
            .map(|c| c.text.as_str())
            .collect()
    }

    /// The summaries of a plan's cases, in sort order.
    pub fn plan_case_summaries(&self, plan: i64) -> Vec<&str> {
        let Some(plan) = self.plan(plan) else {
            return Vec::new();
        };
        let mut cases = plan.cases.clone();
        cases.sort_by_key(|(id, sortkey)| (*sortkey, *id));
        cases
            .iter()
            .filter_map(|(id, _)| self.case_summary(*id))
            .collect()
    }

    /// The values of a product's versions, oldest first.
    pub fn version_values(&self, product: i64) -> Vec<&str> {
        self.versions
            .iter()
            .filter(|v| v.product == product)
            .map(|v| v.value.as_str())
            .collect()
    }
}
