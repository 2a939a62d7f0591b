//! What the running execution may touch: who is running (a task, its grants and budget), which
//! maps and which entity types it reaches. Checked in Rust at every native entry point, so no
//! Python-level trick (patched classes, private attributes, imports) can widen it.

use std::cell::RefCell;

use super::keys;
use crate::store::{MapId, FIRST_SYSTEM_MAP, LAST_MAP};

/// Kind of access asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading.
    Read,
    /// Writing.
    Write,
}

/// Why access was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// Not a valid memory id.
    #[error("memory_id {0} is out of range (0..={max})", max = FIRST_SYSTEM_MAP - 1)]
    OutOfRange(u16),
    /// A map the runtime keeps for itself.
    #[error("memory_id {0} is reserved by codexvm ({FIRST_SYSTEM_MAP}..={LAST_MAP} hold its own state)")]
    Reserved(u16),
    /// The execution's policy does not allow this map.
    #[error("this execution may not {access} memory_id {map}")]
    Denied {
        /// The map.
        map: u16,
        /// "read" or "write".
        access: &'static str,
    },
}

/// The maps an execution may use directly through `StableBTreeMap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapPolicy {
    /// Any user map (controllers' shell code, the native runner).
    All,
    /// Only these maps.
    Only(Vec<MapId>),
}

thread_local! {
    static POLICY: RefCell<MapPolicy> = const { RefCell::new(MapPolicy::All) };
}

/// Sets the policy for the executions that follow, returning the previous one.
pub fn set_map_policy(p: MapPolicy) -> MapPolicy {
    POLICY.with(|c| std::mem::replace(&mut *c.borrow_mut(), p))
}

/// Checks a raw map access against the range, the reserved maps and the policy.
pub fn check_map(id: u16, access: Access) -> Result<MapId, PolicyError> {
    if id > LAST_MAP as u16 {
        return Err(PolicyError::OutOfRange(id));
    }
    if id >= FIRST_SYSTEM_MAP as u16 {
        return Err(PolicyError::Reserved(id));
    }
    let map = id as MapId;
    if map == crate::store::ENTITY_MAP && CONTEXT.with(|c| c.borrow().task.is_some()) {
        // A task reaches the entity store only through kybra_simple_db, where namespaces are
        // checked; raw access would bypass them.
        return Err(PolicyError::Denied { map: id, access: if access == Access::Read { "read" } else { "write" } });
    }
    POLICY.with(|c| match &*c.borrow() {
        MapPolicy::All => Ok(map),
        MapPolicy::Only(maps) if maps.contains(&map) => Ok(map),
        MapPolicy::Only(_) => Err(PolicyError::Denied { map: id, access: if access == Access::Read { "read" } else { "write" } }),
    })
}

/// Checks that the execution may use `id` as a kybra_simple_db storage (any user map).
pub fn check_db_map(id: u16, access: Access) -> Result<MapId, PolicyError> {
    let _ = access;
    if id > LAST_MAP as u16 {
        return Err(PolicyError::OutOfRange(id));
    }
    if id >= FIRST_SYSTEM_MAP as u16 {
        return Err(PolicyError::Reserved(id));
    }
    Ok(id as MapId)
}

/// Access to another task's namespace, given by a controller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    /// The namespace (`task_<name>`).
    pub namespace: String,
    /// Writing too, not only reading.
    pub write: bool,
}

/// Who is running: a task (with its namespace and grants) or privileged code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecContext {
    /// The task's name, when a task's codex runs.
    pub task: Option<String>,
    /// Extra namespaces the task may use.
    pub grants: Vec<Grant>,
    /// Instructions the execution may use.
    pub budget: Option<u64>,
}

impl ExecContext {
    /// The namespace of the running task.
    pub fn namespace(&self) -> Option<String> {
        self.task.as_deref().map(keys::task_namespace)
    }
}

thread_local! {
    static CONTEXT: RefCell<ExecContext> = RefCell::new(ExecContext::default());
}

/// Sets who is running, returning the previous context.
pub fn set_context(c: ExecContext) -> ExecContext {
    #[cfg(not(target_arch = "wasm32"))]
    match c.budget {
        Some(b) => crate::host::watchdog::arm(b),
        None => crate::host::watchdog::disarm(),
    }
    CONTEXT.with(|x| std::mem::replace(&mut *x.borrow_mut(), c))
}

/// The current context.
pub fn context() -> ExecContext {
    CONTEXT.with(|x| x.borrow().clone())
}

/// The running task's name, if a task's codex is running (without copying the context).
pub fn task() -> Option<String> {
    CONTEXT.with(|x| x.borrow().task.clone())
}

/// Entity types of the task model. A task's codex may read them but not write them: a codex
/// that could create tasks or schedules, or change another task's code, would act with rights
/// only admins have.
pub const TASK_MODEL_TYPES: &[&str] = &["Task", "TaskStep", "TaskSchedule", "TaskExecution", "Codex", "Call"];

/// Why a task's access to some records was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NamespaceDenied {
    /// Another task's namespace, without a grant.
    #[error("task '{task}' may not {access} records of namespace '{namespace}' (a controller can grant it)")]
    Namespace {
        /// The task.
        task: String,
        /// The namespace.
        namespace: String,
        /// "read" or "write".
        access: &'static str,
    },
    /// The task model (tasks, schedules, codexes), which only admins change.
    #[error("task '{task}' may not write {type_name} records: tasks, their schedules and codexes are created and changed by admins (create_task, run_codex), not by a task's codex")]
    TaskModel {
        /// The task.
        task: String,
        /// The entity type.
        type_name: String,
    },
}

/// Checks that the execution may read or write records of the entity type `type_name`: a task
/// reaches its own namespace, namespaces granted to it and records outside any task namespace
/// (writing the task model excepted); other code (controllers, the runner) reaches everything.
pub fn check_type(type_name: &str, access: Access) -> Result<(), NamespaceDenied> {
    CONTEXT.with(|c| {
        let c = c.borrow();
        let Some(task) = &c.task else { return Ok(()) };
        let ns = keys::namespace_of(type_name);
        let Some(ns) = ns.filter(|ns| keys::task_of_namespace(ns).is_some()) else {
            if access == Access::Write && ns.is_none() && TASK_MODEL_TYPES.contains(&type_name) {
                return Err(NamespaceDenied::TaskModel { task: task.clone(), type_name: type_name.to_owned() });
            }
            return Ok(());
        };
        if keys::task_of_namespace(ns) == Some(task.as_str())
            || c.grants.iter().any(|g| g.namespace == ns && (access == Access::Read || g.write))
        {
            return Ok(());
        }
        Err(NamespaceDenied::Namespace {
            task: task.clone(),
            namespace: ns.to_owned(),
            access: if access == Access::Read { "read" } else { "write" },
        })
    })
}

/// The instruction budget of the running execution, if any.
pub fn budget() -> Option<u64> {
    CONTEXT.with(|c| c.borrow().budget)
}

/// True once the running execution used more instructions than its budget.
pub fn over_budget() -> bool {
    match budget() {
        Some(b) => crate::host::with(|h| h.performance_counter(0)) > b,
        None => false,
    }
}
