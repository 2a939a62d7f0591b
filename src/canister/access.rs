//! Who may call what: the table of guarded methods, the check each endpoint makes first, and
//! `inspect_message`, which refuses ingress messages early (before they cost the canister cycles).

use super::roles::{self, Needs, Role};

/// The rule of every endpoint (None: anyone, including the anonymous principal).
pub fn needs(method: &str) -> Option<Needs> {
    use Needs::{Controller, Role as R};
    Some(match method {
        "grant_role" | "revoke_role" | "list_roles" | "grant_namespace" | "revoke_namespace" => Controller,
        "run_codex"
        | "execute_code"
        | "create_task"
        | "create_scheduled_task"
        | "create_multi_step_scheduled_task"
        | "stop_task"
        | "start_task"
        | "clear_task"
        | "delete_task" => R(Role::Admin),
        "get_task"
        | "list_tasks"
        | "export_task"
        | "get_task_logs"
        | "get_task_logs_by_name"
        | "get_objects"
        | "get_objects_paginated"
        | "status"
        | "stable_size" => R(Role::Reader),
        _ => return None,
    })
}

/// Traps (rejecting the call) unless the caller may call `method`.
pub fn guard(method: &str) {
    if let Err(e) = check(method) {
        ic_cdk::trap(e.to_string());
    }
}

fn check(method: &str) -> Result<(), roles::AccessError> {
    let Some(rule) = needs(method) else { return Ok(()) };
    let caller = ic_cdk::api::msg_caller();
    roles::check(&caller, ic_cdk::api::is_controller(&caller), method, rule)
}

#[ic_cdk::inspect_message]
fn inspect_message() {
    let method = ic_cdk::api::msg_method_name();
    if method == super::scheduler::RUN_METHOD {
        ic_cdk::trap(format!("codexvm: {method} is internal to the scheduler"));
    }
    match check(&method) {
        Ok(()) => ic_cdk::api::accept_message(),
        Err(e) => ic_cdk::trap(e.to_string()),
    }
}
