//! A runner process killed at any moment leaves the state file at the last committed state:
//! each commit is all-or-nothing after reopening.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::repo;
use codexvm::store::{FileMemory, Store};

/// Each run bumps a generation and rewrites 600 items of 1 KiB with it, in one commit.
const WRITER: &str = r#"
from kybra import StableBTreeMap
m = StableBTreeMap[str, str](memory_id=20, max_key_size=16, max_value_size=2048)
gen = int(m.get("gen") or "0") + 1
for i in range(600):
    m.insert("item%04d" % i, str(gen) + ":" + "x" * 1024)
m.insert("gen", str(gen))
result = gen
"#;

fn run_writer(state: &Path, script: &Path, crash_at: Option<&str>) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codexvm"));
    cmd.arg("run").arg(script).arg("--state").arg(state).stdout(Stdio::null()).stderr(Stdio::null());
    if let Some(point) = crash_at {
        cmd.env("CODEXVM_CRASH_AT", point);
    }
    cmd.spawn().expect("spawn codexvm")
}

/// Reopens the state and checks that every item carries the committed generation.
fn committed_generation(state: &Path) -> u64 {
    let mut s = Store::open(FileMemory::open(state).expect("reopen"));
    let gen: u64 = s.get(20, b"gen").map(|v| String::from_utf8(v).unwrap().parse().unwrap()).unwrap_or(0);
    let items = s.scan_prefix(20, b"item", None, usize::MAX);
    if gen == 0 {
        assert!(items.is_empty(), "items without a generation: half-applied commit");
    } else {
        assert_eq!(items.len(), 600, "generation {gen} has {} items", items.len());
        for (k, v) in items {
            let v = String::from_utf8(v).unwrap();
            let item_gen: u64 = v.split(':').next().unwrap().parse().unwrap();
            assert_eq!(item_gen, gen, "{} holds generation {item_gen}, not {gen}: half-applied commit", String::from_utf8_lossy(&k));
        }
    }
    gen
}

#[test]
fn crash_after_the_commit_point_replays_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (state, script) = (dir.path().join("s.stable"), dir.path().join("w.py"));
    std::fs::write(&script, WRITER).unwrap();
    assert!(run_writer(&state, &script, None).wait().unwrap().success());
    assert_eq!(committed_generation(&state), 1);
    let status = run_writer(&state, &script, Some("after-journal")).wait().unwrap();
    assert!(!status.success(), "the crash hook must abort the process");
    assert!(state.with_extension("stable.journal").exists(), "journal left behind");
    assert_eq!(committed_generation(&state), 2, "a complete journal must be replayed");
}

#[test]
fn crash_before_the_commit_point_keeps_the_old_state() {
    let dir = tempfile::tempdir().unwrap();
    let (state, script) = (dir.path().join("s.stable"), dir.path().join("w.py"));
    std::fs::write(&script, WRITER).unwrap();
    assert!(run_writer(&state, &script, None).wait().unwrap().success());
    let status = run_writer(&state, &script, Some("before-journal")).wait().unwrap();
    assert!(!status.success());
    assert_eq!(committed_generation(&state), 1);
}

#[test]
fn killed_at_random_moments_the_state_is_always_a_committed_one() {
    let dir = tempfile::tempdir().unwrap();
    let (state, script) = (dir.path().join("s.stable"), dir.path().join("w.py"));
    std::fs::write(&script, WRITER).unwrap();
    // Time one undisturbed run to spread the kills over its whole length.
    let t = std::time::Instant::now();
    assert!(run_writer(&state, &script, None).wait().unwrap().success());
    let full = t.elapsed().as_millis().max(50) as u64;
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut last = committed_generation(&state);
    let mut survived = 0;
    for _ in 0..24 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = seed % (full + full / 4);
        let mut child = run_writer(&state, &script, None);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let gen = committed_generation(&state);
        assert!(gen == last || gen == last + 1, "generation went from {last} to {gen}");
        if status.success() {
            assert_eq!(gen, last + 1, "a run that exited 0 must have committed");
        }
        survived += (gen == last + 1) as u32;
        last = gen;
    }
    eprintln!("{survived} of 24 killed runs had committed before the kill");
    let _ = repo("");
}
