//! `codexvm task ...` as a user runs it: `run --until-done` ends, and a codex that will not stop
//! (it keeps swallowing `BudgetExceeded`) is stopped as the canister would trap it, leaving the
//! state file at its last committed state and the execution recorded as failed on the next run.

use std::path::Path;
use std::process::{Command, Output};

fn codexvm(args: &[&str], state: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codexvm")).args(args).arg("--state").arg(state).output().expect("run codexvm")
}

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
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("as the canister would trap"));
    // The next run finds the interrupted execution and records it; nothing it wrote was kept.
    ok(&codexvm(&["task", "run", "hostile", "--max-executions", "1"], &state));
    let show = ok(&codexvm(&["task", "show", "hostile"], &state));
    assert!(show.contains("\"status\": \"failed\"") && show.contains("its message trapped"), "{show}");
    let entities = ok(&codexvm(&["db", "export", "--format", "entities"], &state));
    assert!(entities.contains("\"name\": \"kept\"") && !entities.contains("\"name\": \"not kept\""), "{entities}");
}
