//! The canister column of `codexvm bench db`: runs the benchmark in the built module through the
//! test host's `canister-run` tool (built with `cargo build -p codexvm-host`), when present.

use std::path::PathBuf;
use std::process::Command;

use super::bench::Timings;

fn tool() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.with_file_name("canister-run");
    p.exists().then_some(p)
}

/// Instructions per operation in the canister (`{op: (count, instructions)}`).
pub fn run(n: usize) -> Result<Timings, String> {
    let wasm = PathBuf::from("target/canister/codexvm.wasm");
    if !wasm.exists() {
        return Err("target/canister/codexvm.wasm not built (scripts/build-canister)".into());
    }
    let tool = tool().ok_or("canister-run not built (cargo build -p codexvm-host)")?;
    let out = Command::new(tool)
        .arg("bench-db")
        .arg(&wasm)
        .arg(n.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok(v.as_object()
        .ok_or("bad output")?
        .iter()
        .map(|(k, v)| (k.clone(), (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))))
        .collect())
}
