//! The realms canister's endpoints (names, arguments and JSON replies as realms had them), over
//! our scheduler, guarded by roles (realms checked no caller at all).

use candid::{Int, Nat};
use serde_json::{json, Value};

use super::access::guard;
use super::scheduler;
use super::types::*;
use crate::tasks::runner::{self, ApiArg, TaskError};

const MODULE: &str = "codexvm.realms_api";

fn now_s() -> i64 {
    (ic_cdk::api::time() / 1_000_000_000) as i64
}

fn nat(n: &Nat, what: &str) -> i64 {
    i64::try_from(&n.0).unwrap_or_else(|_| ic_cdk::trap(format!("codexvm: {what} is too large")))
}

fn call(func: &'static str, args: Vec<ApiArg>) -> Result<String, TaskError> {
    runner::call_text(MODULE, func, args)
}

fn json_error(e: TaskError) -> String {
    json!({"success": false, "error": e.to_string()}).to_string()
}

/// Runs code now (sync: in this call, and the reply holds its result) or as a one-shot task
/// (async codexes; poll `get_task_logs`).
#[ic_cdk::update]
fn execute_code(code: String) -> String {
    guard("execute_code");
    let created = match call("create_shell_task", vec![ApiArg::Str(code), ApiArg::Int(now_s())]) {
        Ok(t) => t,
        Err(e) => {
            let traceback = match &e {
                TaskError::Refused(p) => p.traceback.clone(),
                other => other.to_string(),
            };
            return json!({"type": "error", "error": e.to_string(), "traceback": traceback}).to_string();
        }
    };
    let created: Value = serde_json::from_str(&created).expect("create_shell_task replies JSON");
    let task = created["task"].as_str().unwrap_or_default().to_owned();
    if created["is_async"].as_bool() == Some(true) {
        scheduler::arm();
        return call("execute_code_async_reply", vec![ApiArg::Str(task)]).unwrap_or_else(json_error);
    }
    let reply = match scheduler::run_now(&task) {
        Ok(Some(outcome)) => {
            let o = serde_json::to_string(&outcome).expect("outcome JSON");
            call("execute_code_reply", vec![ApiArg::Str(task), ApiArg::Str(o)]).unwrap_or_else(json_error)
        }
        Ok(None) => json!({"type": "error", "error": "the shell task was not due"}).to_string(),
        Err(e) => json!({"type": "error", "error": e.to_string()}).to_string(),
    };
    scheduler::arm();
    reply
}

/// realms' one-step task: `code` is base64; repeats every `repeat_every` s (0: once), first run
/// after `run_after` s (realms ignored it).
#[ic_cdk::update]
fn create_scheduled_task(name: String, code: String, repeat_every: Nat, run_after: Nat) -> String {
    guard("create_scheduled_task");
    let args = vec![
        ApiArg::Str(name),
        ApiArg::Str(code),
        ApiArg::Int(nat(&repeat_every, "repeat_every")),
        ApiArg::Int(nat(&run_after, "run_after")),
        ApiArg::Int(now_s()),
    ];
    let r = call("create_scheduled_task", args).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// realms' multi-step task: `steps_config` is a JSON array of `{"code": base64, "run_next_after": s}`.
#[ic_cdk::update]
fn create_multi_step_scheduled_task(name: String, steps_config: String, repeat_every: Nat, run_after: Nat) -> String {
    guard("create_multi_step_scheduled_task");
    let args = vec![
        ApiArg::Str(name),
        ApiArg::Str(steps_config),
        ApiArg::Int(nat(&repeat_every, "repeat_every")),
        ApiArg::Int(nat(&run_after, "run_after")),
        ApiArg::Int(now_s()),
    ];
    let r = call("create_multi_step_scheduled_task", args).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// Cancels a task (by id prefix, or name): no step of it runs until `start_task`.
#[ic_cdk::update]
fn stop_task(task_id: String) -> String {
    guard("stop_task");
    let r = call("stop_task", vec![ApiArg::Str(task_id)]).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// Resumes a task (by id prefix, or name) at its current step, now.
#[ic_cdk::update]
fn start_task(task_id: String) -> String {
    guard("start_task");
    let r = call("start_task", vec![ApiArg::Str(task_id), ApiArg::Int(now_s())]).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// The last `limit` executions of a task, with their logs and results.
#[ic_cdk::query]
fn get_task_logs(task_id: String, limit: Nat) -> String {
    guard("get_task_logs");
    call("get_task_logs", vec![ApiArg::Str(task_id), ApiArg::Int(nat(&limit, "limit"))]).unwrap_or_else(json_error)
}

/// The task logger's entries (a JSON array; this instance's in-memory log).
#[ic_cdk::query]
fn get_task_logs_by_name(task_name: String, from_entry: Nat, max_entries: Nat) -> String {
    guard("get_task_logs_by_name");
    let args = vec![ApiArg::Str(task_name), ApiArg::Int(nat(&from_entry, "from_entry")), ApiArg::Int(nat(&max_entries, "max_entries"))];
    call("get_task_logs_by_name", args).unwrap_or_else(json_error)
}

fn failure(e: impl std::fmt::Display) -> RealmResponse {
    RealmResponse { success: false, data: RealmResponseData::Error(e.to_string()) }
}

/// Entities by `(class name, id or alias)`; misses are skipped.
#[ic_cdk::query]
fn get_objects(pairs: Vec<(String, String)>) -> RealmResponse {
    guard("get_objects");
    let arg = serde_json::to_string(&pairs).expect("pairs JSON");
    match call("get_objects", vec![ApiArg::Str(arg)]) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(objects) => RealmResponse { success: true, data: RealmResponseData::ObjectsList(ObjectsList { objects }) },
            Err(e) => failure(e),
        },
        Err(e) => failure(e),
    }
}

/// A page of one class's entities, in id order (`order` "asc" or "desc").
#[ic_cdk::query]
fn get_objects_paginated(class_name: String, page_num: Nat, page_size: Nat, order: String) -> RealmResponse {
    guard("get_objects_paginated");
    let args = vec![
        ApiArg::Str(class_name),
        ApiArg::Int(nat(&page_num, "page_num")),
        ApiArg::Int(nat(&page_size, "page_size")),
        ApiArg::Str(order),
    ];
    let v: Value = match call("get_objects_paginated", args).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return failure(e),
        Err(e) => return failure(e),
    };
    let int = |k: &str| Int::from(v["pagination"][k].as_i64().unwrap_or(0));
    let objects = v["objects"].as_array().into_iter().flatten().filter_map(|o| o.as_str().map(str::to_owned)).collect();
    let pagination = PaginationInfo {
        page_num: int("page_num"),
        page_size: int("page_size"),
        total_items_count: int("total_items_count"),
        total_pages: int("total_pages"),
    };
    RealmResponse { success: true, data: RealmResponseData::ObjectsListPaginated(ObjectsListPaginated { objects, pagination }) }
}

/// Counts of the catalogue's entities and of tasks by status.
#[ic_cdk::query]
fn status() -> RealmResponse {
    guard("status");
    let v: Value = match call("status", vec![]).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return failure(e),
        Err(e) => return failure(e),
    };
    let counts = |k: &str| -> Vec<NamedCount> {
        v[k].as_object().into_iter().flatten().map(|(n, c)| NamedCount { name: n.clone(), count: c.as_u64().unwrap_or(0) }).collect()
    };
    RealmResponse {
        success: true,
        data: RealmResponseData::Status(StatusRecord {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            entity_counts: counts("entity_counts"),
            tasks_by_status: counts("tasks_by_status"),
            stable_memory_pages: ic_cdk::api::stable_size(),
        }),
    }
}

/// The transform realms' HTTPS outcalls name (`http_transform`): the response without its
/// headers, which differ between replicas. Pure, so anyone may call it.
#[ic_cdk::query]
fn http_transform(args: crate::py::http_outcall::TransformArgs) -> crate::py::http_outcall::HttpResponse {
    crate::py::http_outcall::HttpResponse { headers: Vec::new(), ..args.response }
}
