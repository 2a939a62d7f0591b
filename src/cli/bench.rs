//! `codexvm bench db`: kybra_simple_db operation costs, codexvm natively side by side with
//! CPython 3.11 running the real kybra_simple_db 0.5.0 on the same script, in one run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Args, Subcommand};

use crate::py::{self, Codex, RunOptions};
use crate::store::{self, FileMemory, Store};

/// The benchmark script (runs unchanged under both interpreters).
pub const DB_BENCH: &str = include_str!("../../bench/db_bench.py");

/// Operations of the table, in order.
pub const OPS: &[&str] =
    &["create", "property set", "load by id", "load by alias", "count()", "instances() of N", "load_some(100)", "delete"];

/// `codexvm bench ...`
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Debug, Subcommand)]
enum BenchWhat {
    /// kybra_simple_db operations: codexvm vs CPython + kybra_simple_db 0.5.0.
    Db(DbArgs),
    /// Instructions in the built canister (start-up, method preludes, executions, Python
    /// compute) beside Kybra's, Basilisk's and plain Rust's published figures.
    Canister(CanisterArgs),
    /// Hostile codexes, killed runs and random db operation sequences: what was stopped or
    /// survived, and the entities lost or duplicated.
    Faults(super::faults::FaultsArgs),
    /// Plain Python (bench/py_micro.py): time per call in codexvm natively vs CPython.
    Python(PythonArgs),
}

/// Arguments of `codexvm bench python`.
#[derive(Debug, Clone, Args)]
pub struct PythonArgs {
    /// CPython to compare with (default: python3 on the PATH).
    #[arg(long)]
    pub cpython: Option<PathBuf>,
    /// Each benchmark is called until a round of calls takes this many milliseconds, then timed
    /// over five such rounds (1 to 10,000).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub min_ms: u32,
}

/// Arguments of `codexvm bench db`.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Entities in the table (instances() is measured at this size; 1 to 1,000,000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub n: u32,
    /// Python interpreter with kybra-simple-db 0.5.0 installed (default: target/py-venv, set up
    /// by scripts/setup-python).
    #[arg(long)]
    pub cpython: Option<PathBuf>,
}

/// Arguments of `codexvm bench canister`.
#[derive(Debug, Clone, Args)]
pub struct CanisterArgs {
    /// Instead of the table, the instructions per wasm function of one step of the benchmark
    /// (stable_size, my_access, list_tasks, status, run_codex, setup, execute_code, increment,
    /// heartbeat, post_upgrade, python, many_tasks, list_tasks_100, status_100, get_task_100), sampled in the module built with its function names
    /// (target/canister/codexvm.named.wasm).
    #[arg(long, value_name = "STEP")]
    pub profile: Option<String>,
    /// Functions listed in each table of a profile.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub top: u32,
    /// Only the part of the profile spent inside functions whose name contains PATTERN (from
    /// the outermost such function inwards).
    #[arg(long, value_name = "PATTERN", requires = "profile")]
    pub focus: Option<String>,
    /// Sample the profile at every function entry and loop iteration instead of every 50 µs:
    /// complete figures for a short step (a query), slow for a long one.
    #[arg(long, requires = "profile")]
    pub exact: bool,
}

/// `{op: (count, total ns)}`.
pub type Timings = BTreeMap<String, (u64, u64)>;

fn parse(json: &str) -> Result<Timings, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("bad result {json:?}: {e}"))?;
    let obj = v.as_object().ok_or("result is not an object")?;
    Ok(obj.iter().map(|(k, v)| (k.clone(), (v[0].as_u64().unwrap_or(0), v[1].as_f64().unwrap_or(0.0) as u64))).collect())
}

fn ops_literal() -> String {
    format!("[{}]", OPS.iter().map(|o| format!("{o:?}")).collect::<Vec<_>>().join(", "))
}

/// Runs a benchmark script in codexvm natively, on an in-memory store whose writes are rolled
/// back; returns the JSON text of its `result` (or the traceback).
pub(crate) fn run_in_memory(source: &str, filename: &str) -> Result<String, String> {
    store::global::install(Store::open(FileMemory::in_memory()));
    let rt = crate::tasks::runtime().map_err(|e| e.to_string())?;
    store::global::with(|s| s.begin()).map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    let out = py::exec::run(rt, Codex { source, filename }, &RunOptions::default(), &|_, _| Ok(()));
    let _ = store::global::with(|s| s.rollback());
    out.result.map_err(|e| e.traceback)
}

/// Runs the script in codexvm natively (on an in-memory store), timing with the wall clock.
pub fn run_codexvm(n: usize) -> Result<Timings, String> {
    let source = format!("import _ic\nclock = _ic.time\nN = {n}\nOPS = {}\n{DB_BENCH}", ops_literal());
    parse(&run_in_memory(&source, "bench/db_bench.py")?)
}

/// Runs the script under CPython with the real package.
pub fn run_cpython(python: &Path, n: usize) -> Result<Timings, String> {
    let driver = format!(
        "import contextlib, io, json, time\n\
         with contextlib.redirect_stdout(io.StringIO()):\n    import kybra_simple_db\n\
         from kybra_simple_db import Database, MemoryStorage\n\
         Database._instance = None\nDatabase.init(audit_enabled=False, db_storage=MemoryStorage())\n\
         g = {{'__name__': 'codex', 'clock': time.perf_counter_ns, 'N': {n}, 'OPS': {ops}}}\n\
         with contextlib.redirect_stdout(io.StringIO()):\n    exec(compile({src:?}, 'bench/db_bench.py', 'exec'), g)\n\
         print(json.dumps(g['result']))\n",
        ops = ops_literal(),
        src = DB_BENCH,
    );
    let out = Command::new(python).arg("-c").arg(driver).output().map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    parse(String::from_utf8_lossy(&out.stdout).trim())
}

fn per_second((count, ns): (u64, u64)) -> f64 {
    if ns == 0 {
        f64::INFINITY
    } else {
        count as f64 * 1e9 / ns as f64
    }
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k", r / 1e3)
    } else {
        format!("{r:.1}")
    }
}

/// The table: one row per operation.
pub fn table(n: usize, ours: &Timings, cpython: Option<&Timings>, canister: Option<&Timings>) -> String {
    let mut t = String::new();
    t.push_str(&format!("kybra_simple_db operations, {n} entities (ops/s natively; ratio = codexvm / CPython)\n\n"));
    t.push_str("| operation | codexvm ops/s | CPython 3.11 + kybra_simple_db 0.5.0 ops/s | ratio | canister instructions/op |\n");
    t.push_str("|---|---:|---:|---:|---:|\n");
    for op in OPS {
        let name = op.replace(" of N", &format!(" of {n}"));
        let ours_rate = ours.get(*op).map(|x| per_second(*x));
        let theirs = cpython.and_then(|c| c.get(*op)).map(|x| per_second(*x));
        let ratio = match (ours_rate, theirs) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
            _ => "-".into(),
        };
        let ins = canister.and_then(|c| c.get(*op)).map(|(c, total)| format!("{}", total / (*c).max(1))).unwrap_or_else(|| "-".into());
        t.push_str(&format!(
            "| {name} | {} | {} | {ratio} | {ins} |\n",
            ours_rate.map(fmt_rate).unwrap_or_else(|| "-".into()),
            theirs.map(fmt_rate).unwrap_or_else(|| "-".into()),
        ));
    }
    t
}

fn default_cpython() -> PathBuf {
    let venv = PathBuf::from("target/py-venv/bin/python");
    if !venv.exists() && Path::new("scripts/setup-python").exists() {
        let _ = Command::new("scripts/setup-python").status();
    }
    venv
}

/// Entry point of `codexvm bench`.
pub fn main(args: BenchArgs) -> ExitCode {
    match args.what {
        BenchWhat::Faults(a) => super::faults::main(a),
        BenchWhat::Python(a) => {
            let ours = match super::python_bench::run_codexvm(a.min_ms) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("codexvm bench python: codexvm run failed:\n{e}");
                    return ExitCode::from(1);
                }
            };
            let python = a.cpython.unwrap_or_else(|| PathBuf::from("python3"));
            let cpython = match super::python_bench::run_cpython(&python, a.min_ms) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("codexvm bench python: CPython column skipped: {e}");
                    Vec::new()
                }
            };
            print!("{}", super::python_bench::table(&ours, &cpython, &super::python_bench::cpython_version(&python)));
            ExitCode::SUCCESS
        }
        BenchWhat::Canister(CanisterArgs { profile: Some(step), top, focus, exact }) => {
            match super::canister_bench::profile(&step, top as usize, focus.as_deref(), exact) {
                Ok(table) => {
                    print!("{table}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("codexvm bench canister --profile: {e}");
                    ExitCode::from(1)
                }
            }
        }
        BenchWhat::Canister(CanisterArgs { profile: None, .. }) => match super::canister_bench::costs() {
            Ok(rows) => {
                print!("{}", super::canister_bench::table(&rows));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("codexvm bench canister: {e}");
                ExitCode::from(1)
            }
        },
        BenchWhat::Db(a) => {
            let ours = match run_codexvm(a.n as usize) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("codexvm bench: codexvm run failed:\n{e}");
                    return ExitCode::from(1);
                }
            };
            let python = a.cpython.clone().unwrap_or_else(default_cpython);
            let cpython = match run_cpython(&python, a.n as usize) {
                Ok(t) => Some(t),
                Err(e) => {
                    eprintln!("codexvm bench: CPython column skipped: {e}");
                    None
                }
            };
            let canister =
                super::canister_bench::run(a.n as usize).map_err(|e| eprintln!("codexvm bench: canister column skipped: {e}")).ok();
            print!("{}", table(a.n as usize, &ours, cpython.as_ref(), canister.as_ref()));
            ExitCode::SUCCESS
        }
    }
}
