//! Runs the Python test suite under `tests/python/` inside the interpreter (`codexvm test`).

mod support;

use codexvm::cli::pytest::{run_suite, TestArgs};
use support::{in_vm, repo};

#[test]
fn python_tests_pass_inside_the_interpreter() {
    let summary = in_vm(|| {
        let args = TestArgs { paths: vec![repo("tests/python")], keyword: None, exit_first: false, verbose: false };
        run_suite(&args, &mut |_| {}).expect("run the suite")
    });
    let mut report = String::new();
    for (path, tb) in &summary.collection_errors {
        report.push_str(&format!("ERROR collecting {path}\n{tb}\n"));
    }
    for r in summary.results.iter().filter(|r| r.outcome == "failed") {
        report.push_str(&format!("FAILED {}\n{}\n{}\n", r.id, r.message, r.output));
    }
    eprintln!("{}", summary.line());
    assert_eq!(summary.failed(), 0, "{report}");
    assert!(summary.passed() > 0);
}
