//! Monitoring and maintenance of tasks, shared by the command line and the canister: a task's
//! state with its records and grants, deleting a task with its grants, granting access between
//! tasks.

use serde_json::Value;

use super::model::{GrantView, TaskState};
use super::scheduler::{self, TaskError};
use crate::db::policy::Grant;
use crate::db::{grants, keys};

fn store_error(e: crate::store::StoreError) -> TaskError {
    TaskError::Reply(e.to_string())
}

/// Everything about one task as one JSON document: the scheduler's [`scheduler::document`]
/// with the grants it holds.
pub fn document(name: &str, executions: u32) -> Result<Value, TaskError> {
    let mut v = scheduler::document(name, executions)?;
    v["grants"] = serde_json::to_value(grants::of(name).map_err(store_error)?).expect("grants to JSON");
    Ok(v)
}

/// Everything about one task: its view with the last `executions`, every record of its
/// namespace, and the grants it holds.
pub fn state(name: &str, executions: u32) -> Result<TaskState, TaskError> {
    let mut v = scheduler::document(name, executions)?;
    let records = v["records"].take();
    let counters = v["counters"].take();
    let namespace = v["namespace"].as_str().unwrap_or_default().to_owned();
    let task = serde_json::from_value(v).map_err(|e| TaskError::Reply(e.to_string()))?;
    let grants = grants::of(name).map_err(store_error)?.into_iter().map(GrantView::from).collect();
    Ok(TaskState { task, namespace, records_json: records.to_string(), counters_json: counters.to_string(), grants })
}

/// Deletes the task with its records and grants; returns how many namespace keys went.
pub fn delete(name: &str) -> Result<u64, TaskError> {
    let removed = scheduler::delete(name)?;
    grants::revoke_all(name).map_err(store_error)?;
    Ok(removed)
}

/// Gives task `name` read (or write) access to task `other`'s namespace; returns its grants.
pub fn grant(name: &str, other: &str, write: bool) -> Result<Vec<Grant>, TaskError> {
    scheduler::view(name, 0)?; // the task must exist
    grants::grant(name, &keys::task_namespace(other), write).map_err(store_error)
}

/// Takes back task `name`'s access to task `other`'s namespace; returns its grants.
pub fn revoke(name: &str, other: &str) -> Result<Vec<Grant>, TaskError> {
    grants::revoke(name, &keys::task_namespace(other)).map_err(store_error)
}
