//! Candid types of the endpoints (typed records for our own endpoints; realms' shapes for the
//! realms-compatible ones).

use candid::{CandidType, Deserialize, Int, Principal};
use serde::Serialize;

use super::roles::Role;

pub use crate::tasks::RunReply;

/// One step of a new task.
#[derive(Debug, Clone, Default, CandidType, Deserialize, Serialize)]
pub struct StepSpec {
    /// The codex source (or None to use the stored codex `codex_name`).
    pub code: Option<String>,
    /// The codex's name (generated when absent).
    pub codex_name: Option<String>,
    /// Seconds to wait before this step runs (after the previous one, or after the start).
    pub run_next_after: Option<u64>,
}

/// A new task.
#[derive(Debug, Clone, Default, CandidType, Deserialize, Serialize)]
pub struct TaskSpec {
    /// Unique name; its records live in the namespace `task_<name>`.
    pub name: String,
    /// The steps, run in order.
    pub steps: Vec<StepSpec>,
    /// Repeat the whole task every this many seconds (0 or none: once).
    pub repeat_every: Option<u64>,
    /// First run at this time (seconds since the epoch).
    pub run_at: Option<u64>,
    /// First run this many seconds from now.
    pub run_after: Option<u64>,
    /// Retries of a failed step before the cycle fails.
    pub max_retries: Option<u32>,
    /// Seconds between retries.
    pub retry_delay: Option<u64>,
    /// The instruction budget of each execution, in percent of the 40 B message limit (80).
    pub budget_percent: Option<u8>,
    /// How much one execution may grow the heap, in MiB (1024; at most 3072).
    pub heap_mib: Option<u32>,
    /// Free text kept with the task.
    pub metadata: Option<String>,
}

/// A step of a task.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct StepView {
    /// Position in the task.
    pub index: u32,
    /// The codex's name.
    pub codex: Option<String>,
    /// True for an `async_task()` codex.
    pub is_async: bool,
    /// Seconds before it runs.
    pub run_next_after: u64,
    /// pending, running, completed or failed.
    pub status: String,
}

/// A task's schedule.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct ScheduleView {
    /// The schedule's name.
    pub name: String,
    /// First run (seconds since the epoch; 0 = at once).
    pub run_at: u64,
    /// Period in seconds (0 = once).
    pub repeat_every: u64,
    /// The period the last cycle served (seconds since the epoch).
    pub last_run_at: u64,
    /// True when stopped.
    pub disabled: bool,
}

/// The batching helper's progress.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct ProgressView {
    /// Items done in this cycle.
    pub done: u64,
    /// Items in the cycle.
    pub total: u64,
    /// Cycles finished.
    pub cycles: u64,
}

/// One execution of a step.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct ExecutionView {
    /// The TaskExecution id.
    pub id: String,
    /// The step it ran.
    pub step: u32,
    /// running, completed or failed.
    pub status: String,
    /// Start (seconds since the epoch).
    pub started_at: u64,
    /// End (seconds since the epoch), if it ended.
    pub finished_at: Option<u64>,
    /// Instructions used.
    pub instructions: u64,
    /// JSON of the result, or the traceback.
    pub result: String,
    /// Captured output.
    pub logs: String,
}

/// Access one task holds to another's namespace.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct GrantView {
    /// The namespace (`task_<name>`).
    pub namespace: String,
    /// Writing too, not only reading.
    pub write: bool,
}

/// A task: status, schedule, steps, progress, last executions.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct TaskView {
    /// The Task entity's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// pending, running, completed, failed or cancelled.
    pub status: String,
    /// The step that runs next.
    pub step_to_execute: u32,
    /// When it next runs (seconds since the epoch; 0 = not scheduled).
    pub next_run_at: u64,
    /// Retry policy.
    pub max_retries: u32,
    /// Seconds between retries.
    pub retry_delay: u64,
    /// Budget per execution, in percent of the message limit.
    pub budget_percent: u8,
    /// Heap allowance per execution, in MiB.
    pub heap_mib: u32,
    /// Its steps.
    pub steps: Vec<StepView>,
    /// Its schedule.
    pub schedule: Option<ScheduleView>,
    /// The batching helper's progress, if it uses it.
    pub progress: Option<ProgressView>,
    /// Executions on record.
    pub executions_total: u64,
    /// The last executions asked for.
    pub executions: Vec<ExecutionView>,
}

/// A task with its namespace's records and its grants.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct TaskState {
    /// The task.
    pub task: TaskView,
    /// Its namespace (`task_<name>`).
    pub namespace: String,
    /// Every record of the namespace, as JSON `{type: {id: record}}`.
    pub records_json: String,
    /// Its id and count counters, as JSON.
    pub counters_json: String,
    /// Access it holds to other namespaces.
    pub grants: Vec<GrantView>,
}

/// A principal's roles.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct RoleAssignment {
    /// Who.
    pub principal: Principal,
    /// What it may do.
    pub roles: Vec<Role>,
}

/// What the caller may do.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct Access {
    /// The caller.
    pub principal: Principal,
    /// True for a controller (may do everything).
    pub controller: bool,
    /// Roles granted to it.
    pub roles: Vec<Role>,
}

/// realms' reply of `status` and the object endpoints.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct RealmResponse {
    /// False with `data = error` when the request failed.
    pub success: bool,
    /// The payload.
    pub data: RealmResponseData,
}

/// realms' payload variant (the arms this canister serves).
#[derive(Debug, Clone, CandidType, Deserialize)]
pub enum RealmResponseData {
    /// `status`.
    #[serde(rename = "status")]
    Status(StatusRecord),
    /// A failure.
    #[serde(rename = "error")]
    Error(String),
    /// A message.
    #[serde(rename = "message")]
    Message(String),
    /// `get_objects`.
    #[serde(rename = "objectsList")]
    ObjectsList(ObjectsList),
    /// `get_objects_paginated`.
    #[serde(rename = "objectsListPaginated")]
    ObjectsListPaginated(ObjectsListPaginated),
}

/// Entities as JSON texts (`json.dumps(entity.serialize())`).
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct ObjectsList {
    /// The entities.
    pub objects: Vec<String>,
}

/// A page of entities.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct ObjectsListPaginated {
    /// The entities.
    pub objects: Vec<String>,
    /// Where the page is.
    pub pagination: PaginationInfo,
}

/// realms' pagination record.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct PaginationInfo {
    /// Page number (from 0).
    pub page_num: Int,
    /// Entities per page.
    pub page_size: Int,
    /// Entities of the class.
    pub total_items_count: Int,
    /// Pages.
    pub total_pages: Int,
}

/// What `status` reports.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct StatusRecord {
    /// This runtime's version.
    pub version: String,
    /// Entities of each ggg class that has any.
    pub entity_counts: Vec<NamedCount>,
    /// Tasks by status.
    pub tasks_by_status: Vec<NamedCount>,
    /// Stable memory in use, in 64 KiB pages.
    pub stable_memory_pages: u64,
}

/// A name with a count.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct NamedCount {
    /// The name.
    pub name: String,
    /// How many.
    pub count: u64,
}
