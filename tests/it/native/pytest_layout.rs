//! `codexvm test` and real pytest (9.2, CPython, with kybra-simple-db 0.5.0) run the same
//! pytest-layout suite (`tests/pytest_layout/`: a test package, a helper module and conftest.py
//! in the folder above it, xunit set-ups of every kind, unittest classes, deliberate errors in
//! set-up and teardown) and must report the same outcome for every test, the same counts and
//! the same exit status; likewise for collection errors (`tests/pytest_layout_broken/`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use crate::support::{in_vm, repo};
use codexvm::cli::pytest::{run_suite, TestArgs};

fn cpython() -> PathBuf {
    let p = std::env::var_os("CODEXVM_CPYTHON").map(PathBuf::from).unwrap_or_else(|| repo("target/py-venv/bin/python"));
    assert!(p.exists(), "{} missing: run scripts/setup-python (scripts/test does)", p.display());
    p
}

/// (node id, phase) -> outcome.
type Outcomes = BTreeMap<(String, String), String>;

struct Run {
    outcomes: Outcomes,
    warnings: usize,
    exit_status: i64,
    line: String,
}

fn with_pytest(arg: &str, keep_going: bool) -> Run {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new(cpython());
    cmd.args(["-m", "pytest", "-p", "no:cacheprovider", "-p", "pytest_outcomes", "-q", arg]);
    if keep_going {
        cmd.arg("--continue-on-collection-errors");
    }
    let out = cmd
        .current_dir(repo(""))
        .env("PYTHONPATH", repo("tests/support"))
        .env("PYTEST_OUTCOMES", file.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file.path()).unwrap())
        .unwrap_or_else(|e| panic!("pytest wrote no outcomes ({e}):\n{stdout}{}", String::from_utf8_lossy(&out.stderr)));
    let mut outcomes = Outcomes::new();
    for r in json["records"].as_array().unwrap() {
        let key = (r["nodeid"].as_str().unwrap().to_owned(), r["when"].as_str().unwrap().to_owned());
        outcomes.insert(key, r["outcome"].as_str().unwrap().to_owned());
    }
    // pytest's last line: "6 failed, 40 passed, ... in 0.15s".
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().trim_matches('=').trim();
    let line = last.rsplit_once(" in ").map_or(last, |(counts, _)| counts).to_owned();
    Run { outcomes, warnings: json["warnings"].as_array().unwrap().len(), exit_status: json["exitstatus"].as_i64().unwrap(), line }
}

fn with_codexvm(arg: &str, keep_going: bool) -> Run {
    let mut args = TestArgs::new(vec![arg.to_owned()]);
    args.continue_on_collection_errors = keep_going;
    let summary = in_vm(move || run_suite(&args, &mut |_| {}).expect("run the suite"));
    let mut outcomes = Outcomes::new();
    for r in &summary.results {
        outcomes.insert((r.id.clone(), r.when.clone()), r.outcome.clone());
    }
    for (id, _) in &summary.collection_errors {
        outcomes.insert((id.clone(), "collect".into()), "error".into());
    }
    for (id, _) in &summary.collect_skipped {
        outcomes.insert((id.clone(), "collect".into()), "skipped".into());
    }
    Run { outcomes, warnings: summary.warnings.len(), exit_status: i64::from(summary.exit_status), line: summary.line() }
}

fn compare(arg: &str, keep_going: bool) {
    let theirs = with_pytest(arg, keep_going);
    let ours = with_codexvm(arg, keep_going);
    let mut diff = String::new();
    for (k, v) in &theirs.outcomes {
        match ours.outcomes.get(k) {
            Some(o) if o == v => {}
            o => diff.push_str(&format!("{}  [{}]: pytest {v}, codexvm {o:?}\n", k.0, k.1)),
        }
    }
    for (k, v) in &ours.outcomes {
        if !theirs.outcomes.contains_key(k) {
            diff.push_str(&format!("{}  [{}]: codexvm {v}, pytest has no such report\n", k.0, k.1));
        }
    }
    assert!(diff.is_empty(), "outcomes differ for `{arg}`:\n{diff}");
    assert_eq!(ours.warnings, theirs.warnings, "collection warnings");
    assert_eq!(ours.exit_status, theirs.exit_status, "exit status");
    assert_eq!(ours.line, theirs.line, "the summary line");
    eprintln!("{arg}: pytest `{}`, codexvm `{}`", theirs.line, ours.line);
}

#[test]
fn the_test_package_named_alone_finds_its_helper_and_conftests_above() {
    compare("tests/pytest_layout/shop/tests", false);
}

#[test]
fn the_whole_layout_honours_collect_ignore() {
    compare("tests/pytest_layout", false);
}

#[test]
fn a_single_node_id_runs_just_that_test() {
    compare("tests/pytest_layout/shop/tests/test_b_xunit_class.py::TestAccount::test_withdraw", false);
}

#[test]
fn collection_errors_interrupt_the_run_before_any_test() {
    compare("tests/pytest_layout_broken", false);
}

#[test]
fn collection_errors_can_be_run_past() {
    compare("tests/pytest_layout_broken", true);
}
