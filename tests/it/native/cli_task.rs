//! `codexvm task ...` as a user runs it: `run --until-done` ends, and a codex that will not stop
//! (it keeps swallowing `BudgetExceeded`) is stopped as the canister would trap it, leaving the
//! state file at its last committed state and the execution recorded as failed on the next run.

use std::process::Output;

use crate::support::codexvm;

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn until_done_ends_after_one_pass_of_a_task_without_progress() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.stable");
    let (a, b) = (dir.path().join("a.py"), dir.path().join("b.py"));
    std::fs::write(&a, "from kybra_simple_db import Integer, String\nclass N(TaskEntity):\n    __alias__ = 'k'\n    k = String()\n    n = Integer()\nx = N['c'] or N(k='c', n=0)\nx.n += 1").unwrap();
    std::fs::write(&b, "result = 'second step'").unwrap();
    ok(&codexvm(&["task", "create", "two", a.to_str().unwrap(), b.to_str().unwrap(), "--every", "60", "--step-delay", "5"], &state));
    let out = ok(&codexvm(&["task", "run", "two", "--until-done"], &state));
    assert!(out.contains("executions: 2"), "{out}");
    let out = ok(&codexvm(&["task", "run", "two", "--until-done"], &state));
    assert!(out.contains("executions: 2"), "the next pass: {out}");
    let show = ok(&codexvm(&["task", "show", "two"], &state));
    assert!(show.contains("\"n\": 2"), "{show}");
}

#[test]
fn a_codex_that_swallows_budget_exceeded_is_stopped_like_a_trap() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.stable");
    let keep = dir.path().join("keep.py");
    std::fs::write(&keep, "from kybra_simple_db import String\nfrom ggg import Realm\nRealm(name='kept')").unwrap();
    ok(&codexvm(&["run", keep.to_str().unwrap()], &state));
    let hostile = dir.path().join("hostile.py");
    std::fs::write(&hostile, "from ggg import Realm\nRealm(name='not kept')\nwhile True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass").unwrap();
    ok(&codexvm(&["task", "create", "hostile", hostile.to_str().unwrap(), "--budget", "1"], &state));
    let out = codexvm(&["task", "run", "hostile", "--until-done"], &state);
    // The watchdog raises BudgetExceeded again and again. Usually one lands inside the `try` and
    // is swallowed until the message limit, where the process stops as the canister would trap;
    // if one lands between the handler and the next `try`, the execution fails with it at once.
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let why = match out.status.code() {
        Some(3) => {
            assert!(stderr.contains("as the canister would trap"), "{stderr}");
            // The next run finds the interrupted execution and records it.
            ok(&codexvm(&["task", "run", "hostile", "--max-executions", "1"], &state));
            "its message trapped"
        }
        Some(0) => "BudgetExceeded",
        other => panic!("exit status {other:?}: {stderr}"),
    };
    let show = ok(&codexvm(&["task", "show", "hostile"], &state));
    assert!(show.contains("\"status\": \"failed\"") && show.contains(why), "{show}");
    let entities = ok(&codexvm(&["db", "export", "--format", "entities"], &state));
    assert!(entities.contains("\"name\": \"kept\"") && !entities.contains("\"name\": \"not kept\""), "{entities}");
}

#[test]
fn a_memory_bomb_is_stopped_at_the_heap_allowance_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.stable");
    let keep = dir.path().join("keep.py");
    std::fs::write(&keep, "from ggg import Realm\nRealm(name='kept')").unwrap();
    ok(&codexvm(&["run", keep.to_str().unwrap()], &state));
    for (i, bomb) in ["x = 'x' * 10**10", "keep = []\nwhile True:\n    keep.append(bytearray(10**7))"].iter().enumerate() {
        let file = dir.path().join(format!("bomb{i}.py"));
        std::fs::write(&file, format!("from ggg import Realm\nRealm(name='not kept')\n{bomb}")).unwrap();
        let out = codexvm(&["run", file.to_str().unwrap()], &state);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(codexvm::host::heap::EXIT_HEAP), "{stderr}");
        assert!(stderr.contains("heap allowance of 1024 MiB") && stderr.contains("nothing it did is kept"), "{stderr}");
    }
    let entities = ok(&codexvm(&["db", "export", "--format", "entities"], &state));
    assert!(entities.contains("\"kept\"") && !entities.contains("not kept"), "{entities}");
}

#[test]
fn step_files_with_one_name_in_two_tasks_stay_two_codexes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.stable");
    for (task, text) in [("a", "first"), ("b", "second")] {
        let sub = dir.path().join(task);
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("step.py"), format!("result = '{text}'")).unwrap();
        ok(&codexvm(&["task", "create", task, sub.join("step.py").to_str().unwrap()], &state));
    }
    for (task, text) in [("a", "first"), ("b", "second")] {
        ok(&codexvm(&["task", "run", task, "--until-done"], &state));
        let show = ok(&codexvm(&["task", "show", task], &state));
        assert!(show.contains(&format!("\\\"{text}\\\"")), "task {task} ran another task's code: {show}");
    }
}

#[test]
fn codexvm_run_has_a_tasks_budget() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.stable");
    let looping = dir.path().join("loop.py");
    std::fs::write(&looping, "from ggg import Realm\nRealm(name='not kept')\nwhile True:\n    pass").unwrap();
    let out = codexvm(&["run", looping.to_str().unwrap(), "--budget", "1"], &state);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("BudgetExceeded") && stderr.contains("budget of 400000000 instructions"), "{stderr}");
    let entities = ok(&codexvm(&["db", "export", "--format", "entities"], &state));
    assert!(!entities.contains("not kept"), "{entities}");
}
