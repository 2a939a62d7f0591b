//! The standard library modules codexes use behave as in CPython 3.11 (natively; the canister
//! test runs the same file in the built module).

use crate::support::{fresh_store, in_vm, native_modules_check, repo, run, NATIVE_MODULES_MISSING};

/// Output of `tests/py/stdlib_check.py` under the machine's CPython.
fn cpython_output() -> String {
    let out = std::process::Command::new("python3")
        .arg(repo("tests/py/stdlib_check.py"))
        .output()
        .expect("python3 (CPython 3.11) must be installed");
    assert!(out.status.success(), "CPython failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Lines that differ between two outputs, for a readable failure.
pub fn diff(expected: &str, got: &str) -> Vec<String> {
    let (e, g): (Vec<_>, Vec<_>) = (expected.lines().collect(), got.lines().collect());
    let mut d = Vec::new();
    for i in 0..e.len().max(g.len()) {
        if e.get(i) != g.get(i) {
            d.push(format!("line {}:\n  CPython: {:?}\n  codexvm: {:?}", i + 1, e.get(i), g.get(i)));
        }
    }
    d
}

#[test]
fn stdlib_behaves_as_in_cpython() {
    let expected = cpython_output();
    let got = in_vm(|| {
        fresh_store();
        let src = std::fs::read_to_string(repo("tests/py/stdlib_check.py")).unwrap();
        let x = run(&src);
        if let Err(e) = &x.outcome.result {
            panic!("stdlib_check.py raised in codexvm:\n{}\noutput so far:\n{}", e.traceback, x.outcome.captured.stdout);
        }
        x.outcome.captured.stdout
    });
    let d = diff(&expected, &got);
    assert!(d.is_empty(), "{} lines differ:\n{}", d.len(), d.join("\n"));
}

#[test]
fn the_registered_native_modules_import_and_the_rest_are_missing() {
    let r = in_vm(|| {
        fresh_store();
        let x = run(&native_modules_check());
        x.outcome.result.unwrap_or_else(|e| panic!("{}", e.traceback))
    });
    assert_eq!(r, NATIVE_MODULES_MISSING);
}
