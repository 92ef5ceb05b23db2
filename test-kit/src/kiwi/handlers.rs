//! The methods of the in-memory Kiwi, as Kiwi TCMS answers them.

use serde_json::{Value, json};

use super::args::*;
use super::lookup::*;
use super::*;
use crate::fake::{HandlerResult, RpcFault};

impl Db {
    // ----- handlers --------------------------------------------------------------------

    pub(crate) fn priority_filter(&mut self, params: &Value) -> HandlerResult {
        let mut rows: Vec<Row> = self
            .priorities
            .iter()
            .map(|p| Row::new(json!({"id": p.id, "value": p.value, "is_active": true})))
            .collect();
        if self.priorities_reversed {
            rows.reverse();
        }
        select("Priority", &["id", "value", "is_active"], rows, params)
    }

    pub(crate) fn case_status_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .case_statuses
            .iter()
            .map(|s| {
                Row::new(json!({"id": s.id, "name": s.name, "description": "",
                                "is_confirmed": s.is_confirmed}))
            })
            .collect();
        select(
            "TestCaseStatus",
            &["id", "name", "description", "is_confirmed"],
            rows,
            params,
        )
    }

    pub(crate) fn status_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .statuses
            .iter()
            .map(|s| {
                Row::new(json!({"id": s.id, "name": s.name, "weight": s.weight,
                                "icon": "fa fa-check", "color": "#92d400"}))
            })
            .collect();
        select(
            "TestExecutionStatus",
            &["id", "name", "weight", "icon", "color"],
            rows,
            params,
        )
    }

    pub(crate) fn plan_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .plans
            .iter()
            .map(|p| Row::new(self.plan_json(p)))
            .collect();
        select(
            "TestPlan",
            &[
                "id",
                "name",
                "text",
                "create_date",
                "is_active",
                "extra_link",
                "product_version",
                "product_version__value",
                "product",
                "product__name",
                "author",
                "author__username",
                "type",
                "type__name",
                "parent",
            ],
            rows,
            params,
        )
    }

    pub(crate) fn plan_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        // Kiwi reads `values["product"]` before validating: a KeyError.
        let Some(product) = values.get("product") else {
            return Err(RpcFault::internal("'product'"));
        };
        let product = as_id(product).ok_or_else(|| invalid_choice("product"))?;
        let name = required_text(values, "name")?;
        let product_version = required_id(values, "product_version")?;
        let plan_type = required_id(values, "type")?;
        if !self.products.iter().any(|p| p.id == product) {
            return Err(invalid_choice("product"));
        }
        if self
            .version(product_version)
            .is_none_or(|v| v.product != product)
        {
            return Err(invalid_choice("product_version"));
        }
        if !self.plan_types.iter().any(|t| t.id == plan_type) {
            return Err(invalid_choice("type"));
        }
        let author = self.optional_user(values, "author")?.unwrap_or(CALLER_ID);
        let parent = match values.get("parent").filter(|v| !v.is_null()) {
            None => None,
            Some(v) => Some(
                as_id(v)
                    .filter(|id| self.plan(*id).is_some())
                    .ok_or_else(|| invalid_choice("parent"))?,
            ),
        };
        let id = next_id(self.plans.iter().map(|p| p.id));
        let plan = Plan {
            id,
            name,
            text: text_or_empty(values, "text")?,
            product,
            product_version,
            plan_type,
            author,
            parent,
            is_active: values
                .get("is_active")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            cases: Vec::new(),
        };
        let out = json!({
            "id": id, "parent": plan.parent, "name": plan.name, "text": plan.text,
            "is_active": plan.is_active, "extra_link": null,
            "product_version": plan.product_version, "author": plan.author,
            "product": plan.product, "type": plan.plan_type,
            "create_date": "2026-01-01T00:00:00",
        });
        self.plans.push(plan);
        Ok(out)
    }

    pub(crate) fn plan_add_case(&mut self, params: &Value) -> HandlerResult {
        let plan_id = id_arg(params, 0, "plan_id")?;
        let case_id = id_arg(params, 1, "case_id")?;
        if self.case(case_id).is_none() {
            return Err(RpcFault::does_not_exist("TestCase"));
        }
        let plan = self
            .plans
            .iter_mut()
            .find(|p| p.id == plan_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestPlan"))?;
        let sortkey = match plan.cases.iter().find(|(c, _)| *c == case_id) {
            Some((_, sortkey)) => *sortkey,
            None => {
                let sortkey = plan.cases.iter().map(|(_, s)| *s).max().unwrap_or(0) + 10;
                plan.cases.push((case_id, sortkey));
                sortkey
            }
        };
        let case = self
            .case(case_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestCase"))?;
        let mut out = self.case_json(case);
        out["sortkey"] = json!(sortkey);
        Ok(out)
    }

    pub(crate) fn case_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .cases
            .iter()
            .map(|c| {
                let plans = self
                    .plans
                    .iter()
                    .filter(|p| p.cases.iter().any(|(id, _)| *id == c.id))
                    .map(|p| json!(p.id))
                    .collect();
                let product = self.case_product(c).map_or(Value::Null, |p| json!(p));
                Row::new(self.case_json(c))
                    .with("plan", plans)
                    .with("category__product", vec![product])
            })
            .collect();
        select(
            "TestCase",
            &[
                "id",
                "summary",
                "is_automated",
                "notes",
                "text",
                "case_status",
                "case_status__name",
                "category",
                "category__name",
                "priority",
                "author",
                "default_tester",
                "plan",
                "category__product",
            ],
            rows,
            params,
        )
    }

    pub(crate) fn case_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let summary = required_text(values, "summary")?;
        let length = summary.chars().count();
        if length > 255 {
            return Err(RpcFault::validation(&[(
                "summary",
                &[&format!(
                    "Ensure this value has at most 255 characters (it has {length})."
                )],
            )]));
        }
        let category = required_id(values, "category")?;
        let priority = required_id(values, "priority")?;
        let case_status = required_id(values, "case_status")?;
        if self.category(category).is_none() {
            return Err(invalid_choice("category"));
        }
        if !self.priorities.iter().any(|p| p.id == priority) {
            return Err(invalid_choice("priority"));
        }
        if !self.case_statuses.iter().any(|s| s.id == case_status) {
            return Err(invalid_choice("case_status"));
        }
        let default_tester = self.optional_user(values, "default_tester")?;
        let author = self.optional_user(values, "author")?.unwrap_or(CALLER_ID);
        let id = next_id(self.cases.iter().map(|c| c.id));
        let case = Case {
            id,
            summary,
            category,
            priority,
            case_status,
            is_automated: values
                .get("is_automated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            notes: text_or_empty(values, "notes")?,
            text: text_or_empty(values, "text")?,
            author,
            default_tester,
        };
        let mut out = self.case_json(&case);
        // `TestCase.create` answers durations as the string "None".
        out["setup_duration"] = json!("None");
        out["testing_duration"] = json!("None");
        self.cases.push(case);
        Ok(out)
    }

    pub(crate) fn run_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .runs
            .iter()
            .map(|r| {
                let plan = self.plan(r.plan);
                let [_, product_name, version_value, _] = self.run_lookups(r.id);
                Row::new(self.run_json(r))
                    .with("tag__name", r.tags.iter().map(|t| json!(t)).collect())
                    .with("plan__product", vec![json!(plan.map(|p| p.product))])
                    .with(
                        "plan__product_version",
                        vec![json!(plan.map(|p| p.product_version))],
                    )
                    .with("plan__product__name", vec![product_name])
                    .with("plan__product_version__value", vec![version_value])
            })
            .collect();
        select(
            "TestRun",
            &[
                "id",
                "summary",
                "notes",
                "plan",
                "build",
                "manager",
                "default_tester",
                "start_date",
                "stop_date",
                "plan__product",
                "plan__product_version",
                "tag__name",
                "build__name",
                "plan__product__name",
                "plan__product_version__value",
            ],
            rows,
            params,
        )
    }

    /// `TestRun.add_tag(run_id, name)`: the run's tags, the tag created if new (idempotent).
    pub(crate) fn run_add_tag(&mut self, params: &Value) -> HandlerResult {
        let run = id_arg(params, 0, "run_id")?;
        let name = arg(params, 1, "tag_name")?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| RpcFault::internal("the tag name must be a string"))?;
        if !self.tags.contains(&name) {
            self.tags.push(name.clone());
        }
        let r = self
            .runs
            .iter_mut()
            .find(|r| r.id == run)
            .ok_or_else(|| RpcFault::does_not_exist("TestRun"))?;
        if !r.tags.contains(&name) {
            r.tags.push(name);
        }
        let tags = r.tags.clone();
        Ok(self.tag_list(&tags))
    }

    /// `TestRun.remove_tag(run_id, name)`: the run's tags after.
    pub(crate) fn run_remove_tag(&mut self, params: &Value) -> HandlerResult {
        let run = id_arg(params, 0, "run_id")?;
        let name = arg(params, 1, "tag_name")?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let r = self
            .runs
            .iter_mut()
            .find(|r| r.id == run)
            .ok_or_else(|| RpcFault::does_not_exist("TestRun"))?;
        r.tags.retain(|t| *t != name);
        let tags = r.tags.clone();
        Ok(self.tag_list(&tags))
    }

    fn tag_list(&self, names: &[String]) -> Value {
        Value::Array(
            names
                .iter()
                .map(|n| {
                    let id = self.tags.iter().position(|t| t == n).map_or(0, |i| i + 1);
                    json!({"id": id, "name": n})
                })
                .collect(),
        )
    }

    pub(crate) fn run_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let summary = required_text(values, "summary")?;
        let plan = required_id(values, "plan")?;
        let build = required_id(values, "build")?;
        let plan = self.plan(plan).ok_or_else(|| invalid_choice("plan"))?;
        // The build must be an active build of the plan's version.
        let build_ok = self
            .build(build)
            .is_some_and(|b| b.is_active && b.version == plan.product_version);
        if !build_ok {
            return Err(invalid_choice("build"));
        }
        let plan = plan.id;
        let manager = self
            .optional_user(values, "manager")?
            .ok_or_else(|| RpcFault::validation(&[("manager", &[REQUIRED])]))?;
        let default_tester = self
            .optional_user(values, "default_tester")?
            .unwrap_or(CALLER_ID);
        let run = Run {
            id: next_id(self.runs.iter().map(|r| r.id)),
            summary,
            notes: text_or_empty(values, "notes")?,
            plan,
            build,
            manager,
            default_tester,
            start_date: date_arg(values, "start_date")?.flatten(),
            stop_date: date_arg(values, "stop_date")?.flatten(),
            tags: Vec::new(),
        };
        let out = json!({
            "id": run.id, "start_date": date_json(run.start_date),
            "stop_date": date_json(run.stop_date), "planned_start": null, "planned_stop": null,
            "summary": run.summary, "notes": run.notes, "plan": run.plan, "build": run.build,
            "manager": run.manager, "default_tester": run.default_tester,
        });
        self.runs.push(run);
        Ok(out)
    }

    pub(crate) fn run_add_case(&mut self, params: &Value) -> HandlerResult {
        let run_id = id_arg(params, 0, "run_id")?;
        let case_id = id_arg(params, 1, "case_id")?;
        let run = self
            .runs
            .iter()
            .find(|r| r.id == run_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestRun"))?;
        let case = self
            .case(case_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestCase"))?;
        let confirmed = self
            .case_statuses
            .iter()
            .any(|s| s.id == case.case_status && s.is_confirmed);
        if !confirmed {
            return Err(RpcFault::internal(format!(
                "TC-{case_id} status is not confirmed"
            )));
        }
        let build = run.build;
        let existing: Vec<i64> = self
            .executions
            .iter()
            .filter(|e| e.run == run_id && e.case == case_id)
            .map(|e| e.id)
            .collect();
        let ids = if existing.is_empty() {
            let idle = self
                .statuses
                .iter()
                .filter(|s| s.weight == 0)
                .map(|s| s.id)
                .min()
                .ok_or_else(|| RpcFault::internal("no neutral execution status"))?;
            let sortkey = self
                .executions
                .iter()
                .filter(|e| e.run == run_id)
                .map(|e| e.sortkey)
                .max()
                .unwrap_or(0)
                + 10;
            let id = next_id(self.executions.iter().map(|e| e.id));
            self.executions.push(Execution {
                id,
                run: run_id,
                case: case_id,
                build,
                status: idle,
                tested_by: None,
                assignee: None,
                start_date: None,
                stop_date: None,
                sortkey,
                case_text_version: 1,
            });
            vec![id]
        } else {
            existing
        };
        let out: Vec<Value> = ids
            .iter()
            .filter_map(|id| self.executions.iter().find(|e| e.id == *id))
            .map(|e| {
                let mut v = json!({
                    "id": e.id, "assignee": e.assignee, "tested_by": e.tested_by,
                    "case_text_version": e.case_text_version,
                    "start_date": date_json(e.start_date), "stop_date": date_json(e.stop_date),
                    "sortkey": e.sortkey, "run": e.run, "case": e.case, "status": e.status,
                    "build": e.build, "properties": [],
                });
                if self.kiwi16 {
                    v["tag"] = json!([]);
                }
                v
            })
            .collect();
        Ok(Value::Array(out))
    }

    pub(crate) fn run_update(&mut self, params: &Value) -> HandlerResult {
        let run_id = id_arg(params, 0, "run_id")?;
        let values = values_arg(params, 1)?;
        let index = self
            .runs
            .iter()
            .position(|r| r.id == run_id)
            .ok_or_else(|| RpcFault::does_not_exist("TestRun"))?;
        let start = date_arg(values, "start_date")?;
        let stop = date_arg(values, "stop_date")?;
        let manager = self.optional_user(values, "manager")?;
        let default_tester = self.optional_user(values, "default_tester")?;
        let run = &mut self.runs[index];
        if let Some(start) = start {
            run.start_date = start;
        }
        if let Some(stop) = stop {
            run.stop_date = stop;
        }
        if let Some(manager) = manager {
            run.manager = manager;
        }
        if let Some(tester) = default_tester {
            run.default_tester = tester;
        }
        if values.contains_key("summary") {
            run.summary = required_text(values, "summary")?;
        }
        if values.contains_key("notes") {
            run.notes = text_or_empty(values, "notes")?;
        }
        let run = self.runs[index].clone();
        Ok(self.run_json(&run))
    }

    pub(crate) fn execution_filter(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .executions
            .iter()
            .map(|e| {
                let [plan, product_name, version_value, build_name] = self.run_lookups(e.run);
                Row::new(self.execution_json(e))
                    .with("run__plan", vec![plan])
                    .with("run__plan__product__name", vec![product_name])
                    .with("run__plan__product_version__value", vec![version_value])
                    .with("run__build__name", vec![build_name])
            })
            .collect();
        select(
            "TestExecution",
            &[
                "id",
                "assignee",
                "tested_by",
                "case_text_version",
                "start_date",
                "stop_date",
                "sortkey",
                "run",
                "case",
                "case__summary",
                "build",
                "status",
                "status__name",
                "run__plan",
                "run__plan__product__name",
                "run__plan__product_version__value",
                "run__build__name",
            ],
            rows,
            params,
        )
    }

    pub(crate) fn execution_update(&mut self, params: &Value) -> HandlerResult {
        let id = id_arg(params, 0, "execution_id")?;
        let values = values_arg(params, 1)?;
        let index = self
            .executions
            .iter()
            .position(|e| e.id == id)
            .ok_or_else(|| RpcFault::does_not_exist("TestExecution"))?;
        let status = match values.get("status") {
            None => None,
            Some(v) => Some(
                as_id(v)
                    .filter(|id| self.status(*id).is_some())
                    .ok_or_else(|| invalid_choice("status"))?,
            ),
        };
        let tested_by = self.optional_user(values, "tested_by")?;
        let assignee = self.optional_user(values, "assignee")?;
        let build = match values.get("build") {
            None => None,
            Some(v) => Some(
                as_id(v)
                    .filter(|id| self.build(*id).is_some())
                    .ok_or_else(|| invalid_choice("build"))?,
            ),
        };
        let start = date_arg(values, "start_date")?;
        let stop = date_arg(values, "stop_date")?;
        let run_build = self
            .runs
            .iter()
            .find(|r| r.id == self.executions[index].run)
            .map(|r| r.build);
        let e = &mut self.executions[index];
        // A date the update does not send is written back from the form's initial value,
        // which Django reads without its fractions of a second.
        match start {
            Some(start) => e.start_date = start,
            None => e.start_date = e.start_date.map(whole_seconds),
        }
        match stop {
            Some(stop) => e.stop_date = stop,
            None => e.stop_date = e.stop_date.map(whole_seconds),
        }
        if let Some(status) = status {
            e.status = status;
            e.tested_by = Some(tested_by.unwrap_or(CALLER_ID));
            e.build = build.or(run_build).unwrap_or(e.build);
        } else {
            if let Some(t) = tested_by {
                e.tested_by = Some(t);
            }
            if let Some(b) = build {
                e.build = b;
            }
        }
        if let Some(a) = assignee {
            e.assignee = Some(a);
        }
        if let Some(sortkey) = values.get("sortkey").and_then(Value::as_i64) {
            e.sortkey = sortkey;
        }
        let e = self.executions[index].clone();
        Ok(self.execution_json(&e))
    }

    pub(crate) fn execution_add_comment(&mut self, params: &Value) -> HandlerResult {
        let id = id_arg(params, 0, "execution_id")?;
        let text = arg(params, 1, "comment")?
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RpcFault::validation(&[("comment", &[REQUIRED])]))?
            .to_owned();
        if !self.executions.iter().any(|e| e.id == id) {
            return Err(RpcFault::does_not_exist("TestExecution"));
        }
        let comment = Comment {
            id: next_id(self.comments.iter().map(|c| c.id)),
            execution: id,
            text,
            user: CALLER_ID,
        };
        let mut out = Self::comment_json(&comment, self.username(Some(CALLER_ID)));
        // `add_comment` answers `object_pk` as a number, `get_comments` as text.
        out["object_pk"] = json!(id);
        self.comments.push(comment);
        Ok(out)
    }

    pub(crate) fn execution_get_comments(&mut self, params: &Value) -> HandlerResult {
        let id = id_arg(params, 0, "execution_id")?;
        if !self.executions.iter().any(|e| e.id == id) {
            return Err(RpcFault::does_not_exist("TestExecution"));
        }
        Ok(Value::Array(
            self.comments
                .iter()
                .filter(|c| c.execution == id)
                .map(|c| Self::comment_json(c, self.username(Some(c.user))))
                .collect(),
        ))
    }

    pub(crate) fn user_filter(&mut self, params: &Value) -> HandlerResult {
        // Without a query Kiwi answers the caller only.
        let params = match params {
            Value::Null => serde_json::json!([{"pk": CALLER_ID}]),
            Value::Array(items) if items.is_empty() => serde_json::json!([{"pk": CALLER_ID}]),
            other => other.clone(),
        };
        let rows = self
            .users
            .iter()
            .map(|u| {
                Row::new(json!({"id": u.id, "username": u.username, "email": "",
                                "first_name": "", "last_name": "", "is_active": true,
                                "is_staff": u.id == CALLER_ID, "is_superuser": u.id == CALLER_ID}))
            })
            .collect();
        select(
            "User",
            &[
                "id",
                "username",
                "email",
                "is_active",
                "is_staff",
                "is_superuser",
            ],
            rows,
            &params,
        )
    }

    /// A user id in `values[key]`: absent or null is `None`, an unknown user is refused.
    /// Accepts a user name too, as Kiwi does for `manager`.
    pub(crate) fn optional_user(
        &self,
        values: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<i64>, RpcFault> {
        match values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let found = match v.as_str().filter(|s| s.parse::<i64>().is_err()) {
                    Some(name) => self.users.iter().find(|u| u.username == name),
                    None => as_id(v).and_then(|id| self.users.iter().find(|u| u.id == id)),
                };
                found.map(|u| Some(u.id)).ok_or_else(|| invalid_choice(key))
            }
        }
    }
}

impl Db {
    // ----- what readers of the history use ----------------------------------------------

    /// Through run `id`: its plan, its product's name, its version's value, its build's name
    /// (`null` for what does not exist), for the relation lookups readers filter on
    /// (`run__plan__product__name`, `plan__product_version__value`, `build__name`).
    pub(crate) fn run_lookups(&self, id: i64) -> [Value; 4] {
        let run = self.runs.iter().find(|r| r.id == id);
        let plan = run.and_then(|r| self.plan(r.plan));
        let product = plan.and_then(|p| self.products.iter().find(|x| x.id == p.product));
        let version = plan.and_then(|p| self.version(p.product_version));
        let build = run.and_then(|r| self.build(r.build));
        [
            json!(run.map(|r| r.plan)),
            json!(product.map(|p| p.name.clone())),
            json!(version.map(|v| v.value.clone())),
            json!(build.map(|b| b.name.clone())),
        ]
    }

    /// `Tag.filter(query)`: one row per tag and run it is on (`case`, `plan` and `bugs` are
    /// `null`: the in-memory server tags runs only), `run` and the lookups through it
    /// narrowing to the matching rows, as Django's joins do.
    pub(crate) fn tag_filter(&mut self, params: &Value) -> HandlerResult {
        let mut rows = Vec::new();
        for (index, name) in self.tags.iter().enumerate() {
            let id = index + 1;
            let runs: Vec<&Run> = self.runs.iter().filter(|r| r.tags.contains(name)).collect();
            let row = |run: Option<i64>| {
                json!({"id": id, "name": name, "case": null, "plan": null, "run": run,
                       "bugs": null})
            };
            if runs.is_empty() {
                rows.push(Row::new(row(None)));
            }
            for run in runs {
                let [plan, product_name, version_value, build_name] = self.run_lookups(run.id);
                rows.push(
                    Row::new(row(Some(run.id)))
                        .with("run__plan", vec![plan])
                        .with("run__plan__product__name", vec![product_name])
                        .with("run__plan__product_version__value", vec![version_value])
                        .with("run__build__name", vec![build_name]),
                );
            }
        }
        select(
            "Tag",
            &[
                "id",
                "name",
                "case",
                "plan",
                "run",
                "run__plan",
                "run__plan__product__name",
                "run__plan__product_version__value",
                "run__build__name",
            ],
            rows,
            params,
        )
    }
}
