//! Benchmarks in the built module, through the test host's `canister-run` tool (built with
//! `cargo build -p codexvm-host`): the canister column of `codexvm bench db`, and
//! `codexvm bench canister` beside the published figures of Kybra, Basilisk and plain Rust.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::bench::Timings;

fn tool() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.with_file_name("canister-run");
    p.exists().then_some(p)
}

/// Runs `canister-run COMMAND WASM ARGS...` and returns what it printed.
fn canister_run_on(wasm: &str, args: &[&str], every_check: bool) -> Result<Vec<u8>, String> {
    if !Path::new(wasm).exists() {
        return Err(format!("{wasm} not built (scripts/build-canister)"));
    }
    let tool = tool().ok_or("canister-run not built (cargo build -p codexvm-host)")?;
    let mut cmd = Command::new(tool);
    if every_check {
        cmd.env("CANISTER_RUN_EVERY_CHECK", "1");
    }
    let out = cmd.arg(args[0]).arg(wasm).args(&args[1..]).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(out.stdout)
}

fn canister_run(args: &[&str]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(&canister_run_on("target/canister/codexvm.wasm", args, false)?).map_err(|e| e.to_string())
}

/// The profile of one step of `bench canister` (tables of the `top` functions, of the part
/// spent inside functions named like `focus`), sampled in the module that keeps its function
/// names.
pub fn profile(step: &str, top: usize, focus: Option<&str>, exact: bool) -> Result<String, String> {
    let top = top.to_string();
    let mut args = vec!["profile", step, &top];
    args.extend(focus);
    let out = canister_run_on("target/canister/codexvm.named.wasm", &args, exact)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Instructions per operation in the canister (`{op: (count, instructions)}`).
pub fn run(n: usize) -> Result<Timings, String> {
    let v = canister_run(&["bench-db", &n.to_string()])?;
    Ok(v.as_object()
        .ok_or("bad output")?
        .iter()
        .map(|(k, v)| (k.clone(), (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))))
        .collect())
}

/// Rows of `codexvm bench canister`: (what, instructions).
pub fn costs() -> Result<Vec<(String, u64)>, String> {
    let v = canister_run(&["bench-canister"])?;
    Ok(v.as_object().ok_or("bad output")?.iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0))).collect())
}

/// Published anchors (`spec/python_canisters.md` §0: Basilisk's README, measured on PocketIC):
/// (our row, their row, Kybra/RustPython, Basilisk/CPython, plain Rust).
const ANCHORS: &[(&str, &str, &str, &str, &str)] = &[
    ("prelude: stable_size query (guard + reply)", "method prelude", "42,216", "10,172", "12,334"),
    ("prelude: my_access query", "noop query", "88,918", "15,592", "13,686"),
    ("update: increment a stable counter (run_codex)", "increment update", "92,485", "15,159", "12,827"),
    ("python: fib(25) iterative", "fib(25) iterative", "294,649", "36,553", "12,750"),
    ("python: fib_recursive(20)", "fib_recursive(20)", "337,795,318", "29,617,193", "373,953"),
    ("python: sum_to(10000) loop", "sum_to(10000)", "-", "12,767,523", "272,761"),
    ("python: ackermann(3,6)", "ackermann(3,6)", "-", "284,158,839", "3,285,678"),
    ("python: string_ops (100 concats)", "string_ops", "2,135,202", "275,375", "-"),
    ("python: list_ops (500 append + sort)", "list_ops", "5,819,267", "602,711", "-"),
    ("python: dict_ops (500 inserts + 500 lookups)", "dict_ops", "23,087,720", "3,407,101", "-"),
];

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The table of `codexvm bench canister`.
pub fn table(rows: &[(String, u64)]) -> String {
    let mut t = String::from(
        "Instructions in the canister (test host, wasm fuel), beside published figures

",
    );
    t.push_str("| what | codexvm | compared with | Kybra (RustPython) | Basilisk (CPython) | Rust |\n|---|---:|---|---:|---:|---:|\n");
    for (what, n) in rows {
        let anchor = ANCHORS.iter().find(|a| a.0 == what);
        let (row, k, b, r) = anchor.map(|a| (a.1, a.2, a.3, a.4)).unwrap_or(("", "", "", ""));
        t.push_str(&format!("| {what} | {} | {row} | {k} | {b} | {r} |\n", thousands(*n)));
    }
    t
}
