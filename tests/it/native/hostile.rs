//! Hostile or careless codexes: what one execution does to the interpreter must not reach the
//! next one, and whatever it tries, it is stopped with a clear error and leaves nothing behind.

use crate::support::{fresh_store, in_vm, result_of, DEEP_NESTING, DEEP_NESTING_RAISED, DEEP_STRUCTURES};

#[test]
fn collector_settings_do_not_outlive_an_execution() {
    in_vm(|| {
        fresh_store();
        let hostile = "import gc\ngc.disable()\ngc.set_threshold(0)\ngc.set_debug(gc.DEBUG_SAVEALL)\ngc.freeze()\nresult = gc.isenabled()";
        assert_eq!(result_of(hostile), "false");
        let after = result_of(
            "import gc\nresult = [gc.isenabled(), gc.get_threshold()[0] > 0, gc.get_debug(), gc.get_freeze_count(), len(gc.garbage)]",
        );
        assert_eq!(after, "[true, true, 0, 0, 0]");
    });
}

mod tasks_from_codexes {
    use serde_json::json;

    use crate::support::task_clock::{create, ran_at, setup, tick_at, T0};
    use crate::support::{in_vm, result_of};

    /// Creates a one-step task running `code`.
    fn task(name: &str, code: &str) {
        create(json!({"name": name, "steps": [{"code": code}]}));
    }

    /// A task's codex cannot create tasks, schedules or codexes, nor change another task's code:
    /// it would act with rights only admins have.
    #[test]
    fn a_tasks_codex_may_not_write_the_task_model() {
        in_vm(|| {
            setup();
            task("victim", "result = 'victim ran'");
            let attacks = [
                "from ggg import Codex\nfor c in Codex.instances():\n    c.code = 'result = 666'",
                "from ggg import Task\nTask(name='spawned')",
                "from ggg import TaskSchedule\nTaskSchedule(name='s', run_at=0, repeat_every=1)",
                "from ggg import Task\nfor t in Task.instances():\n    t.delete()",
            ];
            for (i, code) in attacks.iter().enumerate() {
                task(&format!("attacker{i}"), code);
            }
            let outcomes = tick_at(T0);
            assert_eq!(outcomes.len(), 1 + attacks.len());
            for o in outcomes.iter().filter(|o| o.result.as_deref() != Some("\"victim ran\"")) {
                assert!(!o.ok, "an attack succeeded: {o:?}");
                let err = o.error.as_deref().unwrap_or_default();
                assert!(err.contains("PermissionError") && err.contains("are created and changed by admins"), "{err}");
            }
            // Nothing changed: the victim's code is intact and no task was added or removed.
            let after = result_of("from ggg import Codex, Task\nresult = [[c.code for c in Codex.instances() if c.code in ('result = 666', \"result = 'victim ran'\")], Task.count()]");
            assert_eq!(after, r#"[["result = 'victim ran'"], 5]"#);
        });
    }

    /// The native store and runtime calls behind kybra_simple_db take nothing on trust from a
    /// task's codex that calls them directly: every key written is checked against the task's
    /// rights, the default store's size limits hold whatever bounds are passed, and what the
    /// runtime registers at start-up cannot be registered again.
    #[test]
    fn native_calls_check_every_key_and_keep_process_wide_settings() {
        in_vm(|| {
            setup();
            task("victim", crate::support::KEY_VICTIM);
            tick_at(T0);
            let attacks = crate::support::key_attacks();
            for (i, (code, _)) in attacks.iter().enumerate() {
                task(&format!("attacker{i}"), code);
            }
            let outcomes: Vec<_> = ran_at(T0).into_iter().map(|(claim, o)| (claim.task, o)).collect();
            assert_eq!(outcomes.len(), attacks.len());
            for (task, o) in &outcomes {
                let i: usize = task.strip_prefix("attacker").unwrap().parse().unwrap();
                let err = o.error.as_deref().unwrap_or_default();
                assert!(!o.ok && err.contains(attacks[i].1), "attack {i} ({}): {o:?}", attacks[i].0);
            }
            // The victim's alias still points at its own entity, the task model's index is intact,
            // and the default store holds nothing over its bounds.
            crate::support::check_key_victim(&result_of(crate::support::KEY_VICTIM_CHECK));
        });
    }
}

/// Each patch is applied by one execution; the check runs in the next one and must see the
/// module as it was at start-up.
const PATCHES: &[(&str, &str, &str)] = &[
    ("import json\njson.dumps = lambda *a, **k: 'patched'", "import json\nresult = json.dumps([1])", "\"[1]\""),
    ("import builtins\nbuiltins.len = lambda x: -1", "result = len([1, 2])", "2"),
    ("import ggg\nggg.User = None", "import ggg\nresult = ggg.User.__name__", "\"User\""),
    (
        "from kybra_simple_db import Entity\nEntity.save = lambda self: None",
        "from ggg import Realm\nRealm(name='Realm One')\nresult = Realm.count()",
        "1",
    ),
    (
        "from kybra_simple_db import context\ncontext.get_caller_id.__code__ = (lambda: 'intruder').__code__",
        "from kybra_simple_db import context\nresult = context.get_caller_id()",
        "\"system\"",
    ),
    ("import sys\nsys.modules['json'] = None", "import json\nresult = json.loads('[2]')", "[2]"),
    (
        "from kybra_simple_db import entity\nentity._defined_classes['User'] = object",
        "from kybra_simple_db import entity\nimport ggg\nresult = entity._defined_classes['User'] is ggg.User",
        "true",
    ),
    (
        "import sys\nsys.settrace(lambda *a: None)\nsys.setrecursionlimit(20)",
        "import sys\nresult = [sys.gettrace(), sys.getrecursionlimit()]",
        "[null, 1000]",
    ),
    ("import gc\ngc.set_threshold(1)\ngc.disable()", "import gc\nresult = [gc.get_threshold(), gc.isenabled()]", "[[10000, 10, 0], true]"),
    ("import sys\nsys.stdout = None", "print('still captured')\nresult = 1", "1"),
    ("import statistics\nstatistics.mean = lambda xs: 0", "import statistics\nresult = statistics.mean([2, 4])", "3"),
    (
        "from kybra_simple_db.db_engine import Database\nDatabase.dump_json.__defaults__ = (True,)",
        "from kybra_simple_db.db_engine import Database\nresult = Database.dump_json.__defaults__",
        "[false]",
    ),
    (
        "from kybra_simple_db.db_engine import Database\nDatabase.dump_json.__kwdefaults__ = {'pretty': True}",
        "from kybra_simple_db.db_engine import Database\nresult = Database.dump_json.__kwdefaults__",
        "null",
    ),
    (
        "from kybra_simple_db.db_engine import Database\ndb = Database.get_instance()\ndb._audit_enabled = True\ndb.evil = 1",
        "from kybra_simple_db.db_engine import Database\ndb = Database.get_instance()\nresult = [db._audit_enabled, hasattr(db, 'evil')]",
        "[false, false]",
    ),
    (
        "from kybra_simple_db.db_engine import Database\nclass D(Database):\n    def get(self, k): return 'evil'\nDatabase.get_instance().__class__ = D",
        "from kybra_simple_db.db_engine import Database\nresult = type(Database.get_instance()) is Database",
        "true",
    ),
    // The same function patched again after it was put back.
    (
        "from kybra_simple_db import context\ncontext.get_caller_id.__code__ = (lambda: 'again').__code__",
        "from kybra_simple_db import context\nresult = context.get_caller_id()",
        "\"system\"",
    ),
];

#[test]
fn patched_modules_are_pristine_again_for_the_next_execution() {
    in_vm(|| {
        fresh_store();
        for (patch, check, want) in PATCHES {
            let p = crate::support::run(patch);
            assert!(p.outcome.ok(), "the patch itself failed: {patch}\n{:?}", p.outcome.result);
            let x = crate::support::run(check);
            let got = x.outcome.result.unwrap_or_else(|e| panic!("after `{patch}`:\n{}", e.traceback));
            assert_eq!(got, *want, "after `{patch}`");
            if check.starts_with("print") {
                assert_eq!(x.outcome.captured.stdout, "still captured\n");
            }
            crate::support::run("from ggg import Realm\nfor r in Realm.instances():\n    r.delete()");
        }
    });
}

#[test]
fn runaway_recursion_raises_recursion_error_and_the_limit_cannot_be_raised_past_the_stack() {
    in_vm(|| {
        fresh_store();
        let x = crate::support::run("def f(n):\n    return f(n + 1)\nf(0)");
        let e = x.outcome.result.expect_err("unbounded recursion fails");
        assert_eq!(e.type_name, "RecursionError", "{}", e.traceback);
        let x = crate::support::run("import sys\nsys.setrecursionlimit(100_000)");
        let e = x.outcome.result.expect_err("the cap holds");
        assert!(e.traceback.contains("above codexvm's maximum of 1000"), "{}", e.traceback);
        // Lowering it is allowed, and lasts only for that execution.
        assert_eq!(result_of("import sys\nsys.setrecursionlimit(50)\nresult = sys.getrecursionlimit()"), "50");
        assert_eq!(result_of("import sys\nresult = sys.getrecursionlimit()"), "1000");
        assert_eq!(result_of("def f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\nresult = f(900)"), "900");
    });
}

#[test]
fn the_guarded_extent_is_reported() {
    in_vm(|| {
        fresh_store();
        result_of("pass");
        let (namespaces, classes, functions) = codexvm::py::pristine::extent().expect("recorded at boot");
        eprintln!("pristine guards {namespaces} namespaces and containers, {classes} classes, {functions} functions");
        assert!(namespaces > 50 && classes > 100 && functions > 100);
    });
}

#[test]
fn classes_defined_by_codexes_do_not_accumulate_in_the_heap() {
    in_vm(|| {
        fresh_store();
        let code = "class A:\n    pass\nclass E(Exception):\n    pass\nT = type('T', (dict,), {})\nresult = 1";
        for _ in 0..300 {
            result_of(code);
        }
        // Measured after a full collection, so that only what is really held counts.
        let collected = || {
            result_of("import gc\ngc.collect()");
            codexvm::host::heap::live() as i64
        };
        let before = collected();
        for _ in 0..3_000 {
            result_of(code);
        }
        let grown = collected() - before;
        // Unpruned, each class left ~50 bytes behind in its bases: 3 classes x 3,000 = ~450 KB.
        assert!(grown < 100_000, "the heap grew by {grown} bytes over 3,000 executions");
    });
}

/// The test runner's file primitives exist natively but refuse every codex outside a session:
/// `codexvm run` cannot read the machine's files through them.
#[test]
fn the_test_runners_modules_are_absent_outside_a_test_session() {
    in_vm(|| {
        fresh_store();
        for module in ["_testsession", "_testhost", "_testcanister"] {
            let probe = format!("try:\n    import {module}\n    result = 'imported'\nexcept ImportError as e:\n    result = str(e)");
            assert_eq!(result_of(&probe), format!("\"No module named '{module}'\""));
        }
    });
}

#[test]
fn source_nested_too_deep_raises_recursion_error_and_deep_structures_are_freed() {
    in_vm(|| {
        fresh_store();
        let found: serde_json::Value = serde_json::from_str(&result_of(DEEP_NESTING)).unwrap();
        assert_eq!(found, serde_json::from_str::<serde_json::Value>(DEEP_NESTING_RAISED).unwrap());
        assert_eq!(result_of(DEEP_STRUCTURES), "4");
    });
}
