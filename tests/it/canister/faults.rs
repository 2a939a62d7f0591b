//! Faults in the built canister (test host): a trap at every point of an execution — before,
//! during and after its entity writes, in the scheduler's own messages, between steps — and
//! during `post_upgrade`. After each, the stored data equals the last committed state and the
//! task resumes correctly.

use std::time::Duration;

use crate::support::canister::{installed, module, result_of, StepSpec, TaskSpec, TaskState};
use codexvm_host::{Canister, Limits};

/// The scheduler's self-call that runs one claimed step (`src/canister/scheduler.rs`).
const RUN_METHOD: &str = "run_claimed_step";

/// Each execution adds 20 rows and then counts itself: committed state always has
/// `rows == 20 * runs`, whatever point a trap hits.
const BATCH: &str = "from kybra_simple_db import Integer, String
class Counter(TaskEntity):
    __alias__ = 'k'
    k = String()
    runs = Integer(default=0)
class Row(TaskEntity):
    k = String()
c = Counter['main'] or Counter(k='main')
for i in range(20):
    Row(k=f'{c.runs}-{i}')
c.runs += 1
result = c.runs";

const CHECK: &str = "from core.execution import create_task_entity_class
from kybra_simple_db import Integer, String
Base = create_task_entity_class('batch')
class Counter(Base):
    __alias__ = 'k'
    k = String()
    runs = Integer(default=0)
class Row(Base):
    k = String()
c = Counter['main']
result = [c.runs if c else 0, Row.count(), len({r.k for r in Row.instances()})]";

fn runs_and_rows(c: &mut Canister) -> (u64, u64) {
    let v: Vec<u64> = serde_json::from_str(&result_of(c, CHECK)).unwrap();
    assert_eq!(v[1], v[2], "no row was written twice");
    (v[0], v[1])
}

fn state(c: &mut Canister, name: &str) -> TaskState {
    let r: Result<TaskState, String> = c.query("get_task", &candid::encode_args((name, 50u32)).unwrap()).decode();
    r.unwrap()
}

#[test]
fn a_trap_at_any_point_of_an_execution_keeps_the_last_committed_state() {
    let mut c = installed();
    let spec = TaskSpec {
        name: "batch".into(),
        steps: vec![StepSpec { code: Some(BATCH.into()), ..Default::default() }],
        repeat_every: Some(60),
        ..Default::default()
    };
    let made: Result<candid::Reserved, String> = c.update("create_task", &candid::encode_one(&spec).unwrap()).decode();
    made.unwrap();
    c.advance_time(Duration::from_secs(1));
    assert_eq!(runs_and_rows(&mut c), (1, 20));
    let mut limits_tried = 0;
    let mut traps = 0;
    // The execution's own message (set-up, 20 rows, the counter, the commit) is made to trap at
    // a different point each time: before the codex runs, between any two of its writes, and
    // after the last one.
    // Limits grow by a quarter each time, from 1 M to past what the whole message needs.
    let mut limit = 1_000_000u64;
    for _ in 0..32 {
        limit = limit * 5 / 4;
        c.set_method_limit(RUN_METHOD, Some(limit));
        c.advance_time(Duration::from_secs(60));
        c.set_method_limit(RUN_METHOD, None);
        limits_tried += 1;
        let (runs, rows) = runs_and_rows(&mut c);
        let failed = state(&mut c, "batch").task.executions.iter().filter(|e| e.status == "failed").count();
        traps = failed;
        eprintln!("limit {limit}: {runs} runs, {rows} rows, {failed} failed executions");
        assert_eq!(rows, 20 * runs, "limit {limit}: rows {rows} for {runs} runs");
    }
    // With the platform's limits back, the task goes on from its last committed state.
    let (before, _) = runs_and_rows(&mut c);
    for _ in 0..3 {
        c.advance_time(Duration::from_secs(60));
    }
    let (after, rows) = runs_and_rows(&mut c);
    assert!(before > 1, "the larger limits let whole executions through");
    assert!(after >= before + 2, "the task resumed: {before} -> {after}");
    assert_eq!(rows, 20 * after);
    let st = state(&mut c, "batch");
    assert!(st.task.executions.iter().any(|e| e.status == "failed"), "some executions were cut by traps");
    eprintln!(
        "{limits_tried} trap points tried, {traps} executions trapped and recorded, {after} runs committed of {} executions",
        st.task.executions_total
    );
}

#[test]
fn a_trap_between_steps_and_an_upgrade_between_steps_keep_the_chain() {
    let mut c = installed();
    let step = |n: u32| StepSpec {
        code: Some(format!(
            "from kybra_simple_db import String\nclass Mark(TaskEntity):\n    k = String()\nMark(k='step {n}')\nresult = {n}"
        )),
        run_next_after: Some(if n == 0 { 0 } else { 30 }),
        ..Default::default()
    };
    let spec = TaskSpec { name: "chain".into(), steps: vec![step(0), step(1), step(2)], ..Default::default() };
    let made: Result<candid::Reserved, String> = c.update("create_task", &candid::encode_one(&spec).unwrap()).decode();
    made.unwrap();
    c.advance_time(Duration::from_secs(1));
    // Step 1 is due in 30 s: its messages trap (a tight limit), then an upgrade happens.
    c.set_limits(Limits { update: 30_000_000, ..Limits::default() });
    c.advance_time(Duration::from_secs(31));
    c.set_limits(Limits::default());
    let up = c.upgrade(module(), &candid::encode_args(()).unwrap());
    assert!(up.result.is_ok(), "{:?}", up.result);
    for _ in 0..6 {
        c.advance_time(Duration::from_secs(30));
    }
    let marks = result_of(&mut c, "from core.execution import create_task_entity_class\nfrom kybra_simple_db import String\nclass Mark(create_task_entity_class('chain')):\n    k = String()\nresult = sorted(m.k for m in Mark.instances())");
    assert_eq!(marks, r#"["step 0", "step 1", "step 2"]"#, "every step ran once, in order, despite the traps and the upgrade");
}

#[test]
fn a_trap_during_post_upgrade_leaves_the_canister_as_it_was() {
    let mut c = installed();
    assert_eq!(result_of(&mut c, "from ggg import Realm\nRealm(name='Kept Realm')\nresult = Realm.count()"), "1");
    let before = c.stable_memory();
    c.set_limits(Limits { install: 200_000_000, ..Limits::default() });
    let up = c.upgrade(module(), &candid::encode_args(()).unwrap());
    assert!(up.result.is_err(), "post_upgrade cannot boot the interpreter in 200 M instructions");
    assert!(c.stable_memory() == before, "stable memory untouched");
    c.set_limits(Limits::default());
    assert_eq!(result_of(&mut c, "from ggg import Realm\nresult = [r.name for r in Realm.instances()]"), r#"["Kept Realm"]"#);
    let up = c.upgrade(module(), &candid::encode_args(()).unwrap());
    assert!(up.result.is_ok(), "and it can still be upgraded: {:?}", up.result);
    assert_eq!(result_of(&mut c, "from ggg import Realm\nresult = Realm.count()"), "1");
}
