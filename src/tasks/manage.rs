//! Monitoring and maintenance of tasks, shared by the command line and the canister: state with
//! grants, listing, clearing, deleting (grants included), granting access between tasks.

use serde_json::Value;

use super::runner::{api, ApiArg, TaskError};
use crate::db::policy::Grant;
use crate::db::{grants, keys};

fn store_error(e: crate::store::StoreError) -> TaskError {
    TaskError::Reply(e.to_string())
}

/// Everything about one task: status, schedule, progress, the last `executions`, every record of
/// its namespace, and the grants it holds.
pub fn state(name: &str, executions: i64) -> Result<Value, TaskError> {
    let mut v = api("state", vec![ApiArg::Str(name.to_owned()), ApiArg::Int(executions)])?;
    v["grants"] = serde_json::to_value(grants::of(name).map_err(store_error)?).expect("grants to JSON");
    Ok(v)
}

/// Every task with its progress and last execution.
pub fn list() -> Result<Value, TaskError> {
    api("list_tasks", vec![])
}

/// Deletes every record of the task's namespace; returns how many keys.
pub fn clear(name: &str) -> Result<u64, TaskError> {
    Ok(api("clear", vec![ApiArg::Str(name.to_owned())])?.as_u64().unwrap_or(0))
}

/// Deletes the task with its records and grants; returns how many namespace keys went.
pub fn delete(name: &str) -> Result<u64, TaskError> {
    let removed = api("delete", vec![ApiArg::Str(name.to_owned())])?.as_u64().unwrap_or(0);
    grants::revoke_all(name).map_err(store_error)?;
    Ok(removed)
}

/// Gives task `name` read (or write) access to task `other`'s namespace; returns its grants.
pub fn grant(name: &str, other: &str, write: bool) -> Result<Vec<Grant>, TaskError> {
    api("state", vec![ApiArg::Str(name.to_owned()), ApiArg::Int(0)])?; // the task must exist
    grants::grant(name, &keys::task_namespace(other), write).map_err(store_error)
}

/// Takes back task `name`'s access to task `other`'s namespace; returns its grants.
pub fn revoke(name: &str, other: &str) -> Result<Vec<Grant>, TaskError> {
    grants::revoke(name, &keys::task_namespace(other)).map_err(store_error)
}
