//! `codexvm task ...` as a user runs it: `run --until-done` ends, and a codex that will not stop
//! (it keeps swallowing `BudgetExceeded`) is stopped as the canister would trap it, leaving the
//! state file at its last committed state and the execution recorded as failed on the next run.

use std::process::Output;

use crate::support::{codexvm, Workdir};

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn until_done_ends_after_one_pass_of_a_task_without_progress() {
    let w = Workdir::new();
    let state = &w.state;
    let a = w.codex("a.py", "from kybra_simple_db import Integer, String\nclass N(TaskEntity):\n    __alias__ = 'k'\n    k = String()\n    n = Integer()\nx = N['c'] or N(k='c', n=0)\nx.n += 1");
    let b = w.codex("b.py", "result = 'second step'");
    ok(&codexvm(&["task", "create", "two", &a, &b, "--every", "60", "--step-delay", "5"], state));
    let out = ok(&codexvm(&["task", "run", "two", "--until-done"], state));
    assert!(out.contains("executions: 2"), "{out}");
    let out = ok(&codexvm(&["task", "run", "two", "--until-done"], state));
    assert!(out.contains("executions: 2"), "the next pass: {out}");
    let show = ok(&codexvm(&["task", "show", "two"], state));
    assert!(show.contains("\"n\": 2"), "{show}");
}

#[test]
fn a_codex_that_swallows_budget_exceeded_is_stopped_like_a_trap() {
    let w = Workdir::new();
    let state = &w.state;
    let keep = w.codex("keep.py", "from kybra_simple_db import String\nfrom ggg import Realm\nRealm(name='kept')");
    ok(&codexvm(&["run", &keep], state));
    let hostile = w.codex("hostile.py", "from ggg import Realm\nRealm(name='not kept')\nwhile True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass");
    ok(&codexvm(&["task", "create", "hostile", &hostile, "--budget", "1"], state));
    let out = codexvm(&["task", "run", "hostile", "--until-done"], state);
    // The watchdog raises BudgetExceeded again and again. Usually one lands inside the `try` and
    // is swallowed until the message limit, where the process stops as the canister would trap;
    // if one lands between the handler and the next `try`, the execution fails with it at once.
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let why = match out.status.code() {
        Some(3) => {
            assert!(stderr.contains("as the canister would trap"), "{stderr}");
            // The next run finds the interrupted execution and records it.
            ok(&codexvm(&["task", "run", "hostile", "--max-executions", "1"], state));
            "its message trapped"
        }
        Some(0) => "BudgetExceeded",
        other => panic!("exit status {other:?}: {stderr}"),
    };
    let show = ok(&codexvm(&["task", "show", "hostile"], state));
    assert!(show.contains("\"status\": \"failed\"") && show.contains(why), "{show}");
    let entities = ok(&codexvm(&["db", "export", "--format", "entities"], state));
    assert!(entities.contains("\"name\": \"kept\"") && !entities.contains("\"name\": \"not kept\""), "{entities}");
}

#[test]
fn a_memory_bomb_is_stopped_at_the_heap_allowance_and_keeps_nothing() {
    let w = Workdir::new();
    let state = &w.state;
    ok(&codexvm(&["run", &w.codex("keep.py", "from ggg import Realm\nRealm(name='kept')")], state));
    for (i, bomb) in ["x = 'x' * 10**10", "keep = []\nwhile True:\n    keep.append(bytearray(10**7))"].iter().enumerate() {
        let file = w.codex(&format!("bomb{i}.py"), &format!("from ggg import Realm\nRealm(name='not kept')\n{bomb}"));
        let out = codexvm(&["run", &file], state);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(codexvm::host::heap::EXIT_HEAP), "{stderr}");
        assert!(stderr.contains("heap allowance of 1024 MiB") && stderr.contains("nothing it did is kept"), "{stderr}");
    }
    let entities = ok(&codexvm(&["db", "export", "--format", "entities"], state));
    assert!(entities.contains("\"kept\"") && !entities.contains("not kept"), "{entities}");
}

#[test]
fn step_files_with_one_name_in_two_tasks_stay_two_codexes() {
    let w = Workdir::new();
    let state = &w.state;
    for (task, text) in [("a", "first"), ("b", "second")] {
        let step = w.codex(&format!("{task}/step.py"), &format!("result = '{text}'"));
        ok(&codexvm(&["task", "create", task, &step], state));
    }
    for (task, text) in [("a", "first"), ("b", "second")] {
        ok(&codexvm(&["task", "run", task, "--until-done"], state));
        let show = ok(&codexvm(&["task", "show", task], state));
        assert!(show.contains(&format!("\\\"{text}\\\"")), "task {task} ran another task's code: {show}");
    }
}

#[test]
fn codexvm_run_has_a_tasks_budget() {
    let w = Workdir::new();
    let state = &w.state;
    let looping = w.codex("loop.py", "from ggg import Realm\nRealm(name='not kept')\nwhile True:\n    pass");
    let out = codexvm(&["run", &looping, "--budget", "1"], state);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("BudgetExceeded") && stderr.contains("budget of 400000000 instructions"), "{stderr}");
    let entities = ok(&codexvm(&["db", "export", "--format", "entities"], state));
    assert!(!entities.contains("not kept"), "{entities}");
}
