//! realms' task and object operations as typed functions (names, arguments and reply shapes as
//! realms had them), over the scheduler's Python in `pylib/codexvm/realms_api.py`. Replies that
//! realms gave as JSON text stay JSON text; the others are Rust types.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::StepOutcome;
use super::records;
use super::scheduler::{call_text, parse, ApiArg, TaskError};

const MODULE: &str = "codexvm.realms_api";

fn call(func: &'static str, args: Vec<ApiArg>) -> Result<String, TaskError> {
    call_text(MODULE, func, args)
}

fn int(n: u64) -> ApiArg {
    ApiArg::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The one-shot task `execute_code` runs a codex as.
#[derive(Debug, Clone, Deserialize)]
pub struct ShellTask {
    /// The task's name.
    pub task: String,
    /// Its id.
    pub task_id: String,
    /// True for an `async_task()` codex (it runs from the scheduler's timer, not in the call).
    pub is_async: bool,
}

/// Creates `execute_code`'s one-step task for `code`, due at `now`.
pub fn create_shell_task(code: &str, now: i64) -> Result<ShellTask, TaskError> {
    parse(&call("create_shell_task", vec![ApiArg::Str(code.to_owned()), ApiArg::Int(now)])?)
}

/// realms' reply (JSON) of `execute_code` once the shell task's sync codex ran.
pub fn execute_code_reply(task: &str, outcome: &StepOutcome) -> Result<String, TaskError> {
    let o = serde_json::to_string(outcome).expect("outcome to JSON");
    call("execute_code_reply", vec![ApiArg::Str(task.to_owned()), ApiArg::Str(o)])
}

/// realms' reply (JSON) of `execute_code` for an async codex, which runs later.
pub fn execute_code_async_reply(task: &str) -> Result<String, TaskError> {
    call("execute_code_async_reply", vec![ApiArg::Str(task.to_owned())])
}

/// realms' one-step task from base64 `code`, repeating every `repeat_every` s (0: once), first
/// run `run_after` s from `now`; its reply (JSON, `success` false when refused).
pub fn create_scheduled_task(name: &str, code_b64: &str, repeat_every: u64, run_after: u64, now: i64) -> Result<String, TaskError> {
    let args = vec![ApiArg::Str(name.to_owned()), ApiArg::Str(code_b64.to_owned()), int(repeat_every), int(run_after), ApiArg::Int(now)];
    call("create_scheduled_task", args)
}

/// realms' multi-step task (`steps_config`: a JSON array of `{"code": base64, "run_next_after": s}`);
/// its reply (JSON).
pub fn create_multi_step_scheduled_task(
    name: &str,
    steps_config: &str,
    repeat_every: u64,
    run_after: u64,
    now: i64,
) -> Result<String, TaskError> {
    let args =
        vec![ApiArg::Str(name.to_owned()), ApiArg::Str(steps_config.to_owned()), int(repeat_every), int(run_after), ApiArg::Int(now)];
    call("create_multi_step_scheduled_task", args)
}

/// Cancels the task found by id prefix or name; the reply (JSON).
pub fn stop_task(task_id: &str) -> Result<String, TaskError> {
    call("stop_task", vec![ApiArg::Str(task_id.to_owned())])
}

/// Resumes the task found by id prefix or name at its current step, from `now`; the reply (JSON).
pub fn start_task(task_id: &str, now: i64) -> Result<String, TaskError> {
    call("start_task", vec![ApiArg::Str(task_id.to_owned()), ApiArg::Int(now)])
}

/// The last `limit` executions of the task, with logs and results (JSON).
pub fn get_task_logs(task_id: &str, limit: u64) -> Result<String, TaskError> {
    call("get_task_logs", vec![ApiArg::Str(task_id.to_owned()), int(limit)])
}

/// The task logger's entries from `from_entry`, at most `max_entries` (a JSON array).
pub fn get_task_logs_by_name(task_name: &str, from_entry: u64, max_entries: u64) -> Result<String, TaskError> {
    call("get_task_logs_by_name", vec![ApiArg::Str(task_name.to_owned()), int(from_entry), int(max_entries)])
}

/// The JSON texts of the entities named by `(class name, id or alias)`; misses are skipped.
pub fn get_objects(pairs: &[(String, String)]) -> Result<Vec<String>, TaskError> {
    let arg = serde_json::to_string(pairs).expect("pairs to JSON");
    parse(&call("get_objects", vec![ApiArg::Str(arg)])?)
}

/// Where a page of entities is.
#[derive(Debug, Clone, Deserialize)]
pub struct Pagination {
    /// Page number (from 0).
    pub page_num: u64,
    /// Entities per page.
    pub page_size: u64,
    /// Entities of the class.
    pub total_items_count: u64,
    /// Pages.
    pub total_pages: u64,
}

/// A page of one class's entities, as JSON texts.
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectsPage {
    /// The entities.
    pub objects: Vec<String>,
    /// Where the page is.
    pub pagination: Pagination,
}

/// Page `page_num` of `page_size` entities of class `class_name`, in id order (`order` "asc" or "desc").
pub fn get_objects_paginated(class_name: &str, page_num: u64, page_size: u64, order: &str) -> Result<ObjectsPage, TaskError> {
    let args = vec![ApiArg::Str(class_name.to_owned()), int(page_num), int(page_size), ApiArg::Str(order.to_owned())];
    parse(&call("get_objects_paginated", args)?)
}

/// Counts of the catalogue's entities (classes with any) and of tasks by status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RealmStatus {
    /// Entities of each class that has any.
    pub entity_counts: BTreeMap<String, u64>,
    /// Tasks by status.
    pub tasks_by_status: BTreeMap<String, u64>,
}

thread_local! {
    /// The catalogue's class names with their stored type names, once read.
    static CATALOGUE: RefCell<Option<Vec<(String, String)>>> = const { RefCell::new(None) };
}

/// Reads the catalogue's classes from the interpreter and keeps them for [`status`] (the
/// canister does it at start-up: a query keeps nothing it computes).
pub fn prepare() -> Result<(), TaskError> {
    let classes: Vec<(String, String)> = parse(&call("catalogue", vec![])?)?;
    CATALOGUE.with(|c| *c.borrow_mut() = Some(classes));
    Ok(())
}

/// What realms' `status` reports of the store, read from its counters and task records.
pub fn status() -> Result<RealmStatus, TaskError> {
    if CATALOGUE.with(|c| c.borrow().is_none()) {
        prepare()?;
    }
    let (names, types): (Vec<String>, Vec<String>) = CATALOGUE.with(|c| c.borrow().clone().unwrap_or_default()).into_iter().unzip();
    let counts = records::counts(&types)?;
    let entity_counts = names.into_iter().zip(counts).filter(|(_, n)| *n > 0).collect();
    Ok(RealmStatus { entity_counts, tasks_by_status: records::tasks_by_status()? })
}
