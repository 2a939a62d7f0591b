//! Views of tasks read straight from their stored records (the task model's entities in
//! kybra_simple_db's layout: `Task`, `TaskStep`, `Call`, `Codex`, `TaskSchedule`,
//! `TaskExecution`, and the batching helper's `BatchProgress` in the task's namespace), without
//! the interpreter. What they return is what the scheduler's Python returns for the same state
//! (`pylib/codexvm/monitor.py`, `task_view`); a test compares the two.

use std::collections::BTreeMap;

use super::model::{ExecutionView, ProgressView, ScheduleView, StepView, TaskView};
use crate::db::json::{self, JStr, Members, Plain as J, PlainBuilder as Builder};
use crate::db::{keys, Bounds, Resolved, Table};
use crate::store::{self, HostMemory, Store, ENTITY_MAP};

/// Why a view could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// No store is open on this thread.
    #[error("no store is open")]
    NotOpen,
    /// No task has this name.
    #[error("no task named {0:?}")]
    NoTask(String),
    /// A stored record is not a JSON object.
    #[error("the stored record {0} is not a JSON object")]
    Damaged(String),
}

/// Reads stored values as Python's views do.
trait Stored {
    /// A number as a view shows it (`x or 0`; what a `u64` cannot hold reads as 0).
    fn num(&self) -> u64;
    /// A text as a view shows it (`x or ""`).
    fn text(self) -> String;
    /// A stored id: kybra_simple_db writes strings; numbers are read too.
    fn id(self) -> Option<String>;
    /// A to-many relation's ids, each once, in stored order.
    fn ids(self) -> Vec<String>;
    /// Python's truth of the value.
    fn flag(&self) -> bool;
}

fn string(s: JStr) -> String {
    match s {
        JStr::Text(t) => t,
        JStr::CodePoints(c) => c.into_iter().map(|c| char::from_u32(c).unwrap_or('\u{fffd}')).collect(),
    }
}

impl Stored for J {
    fn num(&self) -> u64 {
        match self {
            J::Int(d) => d.parse().unwrap_or(0),
            J::Float(f) if *f >= 0.0 => *f as u64,
            J::Bool(b) => u64::from(*b),
            _ => 0,
        }
    }

    fn text(self) -> String {
        match self {
            J::Str(s) => string(s),
            _ => String::new(),
        }
    }

    fn id(self) -> Option<String> {
        match self {
            J::Str(s) => Some(string(s)),
            J::Int(d) => Some(d),
            _ => None,
        }
    }

    fn ids(self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let J::List(items) = self {
            for id in items.into_iter().filter_map(Stored::id) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out
    }

    fn flag(&self) -> bool {
        match self {
            J::Null => false,
            J::Bool(b) => *b,
            J::Int(d) => d.bytes().any(|c| c.is_ascii_digit() && c != b'0'),
            J::Float(f) => *f != 0.0,
            J::Str(JStr::Text(s)) => !s.is_empty(),
            J::Str(JStr::CodePoints(c)) => !c.is_empty(),
            J::List(l) => !l.is_empty(),
            J::Obj(o) => !o.is_empty(),
        }
    }
}

/// Takes the members named `names` of a stored record; the others are skipped unbuilt.
struct Fields<const N: usize> {
    names: [&'static str; N],
    values: [J; N],
    at: usize,
}

impl<const N: usize> Members<Builder> for Fields<N> {
    fn wants(&mut self, key: &str) -> Option<bool> {
        match self.names.iter().position(|n| *n == key) {
            Some(i) => {
                self.at = i;
                Some(true)
            }
            None => Some(false),
        }
    }

    fn member(&mut self, value: J) -> bool {
        self.values[self.at] = value;
        true
    }
}

/// The members `names` of the JSON object `text` in that order (absent ones null; of a repeated
/// key, the last), or None if `text` is not a JSON object.
fn fields<const N: usize>(text: &str, names: [&'static str; N]) -> Option<[J; N]> {
    let mut f = Fields { names, values: std::array::from_fn(|_| J::Null), at: 0 };
    if json::decode_members(text, &mut Builder, &mut f).is_some() {
        return Some(f.values);
    }
    // Escaped keys and the like: the whole object, then its members.
    let J::Obj(entries) = json::decode(text, &mut Builder).ok()? else { return None };
    let mut values = std::array::from_fn(|_| J::Null);
    for (key, value) in entries {
        if let JStr::Text(k) = key {
            if let Some(i) = names.iter().position(|n| *n == k) {
                values[i] = value;
            }
        }
    }
    Some(values)
}

/// The members of a Task record that its view shows.
const TASK_FIELDS: [&str; 12] = [
    "_id",
    "name",
    "status",
    "step_to_execute",
    "next_run_at",
    "max_retries",
    "retry_delay",
    "budget_percent",
    "heap_mib",
    "steps",
    "schedules",
    "executions",
];

/// Reads records of one store.
struct Reader<'a> {
    store: &'a mut Store<HostMemory>,
    table: Table,
}

impl Reader<'_> {
    /// The members `names` of the record of `type_name` with `id`, if there is one.
    fn record<const N: usize>(&mut self, type_name: &str, id: &str, names: [&'static str; N]) -> Result<Option<[J; N]>, RecordError> {
        let key = keys::entity(type_name, id);
        match self.table.get(self.store, &key) {
            None => Ok(None),
            Some(text) => fields(&text, names).map(Some).ok_or(RecordError::Damaged(key)),
        }
    }

    /// The id the alias `value` of `type_name` names, if any.
    fn alias(&mut self, type_name: &str, value: &str) -> Option<String> {
        json::decode(&self.table.get(self.store, &keys::alias(type_name, value))?, &mut Builder).ok()?.id()
    }

    /// The view of the task whose record holds `task` ([`TASK_FIELDS`]).
    fn view(&mut self, task: [J; 12], executions: u32) -> Result<TaskView, RecordError> {
        let [id, name, status, step_to_execute, next_run_at, max_retries, retry_delay, budget_percent, heap_mib, steps, schedules, runs] =
            task;
        let mut step_views = Vec::new();
        for step_id in steps.ids() {
            let Some([run_next_after, step_status, call]) = self.record("TaskStep", &step_id, ["run_next_after", "status", "call"])? else {
                continue;
            };
            let call = match call.id() {
                Some(call_id) => self.record("Call", &call_id, ["is_async", "codex"])?,
                None => None,
            };
            let (is_async, codex) = match call {
                Some([is_async, codex]) => (is_async.flag(), codex.id()),
                None => (false, None),
            };
            let codex = match codex {
                Some(codex_id) => self.record("Codex", &codex_id, ["name"])?.map(|[n]| n.text()),
                None => None,
            };
            step_views.push(StepView {
                index: step_views.len() as u32,
                codex,
                is_async,
                run_next_after: run_next_after.num(),
                status: step_status.text(),
            });
        }
        let schedule = match schedules.ids().first() {
            Some(sid) => self.record("TaskSchedule", sid, ["name", "run_at", "repeat_every", "last_run_at", "disabled"])?.map(
                |[n, run_at, every, last, disabled]| ScheduleView {
                    name: n.text(),
                    run_at: run_at.num(),
                    repeat_every: every.num(),
                    last_run_at: last.num(),
                    disabled: disabled.flag(),
                },
            ),
            None => None,
        };
        let name = name.text();
        let progress_type = format!("{}::BatchProgress", keys::task_namespace(&name));
        let progress = match self.alias(&progress_type, "default") {
            Some(pid) => self.record(&progress_type, &pid, ["done", "total", "cycles"])?.map(|[done, total, cycles]| ProgressView {
                done: done.num(),
                total: total.num(),
                cycles: cycles.num(),
            }),
            None => None,
        };
        let ids = runs.ids();
        let mut views = Vec::new();
        if executions > 0 {
            for eid in &ids[ids.len().saturating_sub(executions as usize)..] {
                let names = ["_id", "step", "status", "started_at", "finished_at", "instructions", "result", "logs"];
                if let Some(e) = self.record("TaskExecution", eid, names)? {
                    views.push(execution_view(e));
                }
            }
        }
        Ok(TaskView {
            id: id.text(),
            name,
            status: status.text(),
            step_to_execute: step_to_execute.num() as u32,
            next_run_at: next_run_at.num(),
            max_retries: max_retries.num() as u32,
            retry_delay: retry_delay.num(),
            budget_percent: budget_percent.num() as u8,
            heap_mib: heap_mib.num() as u32,
            steps: step_views,
            schedule,
            progress,
            executions_total: ids.len() as u64,
            executions: views,
        })
    }
}

fn execution_view([id, step, status, started_at, finished_at, instructions, result, logs]: [J; 8]) -> ExecutionView {
    ExecutionView {
        id: id.text(),
        step: step.num() as u32,
        status: status.text(),
        started_at: started_at.num(),
        finished_at: Some(finished_at.num()).filter(|&t| t != 0),
        instructions: instructions.num(),
        result: result.text(),
        logs: logs.text(),
    }
}

fn with_reader<R>(f: impl FnOnce(&mut Reader) -> Result<R, RecordError>) -> Result<R, RecordError> {
    let table = Table::new(ENTITY_MAP, Bounds::REALMS);
    store::global::with(|store| f(&mut Reader { store, table })).map_err(|_| RecordError::NotOpen)?
}

/// The task named `name`, with its last `executions` executions.
pub fn view(name: &str, executions: u32) -> Result<TaskView, RecordError> {
    with_reader(|r| {
        // As `Task[name]`: an id first, then the name.
        let text = match r.table.resolve(r.store, "Task", name, true) {
            Resolved::ById(record) | Resolved::ByAlias { record: Some(record), .. } => record,
            _ => return Err(RecordError::NoTask(name.to_owned())),
        };
        match fields(&text, TASK_FIELDS) {
            Some(task) => r.view(task, executions),
            None => Err(RecordError::Damaged(format!("Task {name:?}"))),
        }
    })
}

impl Reader<'_> {
    /// Calls `each` with the members `names` of every Task record, in key order (as
    /// `Task.instances()`), a page of records at a time.
    fn tasks<const N: usize>(
        &mut self,
        names: [&'static str; N],
        mut each: impl FnMut(&mut Self, [J; N]) -> Result<(), RecordError>,
    ) -> Result<(), RecordError> {
        let mut after: Option<String> = None;
        loop {
            let page = self.table.scan_type(self.store, "Task", after.as_deref(), 64);
            let Some((last_id, _)) = page.last() else { return Ok(()) };
            after = Some(keys::entity("Task", last_id));
            for (id, text) in &page {
                let members = fields(text, names).ok_or_else(|| RecordError::Damaged(keys::entity("Task", id)))?;
                each(self, members)?;
            }
        }
    }
}

/// Every task in key order (as `Task.instances()`), each with its last execution.
pub fn list() -> Result<Vec<TaskView>, RecordError> {
    with_reader(|r| {
        let mut out = Vec::new();
        r.tasks(TASK_FIELDS, |r, task| {
            out.push(r.view(task, 1)?);
            Ok(())
        })?;
        Ok(out)
    })
}

/// The live count of each stored type in `types` (`Cls.count()`: `_system@<type>_count`).
pub fn counts(types: &[String]) -> Result<Vec<u64>, RecordError> {
    with_reader(|r| Ok(types.iter().map(|t| r.table.counter(r.store, &keys::count(t)).unwrap_or(0)).collect()))
}

/// How many tasks have each status, over every task (`Task.instances()`).
pub fn tasks_by_status() -> Result<BTreeMap<String, u64>, RecordError> {
    with_reader(|r| {
        let mut out = BTreeMap::new();
        r.tasks(["status"], |_, [status]| {
            *out.entry(status.text()).or_insert(0) += 1;
            Ok(())
        })?;
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_as_pythons_views_read_them() {
        let [a, b, c] = fields(r#"{"a": 1, "b": "x", "z": {"deep": [1, 2]}, "a": 2}"#, ["a", "b", "c"]).unwrap();
        assert_eq!((a.num(), b.text(), c.text()), (2, "x".to_owned(), String::new()), "the last of a repeated key; absent is null");
        // A key with an escape is read through the whole object.
        let [name] = fields(r#"{"na\u006de": "t", "other": 1}"#, ["name"]).unwrap();
        assert_eq!(name.text(), "t");
        assert!(fields("[1, 2]", ["a"]).is_none());
        assert!(fields("{\"a\": ", ["a"]).is_none());
        let nums = fields(
            r#"{"n": -5, "f": 1e3, "big": 123456789012345678901234567890, "t": true, "s": "7", "z": null}"#,
            ["n", "f", "big", "t", "s", "z"],
        )
        .unwrap();
        assert_eq!(nums.map(|j| j.num()), [0, 1000, 0, 1, 0, 0]);
        let [ids] = fields(r#"{"ids": ["3", 1, "3", null, "2"]}"#, ["ids"]).unwrap();
        assert_eq!(ids.ids(), ["3", "1", "2"], "each once, in stored order; numbers read as ids");
        let flags =
            fields(r#"{"a": 0, "b": -0.0, "c": "", "d": [0], "e": {}, "f": "0", "g": -2}"#, ["a", "b", "c", "d", "e", "f", "g"]).unwrap();
        assert_eq!(flags.map(|j| j.flag()), [false, false, false, true, false, true, true]);
    }
}
