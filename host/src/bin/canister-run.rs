//! `canister-run`: drives the built canister module in the test host from the command line.
//!
//!     canister-run run WASM FILE...      run codexes (as a controller), print each reply
//!     canister-run bench-db WASM N       kybra_simple_db benchmark: JSON {op: [count, instructions]}
//!     canister-run bench-canister WASM   costs of start-up, method preludes, codex executions and
//!                                        Python compute: JSON {row: instructions}
//!     canister-run profile WASM STEP [N [FOCUS]]
//!                                        instructions per wasm function of one step of
//!                                        bench-canister (WASM with its name section): the top N,
//!                                        of the part spent inside functions named like FOCUS
//!                                        (CANISTER_RUN_EVERY_CHECK=1: a sample at every epoch
//!                                        check instead of every 50 µs)

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use candid::{CandidType, Deserialize};
use codexvm_host::{Canister, CanisterModule};

#[derive(Debug, CandidType, Deserialize)]
struct RunReply {
    success: bool,
    result: Option<String>,
    error: Option<String>,
    logs: Vec<String>,
    instructions: u64,
}

fn run(c: &mut Canister, source: &str) -> Result<RunReply, String> {
    let report = c.update("run_codex", &candid::encode_one(source).unwrap());
    let bytes = report.result.map_err(|r| r.to_string())?;
    candid::decode_one(&bytes).map_err(|e| e.to_string())
}

const OPS: &[&str] = &["create", "property set", "load by id", "load by alias", "count()", "instances() of N", "load_some(100)", "delete"];

fn bench_db(c: &mut Canister, n: usize) -> Result<BTreeMap<String, (u64, u64)>, String> {
    let script = std::fs::read_to_string("bench/db_bench.py").map_err(|e| format!("bench/db_bench.py: {e}"))?;
    let batch = 1000.min(n);
    let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for op in OPS {
        let batches: Vec<(usize, usize)> = match *op {
            "count()" => vec![(0, 1000)],
            "instances() of N" => vec![(0, n)],
            _ => (0..n).step_by(batch).map(|s| (s, batch.min(n - s))).collect(),
        };
        for (start, size) in batches {
            let src = format!(
                "from kybra import ic\nclock = lambda: ic.performance_counter(0)\nN = {size}\nSTART = {start}\nOPS = [{op:?}]\n{script}"
            );
            let r = run(c, &src)?;
            if !r.success {
                return Err(format!("{op} batch at {start} failed:\n{}", r.error.unwrap_or_default()));
            }
            let v: serde_json::Value = serde_json::from_str(r.result.as_deref().unwrap_or("{}")).map_err(|e| e.to_string())?;
            let row = &v[*op];
            let e = totals.entry(op.to_string()).or_default();
            e.0 += row[0].as_u64().unwrap_or(0);
            e.1 += row[1].as_u64().unwrap_or(0);
        }
    }
    Ok(totals)
}

/// The steps of `bench-canister`, in the order they run (each sees the state the previous ones
/// left): (key for `profile`, row of the table).
const STEPS: &[(&str, &str)] = &[
    ("stable_size", "prelude: stable_size query (guard + reply)"),
    ("my_access", "prelude: my_access query"),
    ("list_tasks", "query: list_tasks (no tasks)"),
    ("status", "query: status"),
    ("run_codex", "update: run_codex('pass') (whole call)"),
    ("setup", "execution set-up: run_codex('pass') (counter inside)"),
    ("execute_code", "update: execute_code('result = 1') (task record + run)"),
    ("increment", "update: increment a stable counter (run_codex)"),
    ("heartbeat", "timer: scheduler heartbeat, no task due"),
    ("post_upgrade", "post_upgrade (interpreter + pre-imported modules + re-arm)"),
    ("python", "python: "),
    ("many_tasks", "set-up: 100 tasks of 10 executions each (one run_codex)"),
    ("list_tasks_100", "query: list_tasks, 100 tasks of 10 executions"),
    ("status_100", "query: status, 100 tasks of 10 executions"),
    ("get_task_100", "query: get_task, one of 100 tasks, its 10 executions"),
];

/// 100 tasks with 10 finished executions each, written as the scheduler writes them.
const MANY_TASKS: &str = r#"
from codexvm import scheduler
from ggg import Task, TaskExecution
from kybra import ic
now = ic.time() // 1_000_000_000
for i in range(100):
    t = scheduler.create_task(f"t{i:03d}", [{"code": f"result = {i}"}], now, repeat_every=60)
    for j in range(10):
        t.executions.add(TaskExecution(name=f"t{i:03d}_execution", status="completed", logs="x" * 40, result=str(j),
                                       step=0, started_at=now + j, finished_at=now + j, instructions=1000 + j))
result = Task.count()
"#;

const INCREMENT: &str = "from kybra import StableBTreeMap\nm = StableBTreeMap[str, int](memory_id=0, max_key_size=8, max_value_size=32)\nm.insert('n', (m.get('n') or 0) + 1)\nresult = m.get('n')";

/// Runs step `key` of [`STEPS`], adding its rows to `out`.
fn step(c: &mut Canister, module: &CanisterModule, key: &str, out: &mut BTreeMap<String, u64>) -> Result<(), String> {
    let no_args = candid::encode_args(()).unwrap();
    let ok = |r: &codexvm_host::Report| r.result.as_ref().map(|_| r.instructions).map_err(|e| format!("{key}: {e}"));
    let row = STEPS.iter().find(|s| s.0 == key).map(|s| s.1.to_owned()).unwrap_or_default();
    let n = match key {
        "stable_size" | "my_access" | "list_tasks" | "status" => ok(&c.query(key, &no_args))?,
        "many_tasks" => {
            let r = run(c, MANY_TASKS)?;
            if !r.success {
                return Err(format!("creating 100 tasks failed:\n{}", r.error.unwrap_or_default()));
            }
            r.instructions
        }
        "list_tasks_100" | "status_100" => ok(&c.query(key.trim_end_matches("_100"), &no_args))?,
        "get_task_100" => ok(&c.query("get_task", &candid::encode_args(("t050", 10u32)).unwrap()))?,
        "run_codex" => ok(&c.update("run_codex", &candid::encode_one("pass").unwrap()))?,
        "setup" => run(c, "pass")?.instructions,
        "execute_code" => ok(&c.update("execute_code", &candid::encode_one("result = 1").unwrap()))?,
        "increment" => {
            // The counter exists before its update is measured.
            run(c, INCREMENT)?;
            let r = c.update("run_codex", &candid::encode_one(INCREMENT).unwrap());
            ok(&r)?
        }
        "heartbeat" => {
            let ticks = c.advance_time(std::time::Duration::from_secs(61));
            match ticks.iter().find(|t| t.result.is_ok()) {
                Some(t) => t.instructions,
                None => return Ok(()),
            }
        }
        "post_upgrade" => ok(&c.upgrade(module, &no_args))?,
        "python" => {
            let script = std::fs::read_to_string("bench/py_micro.py").map_err(|e| format!("bench/py_micro.py: {e}"))?;
            let r = run(c, &format!("from kybra import ic\nclock = lambda: ic.performance_counter(0)\n{script}"))?;
            if !r.success {
                return Err(format!("py_micro.py failed:\n{}", r.error.unwrap_or_default()));
            }
            let v: serde_json::Value = serde_json::from_str(r.result.as_deref().unwrap_or("{}")).map_err(|e| e.to_string())?;
            for (k, n) in v.as_object().into_iter().flatten() {
                out.insert(format!("{row}{k}"), n.as_u64().unwrap_or(0));
            }
            return Ok(());
        }
        other => return Err(format!("no step {other}")),
    };
    out.insert(row, n);
    Ok(())
}

/// Instructions of start-up, per-endpoint preludes, executions and Python compute.
fn bench_canister(c: &mut Canister, module: &CanisterModule, init: u64) -> Result<BTreeMap<String, u64>, String> {
    let mut out = BTreeMap::new();
    out.insert("init (interpreter + pre-imported modules)".to_owned(), init);
    for (key, _) in STEPS {
        step(c, module, key, &mut out)?;
    }
    Ok(out)
}

/// Runs the steps of `bench-canister` up to `what` and returns the profile of that step alone.
fn profile(c: &mut Canister, module: &CanisterModule, what: &str, every_check: bool) -> Result<codexvm_host::Profile, String> {
    if !STEPS.iter().any(|s| s.0 == what) {
        let keys: Vec<&str> = STEPS.iter().map(|s| s.0).collect();
        return Err(format!("no step {what:?}; one of: {}", keys.join(", ")));
    }
    let mut out = BTreeMap::new();
    for (key, _) in STEPS {
        c.sample_every_check(every_check && *key == what);
        c.take_profile();
        step(c, module, key, &mut out)?;
        if *key == what {
            break;
        }
    }
    c.take_profile().ok_or_else(|| "the module was not loaded for profiling".to_owned())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cmd), Some(wasm)) = (args.first(), args.get(1)) else {
        eprintln!("usage: canister-run run WASM FILE... | bench-db WASM N | bench-canister WASM | profile WASM STEP [N [FOCUS]]");
        return ExitCode::from(2);
    };
    let path = PathBuf::from(wasm);
    let loaded = if cmd == "profile" { CanisterModule::load_profiling(&path) } else { CanisterModule::load(&path) };
    let module = match loaded {
        Ok(m) => m,
        Err(e) => {
            eprintln!("canister-run: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut c, init) = match Canister::install(&module, &candid::encode_args(()).unwrap()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("canister-run: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(r) = &init.result {
        eprintln!("canister-run: init failed: {r}");
        return ExitCode::from(1);
    }
    match cmd.as_str() {
        "run" => {
            for file in &args[2..] {
                let src = std::fs::read_to_string(file).unwrap_or_default();
                match run(&mut c, &src) {
                    Ok(r) => println!(
                        "{file}: success={} instructions={} result={:?}\n{}{}",
                        r.success,
                        r.instructions,
                        r.result,
                        r.logs.join("\n"),
                        r.error.unwrap_or_default()
                    ),
                    Err(e) => println!("{file}: rejected: {e}"),
                }
            }
            ExitCode::SUCCESS
        }
        "bench-db" => {
            let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
            match bench_db(&mut c, n) {
                Ok(t) => {
                    let obj: serde_json::Map<String, serde_json::Value> =
                        t.into_iter().map(|(k, (a, b))| (k, serde_json::json!([a, b]))).collect();
                    println!("{}", serde_json::Value::Object(obj));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("canister-run: {e}");
                    ExitCode::from(1)
                }
            }
        }
        "bench-canister" => match bench_canister(&mut c, &module, init.instructions) {
            Ok(t) => {
                println!("{}", serde_json::to_string(&t).unwrap());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("canister-run: {e}");
                ExitCode::from(1)
            }
        },
        "profile" => {
            let what = args.get(2).map(String::as_str).unwrap_or("status");
            let top: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(25);
            let every_check = std::env::var_os("CANISTER_RUN_EVERY_CHECK").is_some();
            match profile(&mut c, &module, what, every_check) {
                Ok(p) => {
                    let p = match args.get(4) {
                        Some(pattern) => p.focus(pattern),
                        None => p,
                    };
                    print!("{}", p.table(top));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("canister-run: {e}");
                    ExitCode::from(1)
                }
            }
        }
        other => {
            eprintln!("canister-run: unknown command {other}");
            ExitCode::from(2)
        }
    }
}
