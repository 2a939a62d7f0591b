//! The interpreter's heap lives as long as the canister instance: many executions of a codex
//! that leaves reference cycles behind must not grow the canister's memory.

mod support;
#[path = "support/canister.rs"]
mod canister_support;

use canister_support::{installed, run};

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
fn ten_thousand_executions_leaving_cycles_keep_the_heap_bounded() {
    let mut c = installed();
    let before = c.heap_bytes();
    // The first executions grow the heap to its working size (allocator pools, interned names).
    let warm = heap_over(&mut c, CYCLES, 500, 500)[0];
    let sizes = heap_over(&mut c, CYCLES, 10_000, 1_000);
    let last = *sizes.last().unwrap();
    eprintln!(
        "heap: after init {} B, after 500 executions {} B, then every 1,000: {:?}",
        before, warm, sizes
    );
    // Each execution leaves ~10 KB of cyclic garbage: 10,000 of them uncollected would add ~100 MB.
    assert!(
        last <= warm + (2 << 20),
        "heap grew from {warm} to {last} bytes over 10,000 executions: cyclic garbage is not reclaimed"
    );
}

#[test]
fn a_codex_that_disables_the_collector_does_not_leak_into_later_executions() {
    let mut c = installed();
    let r = run(&mut c, "import gc\ngc.disable()\nresult = gc.isenabled()");
    // Either `gc` is not importable by codexes, or switching it off lasts only for that execution.
    let warm = heap_over(&mut c, CYCLES, 500, 500)[0];
    let last = *heap_over(&mut c, CYCLES, 2_000, 2_000).last().unwrap();
    eprintln!("gc.disable() execution: success={} result={:?} error={:?}; heap {warm} -> {last}", r.success, r.result, r.error);
    assert!(last <= warm + (2 << 20), "heap grew from {warm} to {last} bytes after a codex disabled the collector");
}
