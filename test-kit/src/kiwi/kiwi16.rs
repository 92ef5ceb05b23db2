//! What Kiwi TCMS 15.3 and later add for a reporter (answered when the fake emulates 16.x):
//! `TestExecution.create`, execution and run properties, execution attachments. Plus the older
//! methods around them the engine uses on every version: links, run attachments, case history.

use chrono::Utc;
use serde_json::{Value, json};

use super::args::*;
use super::lookup::*;
use super::*;
use crate::fake::{HandlerResult, RpcFault};

/// A property of an execution or a run.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyRow {
    /// Id.
    pub id: i64,
    /// The execution (for an execution property) or the run (for a run property).
    pub owner: i64,
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A link on an execution.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRow {
    /// Id.
    pub id: i64,
    /// The execution.
    pub execution: i64,
    /// Its label.
    pub name: String,
    /// The URL.
    pub url: String,
}

/// An attached file.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRow {
    /// Id.
    pub id: i64,
    /// `TestExecution` or `TestRun`.
    pub model: &'static str,
    /// The execution or run.
    pub owner: i64,
    /// The file name, sanitised as Kiwi does.
    pub filename: String,
    /// Its content, base64 as sent.
    pub base64: String,
}

/// Kiwi's file names (Django's `get_valid_filename`).
fn valid_filename(name: &str) -> String {
    name.trim()
        .replace(' ', "_")
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

fn text_arg(params: &Value, index: usize, name: &str) -> Result<String, RpcFault> {
    arg(params, index, name)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| RpcFault::internal(format!("{name} must be a string")))
}

impl Db {
    /// `TestExecution.create(values)` (15.3): not idempotent, no CONFIRMED check; `run`,
    /// `case`, `build`, `status` and `case_text_version` required; `tested_by` not defaulted.
    pub(crate) fn execution_create(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let run = required_id(values, "run")?;
        let case = required_id(values, "case")?;
        let build = required_id(values, "build")?;
        let status = required_id(values, "status")?;
        let case_text_version = required_id(values, "case_text_version")?;
        if !self.runs.iter().any(|r| r.id == run) {
            return Err(invalid_choice("run"));
        }
        if self.case(case).is_none() {
            return Err(invalid_choice("case"));
        }
        if self.build(build).is_none() {
            return Err(invalid_choice("build"));
        }
        if self.status(status).is_none() {
            return Err(invalid_choice("status"));
        }
        let tested_by = self.optional_user(values, "tested_by")?;
        let assignee = self.optional_user(values, "assignee")?;
        let id = next_id(self.executions.iter().map(|e| e.id));
        let execution = Execution {
            id,
            run,
            case,
            build,
            status,
            tested_by,
            assignee,
            start_date: date_arg(values, "start_date")?.flatten(),
            stop_date: date_arg(values, "stop_date")?.flatten(),
            sortkey: values.get("sortkey").and_then(Value::as_i64).unwrap_or(0),
            case_text_version,
        };
        let mut out = json!({
            "id": execution.id, "assignee": execution.assignee, "tested_by": execution.tested_by,
            "case_text_version": execution.case_text_version,
            "start_date": date_json(execution.start_date),
            "stop_date": date_json(execution.stop_date),
            "sortkey": null, "run": run, "case": case, "status": status, "build": build,
        });
        if self.kiwi16 {
            out["tag"] = json!([]);
        }
        self.executions.push(execution);
        Ok(out)
    }

    /// `TestExecution.add_property(execution_id, name, value)` (15.3): get-or-create.
    pub(crate) fn execution_add_property(&mut self, params: &Value) -> HandlerResult {
        self.add_property(params, "execution")
    }

    /// `TestRun.add_property(run_id, name, value)` (15.3): get-or-create.
    pub(crate) fn run_add_property(&mut self, params: &Value) -> HandlerResult {
        self.add_property(params, "run")
    }

    /// Get-or-create of an execution's (`owner` `execution`) or a run's (`run`) property.
    fn add_property(&mut self, params: &Value, owner: &str) -> HandlerResult {
        let id = id_arg(params, 0, &format!("{owner}_id"))?;
        let name = text_arg(params, 1, "name")?;
        let value = text_arg(params, 2, "value")?;
        let exists = match owner {
            "execution" => self.executions.iter().any(|e| e.id == id),
            _ => self.runs.iter().any(|r| r.id == id),
        };
        if !exists {
            return Err(RpcFault::internal("FOREIGN KEY constraint failed"));
        }
        let table = match owner {
            "execution" => &mut self.execution_properties,
            _ => &mut self.run_properties,
        };
        let row = match table
            .iter()
            .find(|p| p.owner == id && p.name == name && p.value == value)
        {
            Some(p) => p.clone(),
            None => {
                let row = PropertyRow {
                    id: next_id(table.iter().map(|p| p.id)),
                    owner: id,
                    name,
                    value,
                };
                table.push(row.clone());
                row
            }
        };
        let mut out = json!({"id": row.id, "name": row.name, "value": row.value});
        out[owner] = json!(row.owner);
        Ok(out)
    }

    /// `TestExecution.properties(query)` (15.3).
    pub(crate) fn execution_properties(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .execution_properties
            .iter()
            .map(|p| {
                let run = self
                    .executions
                    .iter()
                    .find(|e| e.id == p.owner)
                    .map(|e| e.run);
                Row::new(
                    json!({"id": p.id, "name": p.name, "value": p.value, "execution": p.owner}),
                )
                .with("execution__run", vec![json!(run)])
            })
            .collect();
        select(
            "TestExecutionProperty",
            &["id", "name", "value", "execution", "execution__run"],
            rows,
            params,
        )
    }

    /// `TestExecution.add_link(values, update_tracker)`: not idempotent; the URL must be valid.
    pub(crate) fn execution_add_link(&mut self, params: &Value) -> HandlerResult {
        let values = values_arg(params, 0)?;
        let execution = match values
            .get("execution_id")
            .or_else(|| values.get("execution"))
        {
            Some(v) => as_id(v).ok_or_else(|| invalid_choice("execution"))?,
            None => return Err(RpcFault::validation(&[("execution", &[REQUIRED])])),
        };
        if !self.executions.iter().any(|e| e.id == execution) {
            return Err(invalid_choice("execution"));
        }
        let url = required_text(values, "url")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(RpcFault::validation(&[("url", &["Enter a valid URL."])]));
        }
        let name = text_or_empty(values, "name")?;
        let id = next_id(self.links.iter().map(|l| l.id));
        self.links.push(LinkRow {
            id,
            execution,
            name: name.clone(),
            url: url.clone(),
        });
        Ok(json!({"id": id, "execution": execution, "name": name, "url": url, "is_defect": false}))
    }

    /// `TestExecution.get_links(query)`.
    pub(crate) fn execution_get_links(&mut self, params: &Value) -> HandlerResult {
        let rows = self
            .links
            .iter()
            .map(|l| {
                let run = self
                    .executions
                    .iter()
                    .find(|e| e.id == l.execution)
                    .map(|e| e.run);
                Row::new(json!({"id": l.id, "execution": l.execution, "name": l.name,
                                "url": l.url, "is_defect": false,
                                "created_on": date_json(Some(Utc::now().naive_utc()))}))
                .with("execution__run", vec![json!(run)])
            })
            .collect();
        select(
            "LinkReference",
            &[
                "id",
                "execution",
                "name",
                "url",
                "is_defect",
                "execution__run",
            ],
            rows,
            params,
        )
    }

    fn add_attachment(&mut self, model: &'static str, params: &Value) -> HandlerResult {
        let owner = id_arg(params, 0, "id")?;
        let filename = valid_filename(&text_arg(params, 1, "filename")?);
        let base64 = text_arg(params, 2, "b64content")?;
        let exists = match model {
            "TestExecution" => self.executions.iter().any(|e| e.id == owner),
            _ => self.runs.iter().any(|r| r.id == owner),
        };
        if !exists {
            return Err(RpcFault::does_not_exist(model));
        }
        let id = next_id(self.attachments.iter().map(|a| a.id));
        self.attachments.push(AttachmentRow {
            id,
            model,
            owner,
            filename,
            base64,
        });
        Ok(Value::Null)
    }

    fn list_attachments(&self, model: &'static str, params: &Value) -> HandlerResult {
        let owner = id_arg(params, 0, "id")?;
        Ok(Value::Array(
            self.attachments
                .iter()
                .filter(|a| a.model == model && a.owner == owner)
                .map(|a| {
                    json!({"pk": a.id,
                           "url": format!("http://testserver/uploads/attachments/{}", a.filename),
                           "owner_pk": CALLER_ID, "owner_username": DEFAULT_USERNAME,
                           "date": "2026-01-01T00:00:00.000000"})
                })
                .collect(),
        ))
    }

    /// `TestExecution.add_attachment(execution_id, filename, b64content)` (15.3).
    pub(crate) fn execution_add_attachment(&mut self, params: &Value) -> HandlerResult {
        self.add_attachment("TestExecution", params)
    }

    /// `TestExecution.list_attachments(execution_id)` (15.3).
    pub(crate) fn execution_list_attachments(&mut self, params: &Value) -> HandlerResult {
        self.list_attachments("TestExecution", params)
    }

    /// `TestRun.add_attachment(run_id, filename, b64content)`.
    pub(crate) fn run_add_attachment(&mut self, params: &Value) -> HandlerResult {
        self.add_attachment("TestRun", params)
    }

    /// `TestRun.list_attachments(run_id)` (16).
    pub(crate) fn run_list_attachments(&mut self, params: &Value) -> HandlerResult {
        self.list_attachments("TestRun", params)
    }

    /// `TestCase.history(case_id, query)`: one row per version; a case here has one, whose
    /// `history_id` is the case's id times 10.
    pub(crate) fn case_history(&mut self, params: &Value) -> HandlerResult {
        let case = id_arg(params, 0, "case_id")?;
        let c = self
            .case(case)
            .ok_or_else(|| RpcFault::does_not_exist("TestCase"))?;
        Ok(
            json!([{"history_id": c.id * 10, "id": c.id, "summary": c.summary,
                   "history_type": "+"}]),
        )
    }
}
