//! The realms canister's endpoints (names, arguments and JSON replies as realms had them), over
//! our scheduler, guarded by roles (realms checked no caller at all).

use candid::{Int, Nat};
use serde_json::json;

use super::access::guard;
use super::scheduler;
use super::types::*;
use crate::tasks::realms;
use crate::tasks::scheduler::TaskError;

fn now_s() -> i64 {
    (ic_cdk::api::time() / 1_000_000_000) as i64
}

fn nat(n: &Nat, what: &str) -> u64 {
    i64::try_from(&n.0).map_or_else(|_| ic_cdk::trap(format!("codexvm: {what} is too large")), |v| v as u64)
}

fn json_error(e: TaskError) -> String {
    json!({"success": false, "error": e.to_string()}).to_string()
}

/// Runs code now (sync: in this call, and the reply holds its result) or as a one-shot task
/// (async codexes; poll `get_task_logs`).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn execute_code(code: String) -> String {
    guard("execute_code");
    let created = match realms::create_shell_task(&code, now_s()) {
        Ok(t) => t,
        Err(e) => {
            let traceback = match &e {
                TaskError::Refused(p) => p.traceback.clone(),
                other => other.to_string(),
            };
            return json!({"type": "error", "error": e.to_string(), "traceback": traceback}).to_string();
        }
    };
    let task = created.task;
    if created.is_async {
        scheduler::arm();
        return realms::execute_code_async_reply(&task).unwrap_or_else(json_error);
    }
    let reply = match scheduler::run_now(&task) {
        Ok(Some(outcome)) => realms::execute_code_reply(&task, &outcome).unwrap_or_else(json_error),
        Ok(None) => json!({"type": "error", "error": "the shell task was not due"}).to_string(),
        Err(e) => json!({"type": "error", "error": e.to_string()}).to_string(),
    };
    scheduler::arm();
    reply
}

/// realms' one-step task: `code` is base64; repeats every `repeat_every` s (0: once), first run
/// after `run_after` s (realms ignored it).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn create_scheduled_task(name: String, code: String, repeat_every: Nat, run_after: Nat) -> String {
    guard("create_scheduled_task");
    let (every, after) = (nat(&repeat_every, "repeat_every"), nat(&run_after, "run_after"));
    let r = realms::create_scheduled_task(&name, &code, every, after, now_s()).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// realms' multi-step task: `steps_config` is a JSON array of `{"code": base64, "run_next_after": s}`.
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn create_multi_step_scheduled_task(name: String, steps_config: String, repeat_every: Nat, run_after: Nat) -> String {
    guard("create_multi_step_scheduled_task");
    let (every, after) = (nat(&repeat_every, "repeat_every"), nat(&run_after, "run_after"));
    let r = realms::create_multi_step_scheduled_task(&name, &steps_config, every, after, now_s()).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// Cancels a task (by id prefix, or name): no step of it runs until `start_task`.
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn stop_task(task_id: String) -> String {
    guard("stop_task");
    let r = realms::stop_task(&task_id).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// Resumes a task (by id prefix, or name) at its current step, now.
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn start_task(task_id: String) -> String {
    guard("start_task");
    let r = realms::start_task(&task_id, now_s()).unwrap_or_else(json_error);
    scheduler::arm();
    r
}

/// The last `limit` executions of a task, with their logs and results.
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn get_task_logs(task_id: String, limit: Nat) -> String {
    guard("get_task_logs");
    realms::get_task_logs(&task_id, nat(&limit, "limit")).unwrap_or_else(json_error)
}

/// The task logger's entries (a JSON array; this instance's in-memory log).
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn get_task_logs_by_name(task_name: String, from_entry: Nat, max_entries: Nat) -> String {
    guard("get_task_logs_by_name");
    realms::get_task_logs_by_name(&task_name, nat(&from_entry, "from_entry"), nat(&max_entries, "max_entries")).unwrap_or_else(json_error)
}

fn failure(e: impl std::fmt::Display) -> RealmResponse {
    RealmResponse { success: false, data: RealmResponseData::Error(e.to_string()) }
}

/// Entities by `(class name, id or alias)`; misses are skipped.
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn get_objects(pairs: Vec<(String, String)>) -> RealmResponse {
    guard("get_objects");
    match realms::get_objects(&pairs) {
        Ok(objects) => RealmResponse { success: true, data: RealmResponseData::ObjectsList(ObjectsList { objects }) },
        Err(e) => failure(e),
    }
}

/// A page of one class's entities, in id order (`order` "asc" or "desc").
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn get_objects_paginated(class_name: String, page_num: Nat, page_size: Nat, order: String) -> RealmResponse {
    guard("get_objects_paginated");
    let page = match realms::get_objects_paginated(&class_name, nat(&page_num, "page_num"), nat(&page_size, "page_size"), &order) {
        Ok(page) => page,
        Err(e) => return failure(e),
    };
    let p = page.pagination;
    let pagination = PaginationInfo {
        page_num: Int::from(p.page_num),
        page_size: Int::from(p.page_size),
        total_items_count: Int::from(p.total_items_count),
        total_pages: Int::from(p.total_pages),
    };
    let objects = page.objects;
    RealmResponse { success: true, data: RealmResponseData::ObjectsListPaginated(ObjectsListPaginated { objects, pagination }) }
}

/// Counts of the catalogue's entities and of tasks by status.
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn status() -> RealmResponse {
    guard("status");
    let v = match realms::status() {
        Ok(v) => v,
        Err(e) => return failure(e),
    };
    let counts = |m: std::collections::BTreeMap<String, u64>| -> Vec<NamedCount> {
        m.into_iter().map(|(name, count)| NamedCount { name, count }).collect()
    };
    RealmResponse {
        success: true,
        data: RealmResponseData::Status(StatusRecord {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            entity_counts: counts(v.entity_counts),
            tasks_by_status: counts(v.tasks_by_status),
            stable_memory_pages: ic_cdk::api::stable_size(),
        }),
    }
}

/// The transform realms' HTTPS outcalls name (`http_transform`): the response without its
/// headers, which differ between replicas. Pure, so anyone may call it.
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn http_transform(args: crate::py::http_outcall::TransformArgs) -> crate::py::http_outcall::HttpResponse {
    crate::py::http_outcall::HttpResponse { headers: Vec::new(), ..args.response }
}
