//! `codexvm bench python`: plain-Python speed, codexvm natively side by side with CPython on the
//! same benchmark script (`bench/py_micro.py`, the compute rows of `bench canister`), in one run.

use std::path::Path;
use std::process::Command;

/// The benchmark script (runs unchanged under both interpreters).
const PY_MICRO: &str = include_str!("../../bench/py_micro.py");

/// Measures each case of `CASES` (defined by the script): calls it `n` times, `n` doubling until
/// one round takes `MIN_NS`, then keeps the median of five rounds of `n` calls, per call.
const PER_CALL: &str = "
def _per_call(f):
    n = 1
    while True:
        t = clock()
        for _ in range(n):
            f()
        if clock() - t >= MIN_NS or n >= 1 << 20:
            break
        n *= 2
    rounds = []
    for _ in range(5):
        t = clock()
        for _ in range(n):
            f()
        rounds.append((clock() - t) / n)
    rounds.sort()
    return rounds[2]

result = [[name, _per_call(f)] for name, f in CASES]
";

/// `(benchmark, nanoseconds per call)`, in the script's order.
pub type PerCall = Vec<(String, f64)>;

fn parse(json: &str) -> Result<PerCall, String> {
    serde_json::from_str(json).map_err(|e| format!("bad benchmark output {json:?}: {e}"))
}

/// Runs the benchmarks in codexvm natively (on an in-memory store), timing with the wall clock.
pub fn run_codexvm(min_ms: u32) -> Result<PerCall, String> {
    let source = format!("import _ic\nclock = _ic.time\nMIN_NS = {}\n{PY_MICRO}{PER_CALL}", u64::from(min_ms) * 1_000_000);
    parse(&super::bench::run_in_memory(&source, "bench/py_micro.py")?)
}

/// Runs the same benchmarks under CPython (`python`).
pub fn run_cpython(python: &Path, min_ms: u32) -> Result<PerCall, String> {
    let driver = format!(
        "import json, time\nclock = time.perf_counter_ns\nMIN_NS = {}\n{PY_MICRO}{PER_CALL}\nprint(json.dumps(result))\n",
        u64::from(min_ms) * 1_000_000
    );
    let out = Command::new(python).arg("-c").arg(driver).output().map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    parse(String::from_utf8_lossy(&out.stdout).trim())
}

/// The CPython version `python` reports (`3.11.7`), for the table's header.
pub fn cpython_version(python: &Path) -> String {
    Command::new(python)
        .args(["-c", "import sys; print(sys.version.split()[0])"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".into())
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

/// The Markdown table: time per call in each interpreter, their ratio, and the geometric mean of
/// the ratios.
pub fn table(ours: &PerCall, cpython: &PerCall, version: &str) -> String {
    let mut out = format!("| benchmark | codexvm (native) | CPython {version} | codexvm / CPython |\n|---|---:|---:|---:|\n");
    let mut log_sum = 0.0;
    let mut n = 0;
    for (name, ns) in ours {
        match cpython.iter().find(|(c, _)| c == name) {
            Some((_, c)) if *c > 0.0 => {
                let ratio = ns / c;
                log_sum += ratio.ln();
                n += 1;
                out.push_str(&format!("| {name} | {} | {} | {ratio:.2} |\n", fmt_ns(*ns), fmt_ns(*c)));
            }
            _ => out.push_str(&format!("| {name} | {} | - | - |\n", fmt_ns(*ns))),
        }
    }
    if n > 0 {
        out.push_str(&format!("| geometric mean of the ratios | | | {:.2} |\n", (log_sum / f64::from(n)).exp()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_row_per_benchmark_and_the_geometric_mean_of_the_ratios() {
        let ours = vec![("a".to_owned(), 4_000.0), ("b".to_owned(), 2_000_000.0)];
        let cpython = vec![("a".to_owned(), 1_000.0), ("b".to_owned(), 2_000_000.0)];
        let t = table(&ours, &cpython, "3.11.7");
        assert!(t.contains("| a | 4.0 µs | 1.0 µs | 4.00 |"), "{t}");
        assert!(t.contains("| b | 2.00 ms | 2.00 ms | 1.00 |"), "{t}");
        assert!(t.contains("| geometric mean of the ratios | | | 2.00 |"), "{t}");
    }
}
