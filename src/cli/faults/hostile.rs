//! Hostile codexes run as real tasks next to a victim task: each must be stopped with its error,
//! keep none of its writes, and leave the victim task working and its records untouched.

use serde_json::Value;

use crate::db::keys;
use crate::db::policy::TASK_MODEL_TYPES;
use crate::host::{self, Clock, NativeHost};
use crate::py::{Codex, RunOptions};
use crate::store::{self, FileMemory, Store, ENTITY_MAP};
use crate::tasks::model::{Claim, StepOutcome, TaskSpec};
use crate::tasks::runner::{self, MESSAGE_LIMIT};
use crate::tasks::scheduler;

/// A hostile codex and the error that must stop it (`None`: it may finish, and what it did to
/// the interpreter must not reach the victim's next execution).
pub struct Hostile {
    /// What it tries.
    pub name: &'static str,
    /// Its code (run after a write of its own, which must not be kept).
    pub code: &'static str,
    /// A fragment of the error that must stop it.
    pub stopped_by: Option<&'static str>,
    /// Its budget, in percent of the message limit: small, so that loops meet it quickly, except
    /// where the budget is not what must stop it (unwinding and formatting a thousand frames
    /// takes more than 2 % on a busy machine, where natively the budget is CPU time).
    pub budget_percent: u8,
}

/// The catalogue.
pub const CATALOGUE: &[Hostile] = &[
    Hostile { name: "infinite loop", code: "while True:\n    pass", stopped_by: Some("BudgetExceeded"), budget_percent: 2 },
    Hostile { name: "loop of store reads", code: "while True:\n    Realm['hostile']", stopped_by: Some("BudgetExceeded"), budget_percent: 2 },
    Hostile { name: "unbounded recursion", code: "def f(n):\n    return f(n + 1)\nf(0)", stopped_by: Some("RecursionError"), budget_percent: 20 },
    Hostile { name: "recursion limit raised", code: "import sys\nsys.setrecursionlimit(10**6)", stopped_by: Some("above codexvm's maximum"), budget_percent: 2 },
    Hostile {
        name: "another task's namespace",
        code: "from core.execution import create_task_entity_class\nfrom kybra_simple_db import String\nclass State(create_task_entity_class('victim')):\n    __alias__ = 'key'\n    key = String()\n    value = String()\nState['secret'].value = 'stolen'",
        stopped_by: Some("PermissionError"), budget_percent: 2,
    },
    Hostile {
        name: "raw store through sys.modules",
        code: "import sys\nsys.modules['_stable'].insert(1, b'task_victim::State@1', b'{}')",
        stopped_by: Some("PermissionError"), budget_percent: 2,
    },
    Hostile { name: "import of a native module", code: "import _db", stopped_by: Some("ImportError: task"), budget_percent: 2 },
    Hostile { name: "import inside exec", code: "exec('import _stable', {})", stopped_by: Some("ImportError: task"), budget_percent: 2 },
    Hostile { name: "import of gc", code: "import gc\ngc.disable()", stopped_by: Some("ImportError: task"), budget_percent: 2 },
    Hostile { name: "open a file", code: "open('/etc/passwd').read()", stopped_by: Some("UnsupportedOperation"), budget_percent: 2 },
    Hostile { name: "create a task", code: "from ggg import Task\nTask(name='spawned')", stopped_by: Some("may not write Task records"), budget_percent: 2 },
    Hostile {
        name: "create a schedule (a timer)",
        code: "from ggg import TaskSchedule\nTaskSchedule(name='every second', run_at=0, repeat_every=1)",
        stopped_by: Some("may not write TaskSchedule records"), budget_percent: 2,
    },
    Hostile {
        name: "set a timer",
        code: "from kybra import ic\nic.set_timer_interval(1, lambda: None)",
        stopped_by: Some("may not set timers"), budget_percent: 2,
    },
    Hostile {
        name: "rewrite the victim's codex",
        code: "from ggg import Codex\nfor c in Codex.instances():\n    c.code = 'result = 666'",
        stopped_by: Some("may not write Codex records"), budget_percent: 2,
    },
    Hostile {
        name: "grant itself the victim's namespace",
        code: "import json\nb = json.dumps.__globals__['__builtins__']\nimp = b['__import__'] if isinstance(b, dict) else b.__import__\nimp('_runtime').grant('hostile', 'task_victim', True)",
        stopped_by: Some("PermissionError"), budget_percent: 2,
    },
    Hostile {
        name: "run a codex as the victim",
        code: "import json\nb = json.dumps.__globals__['__builtins__']\nimp = b['__import__'] if isinstance(b, dict) else b.__import__\nimp('_runtime').run_codex('result = 1', 'victim')",
        stopped_by: Some("PermissionError"), budget_percent: 2,
    },
    Hostile {
        name: "patch Entity.save for later executions",
        code: "import kybra_simple_db\nkybra_simple_db.Entity.save = lambda self: None",
        stopped_by: None, budget_percent: 2,
    },
    Hostile { name: "patch json.dumps", code: "import json\njson.dumps = lambda *a, **k: 'patched'", stopped_by: None, budget_percent: 2 },
    Hostile { name: "patch a builtin", code: "__builtins__['len'] = lambda x: 0", stopped_by: None, budget_percent: 2 },
    Hostile { name: "flood the output", code: "for i in range(200):\n    print('x' * 100_000)", stopped_by: None, budget_percent: 2 },
];

/// The victim: counts its runs in its namespace.
const VICTIM: &str = "from kybra_simple_db import String\nimport json\nclass State(TaskEntity):\n    __alias__ = 'key'\n    key = String()\n    value = String()\ns = State['secret'] or State(key='secret', value='0')\ns.value = str(int(s.value) + 1)\nresult = {'runs': int(s.value), 'n': len([1, 2, 3]), 'dumps': json.dumps([1])}";

/// What the catalogue did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HostileReport {
    /// Codexes run.
    pub tried: usize,
    /// Stopped with the expected error (or, for patches and floods, harmless to the victim).
    pub stopped: usize,
    /// Records of others changed by a hostile codex (must be 0).
    pub lost: usize,
    /// Writes of a stopped codex that were kept (must be 0).
    pub kept_writes: usize,
    /// What went wrong, one line each.
    pub failures: Vec<String>,
}

/// Non-task-model records of the entity map, in key order.
fn user_records() -> Result<Vec<(String, String)>, String> {
    let all = store::global::with(|s| s.scan_prefix(ENTITY_MAP, b"", None, usize::MAX)).map_err(|e| e.to_string())?;
    Ok(all
        .into_iter()
        .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), String::from_utf8_lossy(&v).into_owned()))
        .filter(|(k, _)| !keys::owner_type(k).is_some_and(|t| TASK_MODEL_TYPES.contains(&t)))
        .collect())
}

fn at(s: i64) {
    host::install(Box::new(NativeHost::new(Clock::Manual(s as u64 * 1_000_000_000))));
}

fn create(spec: TaskSpec, now: i64) -> Result<(), String> {
    scheduler::create(&spec, now).map(drop).map_err(|e| e.to_string())
}

/// Runs every step due at `now`, returning the outcomes.
fn tick(now: i64) -> Result<Vec<(Claim, StepOutcome)>, String> {
    at(now);
    let mut out = Vec::new();
    while let Some(x) = runner::tick(now, MESSAGE_LIMIT).map_err(|e| e.to_string())? {
        out.push(x);
    }
    Ok(out)
}

/// Runs the catalogue on a fresh in-memory store of this thread.
pub fn run() -> Result<HostileReport, String> {
    const T0: i64 = 1_800_000_000;
    store::global::install(Store::open(FileMemory::in_memory()));
    at(T0);
    create(TaskSpec { repeat_every: Some(60), ..TaskSpec::one_step("victim", VICTIM) }, T0)?;
    let first = tick(T0)?;
    if !first.iter().all(|(_, o)| o.ok) {
        return Err(format!("the victim failed: {:?}", first.iter().map(|(_, o)| &o.error).collect::<Vec<_>>()));
    }
    let mut report = HostileReport::default();
    let mut now = T0;
    for (i, h) in CATALOGUE.iter().enumerate() {
        now += 60;
        let before = user_records()?;
        let name = format!("hostile_{i}");
        let code = format!("from ggg import Realm\nRealm(name='written by {name}')\n{}", h.code);
        create(TaskSpec { budget_percent: Some(h.budget_percent), ..TaskSpec::one_step(name.as_str(), code) }, now)?;
        let outcomes = tick(now)?;
        report.tried += 1;
        let mine = outcomes.iter().find(|(c, _)| c.task == name).map(|(_, o)| o);
        let victim_ok = outcomes
            .iter()
            .filter(|(c, _)| c.task == "victim")
            .all(|(_, o)| o.ok && o.result.as_deref().is_some_and(|r| r.contains("\"n\": 3, \"dumps\": \"[1]\"")));
        let Some(o) = mine else {
            report.failures.push(format!("{}: did not run", h.name));
            continue;
        };
        let after = user_records()?;
        let stopped = match h.stopped_by {
            Some(why) => !o.ok && o.error.as_deref().is_some_and(|e| e.contains(why)),
            None => true,
        };
        let kept = !o.ok && after.iter().any(|(k, _)| k.starts_with("Realm"));
        let victim_before: Vec<_> = before.iter().filter(|(k, _)| k.starts_with("task_victim")).collect();
        let victim_after: Vec<_> = after.iter().filter(|(k, _)| k.starts_with("task_victim")).collect();
        // The victim runs in the same tick (every 60 s): its record changes by its own hand only.
        let others_changed = victim_before.len() != victim_after.len();
        if stopped && !kept && !others_changed && victim_ok {
            report.stopped += 1;
        } else {
            report.failures.push(format!(
                "{}: stopped={stopped} (error: {}), its write kept={kept}, victim records changed={others_changed}, victim ok={victim_ok}",
                h.name,
                o.error.as_deref().map(|e| e.lines().last().unwrap_or("")).unwrap_or("none")
            ));
        }
        report.kept_writes += kept as usize;
        report.lost += others_changed as usize;
        if o.ok {
            // A codex that finished may keep its writes; clear them for the next check.
            let clear = "from ggg import Realm\nfor r in Realm.instances():\n    r.delete()";
            crate::tasks::execute(Codex { source: clear, filename: "<clear>" }, &RunOptions::default()).map_err(|e| e.to_string())?;
        }
    }
    // The victim kept working all along and counted every run exactly once.
    let executions = scheduler::view("victim", 0).map_err(|e| e.to_string())?.executions_total as usize;
    let counted = user_records()?
        .iter()
        .find(|(k, _)| k.starts_with("task_victim::State@"))
        .and_then(|(_, v)| serde_json::from_str::<Value>(v).ok())
        .and_then(|v| v["value"].as_str().and_then(|s| s.parse::<usize>().ok()))
        .unwrap_or(0);
    if counted != executions {
        report.failures.push(format!("the victim ran {executions} times but counted {counted}"));
        report.lost += executions.abs_diff(counted);
    }
    Ok(report)
}

/// Memory bombs, each run by a codexvm process of its own (past its heap allowance the process
/// exits, keeping nothing): returns (tried, stopped with nothing kept, failures).
pub fn memory_bombs(exe: &std::path::Path) -> Result<(usize, usize, Vec<String>), String> {
    const BOMBS: &[&str] = &["x = 'x' * 10**10", "keep = []\nwhile True:\n    keep.append(bytearray(10**7))"];
    let scratch = super::Scratch::new("bombs")?;
    let dir = scratch.path();
    let state = dir.join("s.stable");
    let write = |name: &str, text: &str| {
        let file = dir.join(name);
        std::fs::write(&file, text).map(|()| file).map_err(|e| e.to_string())
    };
    let run = |file: &std::path::Path| {
        std::process::Command::new(exe).arg("run").arg(file).arg("--state").arg(&state).output().map_err(|e| e.to_string())
    };
    run(&write("keep.py", "from ggg import Realm\nRealm(name='kept')")?)?;
    let check = write("check.py", "from ggg import Realm\nresult = sorted(r.name for r in Realm.instances())")?;
    let (mut tried, mut stopped, mut failures) = (0, 0, Vec::new());
    for (i, bomb) in BOMBS.iter().enumerate() {
        let out = run(&write(&format!("bomb{i}.py"), &format!("from ggg import Realm\nRealm(name='not kept')\n{bomb}"))?)?;
        tried += 1;
        let realms = String::from_utf8_lossy(&run(&check)?.stdout).into_owned();
        if out.status.code() == Some(crate::host::heap::EXIT_HEAP) && realms.trim() == "[\"kept\"]" {
            stopped += 1;
        } else {
            failures.push(format!("memory bomb {i}: exit {:?}, realms afterwards {}", out.status.code(), realms.trim()));
        }
    }
    Ok((tried, stopped, failures))
}
