//! Hostile codexes in the built canister (test host): runaway recursion and memory bombs are
//! stopped with a clear error, keep nothing, and leave the canister working.

use crate::support::canister::{advance, create, installed, result_of, run, spec, state, StepSpec, TaskSpec, TaskState};
use crate::support::{DEEP_NESTING, DEEP_NESTING_RAISED, DEEP_STRUCTURES};
use codexvm_host::RejectCode;

#[test]
fn runaway_recursion_raises_recursion_error_instead_of_overflowing_the_stack() {
    let mut c = installed();
    let r = run(&mut c, "def f(n):\n    return f(n + 1)\nf(0)");
    assert!(!r.success);
    assert!(r.error.as_deref().unwrap_or("").contains("RecursionError"), "{:?}", r.error);
    // The deepest recursion the limit allows fits the stack.
    let limit = codexvm::py::MAX_RECURSION_LIMIT - 20;
    assert_eq!(result_of(&mut c, &format!("def f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\nresult = f({limit})")), limit.to_string());
    let r = run(&mut c, "import sys\nsys.setrecursionlimit(10**6)");
    assert!(r.error.as_deref().unwrap_or("").contains("above codexvm's maximum"), "{:?}", r.error);
}

#[test]
fn source_nested_too_deep_raises_recursion_error_instead_of_overflowing_the_stack() {
    // Before the parser had a nesting limit, 4,000 unary operators overflowed the canister's
    // stack while parsing (a trap), and freeing 200,000 nested objects did too.
    let mut c = installed();
    let found: serde_json::Value = serde_json::from_str(&result_of(&mut c, DEEP_NESTING)).unwrap();
    assert_eq!(found, serde_json::from_str::<serde_json::Value>(DEEP_NESTING_RAISED).unwrap());
    assert_eq!(result_of(&mut c, DEEP_STRUCTURES), "4");
}

#[test]
fn memory_bombs_are_stopped_and_keep_nothing() {
    let mut c = installed();
    let big = run(&mut c, "from ggg import Realm\nRealm(name='not kept')\nx = 'x' * 10**10");
    assert!(!big.success, "a 10 GB string cannot exist in a 4 GiB memory");
    assert!(big.error.as_deref().unwrap_or("").contains("Error"), "{:?}", big.error);
    assert_eq!(result_of(&mut c, "from ggg import Realm\nresult = Realm.count()"), "0");
    let before = c.stable_memory();
    let growing = c.update(
        "run_codex",
        &candid::encode_one("from ggg import Realm\nRealm(name='not kept')\nkeep = []\nwhile True:\n    keep.append(bytearray(10**7))")
            .unwrap(),
    );
    let rej = growing.reject();
    assert_eq!(rej.code, RejectCode::CanisterError);
    assert!(rej.message.contains("heap allowance of 1024 MiB"), "{}", rej.message);
    assert!(c.stable_memory() == before, "nothing was written");
    assert_eq!(result_of(&mut c, "from ggg import Realm\nresult = Realm.count()"), "0");
}

#[test]
fn a_tasks_memory_bomb_fails_at_its_own_heap_allowance_and_the_task_goes_on() {
    let mut c = installed();
    let code = "from kybra_simple_db import String\nclass Mark(TaskEntity):\n    k = String()\nMark(k='not kept')\nhold = [bytearray(10**6) for _ in range(100)]";
    let spec = TaskSpec {
        name: "hog".into(),
        steps: vec![StepSpec { code: Some(code.into()), ..Default::default() }],
        repeat_every: Some(60),
        heap_mib: Some(64),
        ..Default::default()
    };
    let made: Result<candid::Reserved, String> = c.update("create_task", &candid::encode_one(&spec).unwrap()).decode();
    made.expect("created");
    c.advance_time(std::time::Duration::from_secs(1));
    let st: Result<TaskState, String> = c.query("get_task", &candid::encode_args(("hog", 5u32)).unwrap()).decode();
    let st = st.unwrap();
    assert_eq!(st.task.heap_mib, 64);
    let e = &st.task.executions[0];
    assert_eq!(e.status, "failed");
    assert!(e.result.contains("heap allowance of 64 MiB"), "{}", e.result);
    assert_eq!(st.records_json, "{}");
    // Other work goes on.
    assert_eq!(result_of(&mut c, "result = 'still here'"), "\"still here\"");
}

#[test]
fn native_calls_check_every_key_a_tasks_codex_writes() {
    let mut c = installed();
    create(&mut c, &spec("victim", crate::support::KEY_VICTIM));
    advance(&mut c, 1);
    let attacks = crate::support::key_attacks();
    for (i, (code, _)) in attacks.iter().enumerate() {
        create(&mut c, &spec(&format!("attacker{i}"), code));
    }
    advance(&mut c, 1);
    for (i, (code, why)) in attacks.iter().enumerate() {
        let task = state(&mut c, &format!("attacker{i}")).task;
        let e = task.executions.last().unwrap_or_else(|| panic!("attack {i} did not run"));
        assert!(e.status == "failed" && e.result.contains(why), "attack {i} ({code}): {} {}", e.status, e.result);
    }
    crate::support::check_key_victim(&result_of(&mut c, crate::support::KEY_VICTIM_CHECK));
}
