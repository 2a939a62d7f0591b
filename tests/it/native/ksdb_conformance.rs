//! Byte compatibility with kybra_simple_db 0.5.0: every script in `tests/kybra_simple_db/` runs
//! under CPython with the real package and as a codex in codexvm; the resulting stores must hold
//! the same keys with byte-identical values, and the printed output must match.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::support::{fresh_store, in_vm, repo, run};
use codexvm::store::{self, ENTITY_MAP};

/// The CPython of `scripts/setup-python` (with kybra-simple-db 0.5.0 from PyPI).
fn cpython() -> PathBuf {
    let p = std::env::var_os("CODEXVM_CPYTHON").map(PathBuf::from).unwrap_or_else(|| repo("target/py-venv/bin/python"));
    assert!(p.exists(), "{} missing: run scripts/setup-python (scripts/test does)", p.display());
    p
}

type Store = BTreeMap<String, String>;

fn run_cpython(script: &PathBuf) -> (String, Store) {
    let out = std::process::Command::new(cpython())
        .arg(repo("tests/kybra_simple_db/cpython_runner.py"))
        .arg(script)
        .env("TZ", "UTC")
        .env("PYTHONHASHSEED", "0")
        .output()
        .expect("run CPython");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "CPython failed on {}:\n{}{}", script.display(), stdout, String::from_utf8_lossy(&out.stderr));
    let (printed, store) = stdout.rsplit_once("@@STORE@@").expect("store marker");
    let store: serde_json::Map<String, serde_json::Value> = serde_json::from_str(store.trim()).unwrap();
    let store = store.into_iter().map(|(k, v)| (k, v.as_str().unwrap().to_owned())).collect();
    (printed.to_owned(), store)
}

fn run_codexvm(script: &PathBuf) -> (String, Store) {
    let src = std::fs::read_to_string(script).unwrap();
    in_vm(move || {
        fresh_store();
        let x = run(&src);
        if let Err(e) = &x.outcome.result {
            panic!("codexvm raised:\n{}\noutput:\n{}", e.traceback, x.outcome.captured.stdout);
        }
        let rows =
            store::global::with(|s| s.scan(ENTITY_MAP, std::ops::Bound::Unbounded, std::ops::Bound::Unbounded, usize::MAX, false)).unwrap();
        let store = rows.into_iter().map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap())).collect();
        (x.outcome.captured.stdout, store)
    })
}

fn scripts() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo("tests/kybra_simple_db"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("ops_"))
        .collect();
    v.sort();
    v
}

#[test]
fn stores_and_output_match_kybra_simple_db_0_5_0() {
    let mut failures = Vec::new();
    for script in scripts() {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        let (want_out, want) = run_cpython(&script);
        let (got_out, got) = run_codexvm(&script);
        if want_out != got_out {
            failures.push(format!("{name}: printed output differs\n--- CPython\n{want_out}--- codexvm\n{got_out}"));
        }
        for key in want.keys().chain(got.keys()).collect::<std::collections::BTreeSet<_>>() {
            match (want.get(key), got.get(key)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => failures.push(format!("{name}: key {key:?}\n  CPython: {a:?}\n  codexvm: {b:?}")),
            }
        }
        eprintln!("{name}: {} keys compared", want.len());
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
