//! Canister scenarios written once against [`Ic`], run on the test host and on PocketIC.
#![allow(dead_code)]

use std::time::Duration;

use candid::Principal;

use super::canister::{RunReply, StepSpec, TaskSpec, TaskState, TaskView};
use super::ic::Ic;

/// A scenario, run on either host.
pub type Scenario = fn(&mut dyn Ic);

/// All scenarios, by name.
pub const ALL: &[(&str, Scenario)] = &[
    ("access is checked inside the methods", access_is_checked_inside_the_methods),
    ("a trap undoes heap and stable memory", a_trap_undoes_heap_and_stable_memory),
    ("an update over the message limit leaves no trace", an_update_over_the_message_limit_leaves_no_trace),
    ("data and schedules survive an upgrade; timers fire as time advances", data_and_schedules_survive_an_upgrade),
];

fn run_as(ic: &mut dyn Ic, caller: Option<Principal>, code: &str) -> Result<RunReply, String> {
    let arg = candid::encode_one(code).unwrap();
    let bytes = match caller {
        Some(p) => ic.update_as(p, "run_codex", arg)?,
        None => ic.update("run_codex", arg)?,
    };
    Ok(candid::decode_one(&bytes).expect("RunReply"))
}

fn result_of(ic: &mut dyn Ic, code: &str) -> String {
    let r = run_as(ic, None, code).unwrap_or_else(|e| panic!("[{}] run_codex rejected: {e}", ic.backend()));
    assert!(r.success, "[{}] codex raised: {:?}", ic.backend(), r.error);
    r.result.unwrap_or_default()
}

fn state(ic: &mut dyn Ic, name: &str) -> TaskState {
    let bytes = ic.query("get_task", candid::encode_args((name, 10u32)).unwrap()).expect("get_task");
    let r: Result<TaskState, String> = candid::decode_one(&bytes).unwrap();
    r.expect("task exists")
}

const MAP: &str = "from kybra import StableBTreeMap\nm = StableBTreeMap[str, str](memory_id=5, max_key_size=16, max_value_size=16)\n";

/// Strangers and the anonymous principal are refused, by role, with a message saying why.
pub fn access_is_checked_inside_the_methods(ic: &mut dyn Ic) {
    let stranger = Principal::from_slice(&[7; 29]);
    let err = run_as(ic, Some(stranger), "result = 1").expect_err("a stranger may not run code");
    assert!(err.contains("needs the admin role"), "[{}] {err}", ic.backend());
    let err = run_as(ic, Some(Principal::anonymous()), "result = 1").expect_err("anonymous may not run code");
    assert!(err.contains("anonymous principal may not call run_codex"), "[{}] {err}", ic.backend());
    let err = ic.query_as(stranger, "list_tasks", candid::encode_args(()).unwrap()).expect_err("a stranger may not read tasks");
    assert!(err.contains("needs the reader role"), "[{}] {err}", ic.backend());
    assert_eq!(result_of(ic, "result = 1"), "1");
}

/// `ic.trap` after writing entities, a stable map and the interpreter's heap: all of it is undone.
pub fn a_trap_undoes_heap_and_stable_memory(ic: &mut dyn Ic) {
    let size =
        |ic: &mut dyn Ic| -> u64 { candid::decode_one(&ic.query("stable_size", candid::encode_args(()).unwrap()).unwrap()).unwrap() };
    // The map and the entity store exist before the trap, so any growth would be the trap's.
    result_of(ic, &format!("{MAP}from ggg import Realm\nresult = [Realm.count(), m.len()]"));
    let before = size(ic);
    let code = format!(
        "{MAP}import sys\nfrom ggg import Realm\nRealm(name='undone')\nm.insert('k', 'v')\nsys.modules['left_behind'] = sys\nfrom kybra import ic\nic.trap('stop here')"
    );
    let err = run_as(ic, None, &code).expect_err("the message traps");
    assert!(err.contains("stop here"), "[{}] {err}", ic.backend());
    let after =
        result_of(ic, &format!("{MAP}import sys\nfrom ggg import Realm\nresult = [Realm.count(), m.len(), 'left_behind' in sys.modules]"));
    assert_eq!(after, "[0, 0, false]", "[{}]", ic.backend());
    assert_eq!(size(ic), before, "[{}] stable memory grew", ic.backend());
}

/// A runaway update is stopped by the platform's instruction limit; its writes are gone.
pub fn an_update_over_the_message_limit_leaves_no_trace(ic: &mut dyn Ic) {
    let err = run_as(ic, None, &format!("{MAP}m.insert('a', 'b')\nwhile True:\n    pass")).expect_err("stopped");
    assert!(err.contains("instruction"), "[{}] {err}", ic.backend());
    assert_eq!(result_of(ic, &format!("{MAP}result = m.len()")), "0", "[{}]", ic.backend());
}

/// A repeating task fires by itself, keeps its TaskEntity records and its schedule over an
/// upgrade, and fires again at the next period.
pub fn data_and_schedules_survive_an_upgrade(ic: &mut dyn Ic) {
    let code = "from kybra_simple_db import Integer, String\nclass Runs(TaskEntity):\n    __alias__ = 'key'\n    key = String()\n    n = Integer(default=0)\nr = Runs['main'] if Runs['main'] else Runs(key='main')\nr.n += 1\nresult = r.n";
    let spec = TaskSpec {
        name: "survivor".into(),
        steps: vec![StepSpec { code: Some(code.into()), ..Default::default() }],
        repeat_every: Some(3600),
        run_after: Some(10),
        ..Default::default()
    };
    let made = ic.update("create_task", candid::encode_one(&spec).unwrap()).expect("create_task");
    let made: Result<TaskView, String> = candid::decode_one(&made).unwrap();
    made.expect("created");
    ic.advance(Duration::from_secs(5));
    assert_eq!(state(ic, "survivor").task.executions_total, 0, "[{}] fired before run_after", ic.backend());
    ic.advance(Duration::from_secs(6));
    assert_eq!(state(ic, "survivor").task.executions_total, 1, "[{}] did not fire at run_after", ic.backend());
    ic.upgrade().unwrap_or_else(|e| panic!("[{}] upgrade: {e}", ic.backend()));
    assert_eq!(state(ic, "survivor").task.executions_total, 1, "[{}]", ic.backend());
    ic.advance(Duration::from_secs(3600));
    let st = state(ic, "survivor");
    assert_eq!(st.task.executions_total, 2, "[{}] the schedule was not re-armed after the upgrade", ic.backend());
    assert!(st.records_json.contains("\"n\":2"), "[{}] {}", ic.backend(), st.records_json);
}
