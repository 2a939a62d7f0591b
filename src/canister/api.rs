//! Our own endpoints: running a codex, tasks (typed), roles and grants.

use candid::Principal;

use super::access::guard;
use super::roles::{self, Role};
use super::scheduler;
use super::types::*;
use crate::py::{Codex, RunOptions};
use crate::tasks::scheduler::{self as tasks_scheduler, TaskError};
use crate::tasks::{self, manage};

fn now_s() -> i64 {
    (ic_cdk::api::time() / 1_000_000_000) as i64
}

fn err(e: TaskError) -> String {
    e.to_string()
}

/// Runs a codex now, as one atomic execution (admins).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn run_codex(source: String) -> RunReply {
    guard("run_codex");
    let exec = match tasks::execute(Codex { source: &source, filename: "<codex>" }, &RunOptions::default()) {
        Ok(x) => x,
        Err(e) => ic_cdk::trap(format!("codexvm: {e}")),
    };
    let logs = exec.outcome.captured.lines();
    scheduler::arm(); // the codex may have created or changed tasks
    match exec.outcome.result {
        Ok(json) => RunReply { success: true, result: Some(json), error: None, logs, instructions: exec.instructions },
        Err(e) => RunReply { success: false, result: None, error: Some(e.traceback), logs, instructions: exec.instructions },
    }
}

/// Creates a task (admins); its first step is armed at once.
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn create_task(spec: TaskSpec) -> Result<TaskView, String> {
    guard("create_task");
    let view = tasks_scheduler::create(&spec, now_s()).map_err(err)?;
    scheduler::arm();
    Ok(view)
}

/// Every task with its progress and last execution (readers).
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn list_tasks() -> Result<Vec<TaskView>, String> {
    guard("list_tasks");
    tasks_scheduler::list().map_err(err)
}

/// One task: status, schedule, progress, the last `executions` and its namespace's records (readers).
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn get_task(name: String, executions: u32) -> Result<TaskState, String> {
    guard("get_task");
    manage::state(&name, executions).map_err(err)
}

/// A task's whole state as one JSON document, all executions included (readers).
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn export_task(name: String) -> Result<String, String> {
    guard("export_task");
    manage::document(&name, i32::MAX as u32).map(|v| v.to_string()).map_err(err)
}

/// Deletes every record of a task's namespace; returns how many keys (admins).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn clear_task(name: String) -> Result<u64, String> {
    guard("clear_task");
    tasks_scheduler::clear(&name).map_err(err)
}

/// Deletes a task with its steps, executions, records and grants (admins).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn delete_task(name: String) -> Result<u64, String> {
    guard("delete_task");
    let r = manage::delete(&name).map_err(err);
    scheduler::arm();
    r
}

fn grant_views(g: Vec<crate::db::policy::Grant>) -> Vec<GrantView> {
    g.into_iter().map(GrantView::from).collect()
}

/// Lets task `task` read (or also write) task `other`'s namespace (controllers).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn grant_namespace(task: String, other: String, write: bool) -> Result<Vec<GrantView>, String> {
    guard("grant_namespace");
    manage::grant(&task, &other, write).map(grant_views).map_err(err)
}

/// Takes back task `task`'s access to task `other`'s namespace (controllers).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn revoke_namespace(task: String, other: String) -> Result<Vec<GrantView>, String> {
    guard("revoke_namespace");
    manage::revoke(&task, &other).map(grant_views).map_err(err)
}

/// Gives a principal a role (controllers).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn grant_role(who: Principal, role: Role) -> Result<Vec<Role>, String> {
    guard("grant_role");
    if who == Principal::anonymous() {
        return Err("codexvm: roles cannot be given to the anonymous principal".into());
    }
    roles::grant(&who, role).map_err(|e| e.to_string())
}

/// Takes a role back (controllers).
#[ic_cdk::update(encode_with = "crate::canister::reply::encode")]
fn revoke_role(who: Principal, role: Role) -> Result<Vec<Role>, String> {
    guard("revoke_role");
    roles::revoke(&who, role).map_err(|e| e.to_string())
}

/// Every principal holding a role (controllers).
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn list_roles() -> Vec<RoleAssignment> {
    guard("list_roles");
    roles::all().into_iter().map(|(principal, roles)| RoleAssignment { principal, roles }).collect()
}

/// What the caller may do (anyone).
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn my_access() -> Access {
    let principal = ic_cdk::api::msg_caller();
    Access { principal, controller: ic_cdk::api::is_controller(&principal), roles: roles::of(&principal) }
}

/// Size of the stable memory, in 64 KiB pages (readers).
#[ic_cdk::query(encode_with = "crate::canister::reply::encode")]
fn stable_size() -> u64 {
    guard("stable_size");
    ic_cdk::api::stable_size()
}
