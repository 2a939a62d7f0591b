//! Runs the Python test suite under `tests/python/` inside the interpreter (`codexvm test`).

use std::io::Write;

use crate::support::{in_vm, repo};
use codexvm::cli::pytest::{run_suite, TestArgs};

#[test]
fn python_tests_pass_inside_the_interpreter() {
    let summary = in_vm(|| {
        let args = TestArgs::new(vec![repo("tests/python").to_string_lossy().into_owned()]);
        run_suite(&args, &mut |_| {}).expect("run the suite")
    });
    let mut report = String::new();
    for (path, why) in &summary.collection_errors {
        report.push_str(&format!("ERROR collecting {path}\n{why}\n"));
    }
    for r in summary.results.iter().chain(&summary.subtests_failed).filter(|r| r.outcome == "failed" || r.outcome == "error") {
        report.push_str(&format!("{} {} ({})\n{}\n{}\n", r.outcome.to_uppercase(), r.id, r.when, r.message, r.output));
    }
    if let Some(note) = &summary.stopped {
        report.push_str(note);
    }
    // To the terminal, past the harness's capture: scripts/test counts the Python tests from it.
    let _ = writeln!(std::io::stderr(), "python suite: {}", summary.line());
    assert!(summary.ok(), "{}\n{report}", summary.line());
    assert!(summary.passed() > 400, "{}", summary.line());
}
