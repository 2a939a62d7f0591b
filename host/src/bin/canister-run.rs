//! `canister-run`: drives the built canister module in the test host from the command line.
//!
//!     canister-run run WASM FILE...      run codexes (as a controller), print each reply
//!     canister-run bench-db WASM N       kybra_simple_db benchmark: JSON {op: [count, instructions]}
//!     canister-run bench-canister WASM   costs of start-up, method preludes, codex executions and
//!                                        Python compute: JSON {row: instructions}

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

/// Instructions of start-up, per-endpoint preludes, executions and Python compute.
fn bench_canister(c: &mut Canister, module: &CanisterModule, init: u64) -> Result<BTreeMap<String, u64>, String> {
    let mut out = BTreeMap::new();
    out.insert("init (interpreter + pre-imported modules)".to_owned(), init);
    let no_args = candid::encode_args(()).unwrap();
    let ok = |r: &codexvm_host::Report, what: &str| r.result.as_ref().map(|_| r.instructions).map_err(|e| format!("{what}: {e}"));
    out.insert("prelude: stable_size query (guard + reply)".into(), ok(&c.query("stable_size", &no_args), "stable_size")?);
    out.insert("prelude: my_access query".into(), ok(&c.query("my_access", &no_args), "my_access")?);
    out.insert("query: list_tasks (no tasks)".into(), ok(&c.query("list_tasks", &no_args), "list_tasks")?);
    out.insert("query: status".into(), ok(&c.query("status", &no_args), "status")?);
    let pass = c.update("run_codex", &candid::encode_one("pass").unwrap());
    out.insert("update: run_codex('pass') (whole call)".into(), ok(&pass, "run_codex")?);
    let r = run(c, "pass")?;
    out.insert("execution set-up: run_codex('pass') (counter inside)".into(), r.instructions);
    let ex = c.update("execute_code", &candid::encode_one("result = 1").unwrap());
    out.insert("update: execute_code('result = 1') (task record + run)".into(), ok(&ex, "execute_code")?);
    let inc = "from kybra import StableBTreeMap\nm = StableBTreeMap[str, int](memory_id=0, max_key_size=8, max_value_size=32)\nm.insert('n', (m.get('n') or 0) + 1)\nresult = m.get('n')";
    run(c, inc)?;
    let r = c.update("run_codex", &candid::encode_one(inc).unwrap());
    out.insert("update: increment a stable counter (run_codex)".into(), ok(&r, "increment")?);
    let ticks = c.advance_time(std::time::Duration::from_secs(61));
    if let Some(t) = ticks.iter().find(|t| t.result.is_ok()) {
        out.insert("timer: scheduler heartbeat, no task due".into(), t.instructions);
    }
    let up = c.upgrade(module, &no_args);
    out.insert("post_upgrade (interpreter + pre-imported modules + re-arm)".into(), ok(&up, "upgrade")?);
    let script = std::fs::read_to_string("bench/py_micro.py").map_err(|e| format!("bench/py_micro.py: {e}"))?;
    let r = run(c, &format!("from kybra import ic\nclock = lambda: ic.performance_counter(0)\n{script}"))?;
    if !r.success {
        return Err(format!("py_micro.py failed:\n{}", r.error.unwrap_or_default()));
    }
    let v: serde_json::Value = serde_json::from_str(r.result.as_deref().unwrap_or("{}")).map_err(|e| e.to_string())?;
    for (k, n) in v.as_object().into_iter().flatten() {
        out.insert(format!("python: {k}"), n.as_u64().unwrap_or(0));
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cmd), Some(wasm)) = (args.first(), args.get(1)) else {
        eprintln!("usage: canister-run run WASM FILE... | bench-db WASM N | bench-canister WASM");
        return ExitCode::from(2);
    };
    let module = match CanisterModule::load(&PathBuf::from(wasm)) {
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
        other => {
            eprintln!("canister-run: unknown command {other}");
            ExitCode::from(2)
        }
    }
}
