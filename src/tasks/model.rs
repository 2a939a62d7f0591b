//! The task model as Rust types: a new task's spec, the views of a task, its steps, schedule,
//! progress, executions and grants, a claimed step and how it ended. The canister, the command
//! line and the tests share them; the scheduler's state behind them is `pylib/codexvm/`.

use candid::{CandidType, Deserialize};
use serde::Serialize;

use crate::host;

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

impl StepSpec {
    /// A step that runs `code`.
    pub fn code(code: impl Into<String>) -> Self {
        StepSpec { code: Some(code.into()), ..Default::default() }
    }
}

impl TaskSpec {
    /// A task named `name` of one step that runs `code`, with the defaults for the rest.
    pub fn one_step(name: impl Into<String>, code: impl Into<String>) -> Self {
        TaskSpec { name: name.into(), steps: vec![StepSpec::code(code)], ..Default::default() }
    }
}

/// A step of a task.
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize, Serialize)]
pub struct ProgressView {
    /// Items done in this cycle.
    pub done: u64,
    /// Items in the cycle.
    pub total: u64,
    /// Cycles finished.
    pub cycles: u64,
}

/// One execution of a step.
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize, Serialize)]
pub struct GrantView {
    /// The namespace (`task_<name>`).
    pub namespace: String,
    /// Writing too, not only reading.
    pub write: bool,
}

/// A task: status, schedule, steps, progress, last executions.
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize, Serialize)]
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

/// A step the scheduler claimed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claim {
    /// Id of the TaskExecution record.
    pub execution: String,
    /// The task's name.
    pub task: String,
    /// The step's index.
    pub step: u32,
    /// The codex source.
    pub code: String,
    /// The codex's name.
    pub codex: String,
    /// True for an `async_task` codex.
    pub is_async: bool,
    /// The task's budget, in percent of the message limit.
    pub budget_percent: u64,
    /// How much one execution may grow the heap, in MiB.
    #[serde(default = "default_heap_mib")]
    pub heap_mib: u64,
    /// Executions found interrupted by a trap (and recorded as failed) before this claim.
    #[serde(default)]
    pub reaped: u64,
}

fn default_heap_mib() -> u64 {
    (host::heap::DEFAULT_ALLOWANCE >> 20) as u64
}

/// How a step's execution ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepOutcome {
    /// The TaskExecution record.
    pub execution: String,
    /// True if the codex finished (its writes are committed).
    pub ok: bool,
    /// JSON text of its result.
    pub result: Option<String>,
    /// The traceback, if it failed.
    pub error: Option<String>,
    /// Captured output lines.
    pub logs: Vec<String>,
    /// Instructions used.
    pub instructions: u64,
}

impl From<crate::db::policy::Grant> for GrantView {
    fn from(g: crate::db::policy::Grant) -> Self {
        GrantView { namespace: g.namespace, write: g.write }
    }
}
