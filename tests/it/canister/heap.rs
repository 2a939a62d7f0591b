//! The interpreter's heap lives as long as the canister instance: many executions of a codex
//! that leaves reference cycles behind must not grow the canister's memory.

use crate::support::canister::{installed, run};

/// A codex whose garbage is only reclaimable by the cycle collector: objects that point at each
/// other, a self-containing list and dict, a function that refers to itself, a class (classes are
/// cyclic through their MRO and `__dict__`), and a caught exception kept alive with its traceback
/// (exception → traceback → frame → locals → exception).
const CYCLES: &str = r#"
class Node:
    def __init__(self, payload):
        self.payload = payload
        self.peer = None

a = Node(list(range(200)))
b = Node("x" * 2000)
a.peer, b.peer = b, a
loop = [bytearray(500)]
loop.append(loop)
d = {"blob": "y" * 1000}
d["self"] = d
def f():
    return f
f.me = f
Tmp = type("Tmp", (), {"data": list(range(100))})
try:
    raise ValueError("kept")
except ValueError as exc:
    kept = exc
result = len(a.payload) + len(b.peer.payload)
"#;

/// Executions of the long run: `CODEXVM_HEAP_EXECUTIONS`, else 2,000 (a leak of the cyclic
/// garbage above, about 10 KB each, would then add about 20 MB, ten times the allowance below;
/// set 10000 or more to look for slower leaks).
fn executions() -> usize {
    match std::env::var("CODEXVM_HEAP_EXECUTIONS") {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("CODEXVM_HEAP_EXECUTIONS={v:?} is not a number")),
        Err(_) => 2_000,
    }
}

/// Runs `n` executions of `source` and returns the heap size (bytes) after each `every` of them.
fn heap_over(c: &mut codexvm_host::Canister, source: &str, n: usize, every: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    for i in 1..=n {
        let r = run(c, source);
        assert!(r.success, "execution {i} failed: {:?}", r.error);
        if i % every == 0 {
            sizes.push(c.heap_bytes());
        }
    }
    sizes
}

#[test]
fn many_executions_leaving_cycles_keep_the_heap_bounded() {
    let mut c = installed();
    let before = c.heap_bytes();
    // The first executions grow the heap to its working size (allocator pools, interned names).
    let warm = heap_over(&mut c, CYCLES, 500, 500)[0];
    let n = executions();
    let sizes = heap_over(&mut c, CYCLES, n, n.div_ceil(10));
    let last = *sizes.last().unwrap();
    eprintln!("heap: after init {before} B, after 500 executions {warm} B, then every {}: {sizes:?}", n.div_ceil(10));
    // Each execution leaves ~10 KB of cyclic garbage: uncollected, n executions would add n × 10 KB.
    assert!(last <= warm + (2 << 20), "heap grew from {warm} to {last} bytes over {n} executions: cyclic garbage is not reclaimed");
}

#[test]
fn a_codex_that_disables_the_collector_does_not_leak_into_later_executions() {
    let mut c = installed();
    let r = run(&mut c, "import gc\ngc.disable()\nresult = gc.isenabled()");
    // Either `gc` is not importable by codexes, or switching it off lasts only for that execution.
    let warm = heap_over(&mut c, CYCLES, 500, 500)[0];
    let n = executions() / 2;
    let last = *heap_over(&mut c, CYCLES, n, n).last().unwrap();
    eprintln!("gc.disable() execution: success={} result={:?} error={:?}; heap {warm} -> {last}", r.success, r.result, r.error);
    assert!(last <= warm + (2 << 20), "heap grew from {warm} to {last} bytes after a codex disabled the collector");
}
