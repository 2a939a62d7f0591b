//! What a `codexvm test` run reports: one record per outcome, and pytest's closing line.

/// One reported outcome (a test phase, a subtest, a collection problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The node id (`path::[Class::]name[params]`, relative to the rootdir).
    pub id: String,
    /// "passed", "failed", "error", "skipped", "xfailed" or "xpassed".
    pub outcome: String,
    /// The phase: "setup", "call" or "teardown" ("" for collection).
    pub when: String,
    /// Failure explanation or skip reason.
    pub message: String,
    /// What the test printed.
    pub output: String,
}

/// Results of a run, as pytest's terminal summary counts them.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Test outcomes (a test with a failing teardown has two: its own and an error).
    pub results: Vec<TestResult>,
    /// Failed subtests (counted as failures), as `id [description]`.
    pub subtests_failed: Vec<TestResult>,
    /// Passed subtests.
    pub subtests_passed: usize,
    /// Files that could not be collected, with pytest's explanation.
    pub collection_errors: Vec<(String, String)>,
    /// Files skipped as a whole while collected (`pytest.skip(allow_module_level=True)`).
    pub collect_skipped: Vec<(String, String)>,
    /// Collection warnings (`PytestCollectionWarning: ...`).
    pub warnings: Vec<(String, String)>,
    /// Tests deselected by `-k`.
    pub deselected: usize,
    /// "Interrupted: ..." or a usage error, when the run stopped before running tests.
    pub stopped: Option<String>,
    /// pytest's exit status: 0 all passed, 1 failures, 2 interrupted, 4 usage error, 5 nothing collected.
    pub exit_status: u8,
}

impl Summary {
    /// Number of results with this outcome.
    pub fn count(&self, outcome: &str) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Number of passed tests.
    pub fn passed(&self) -> usize {
        self.count("passed")
    }

    /// Number of failed tests and subtests.
    pub fn failed(&self) -> usize {
        self.count("failed") + self.subtests_failed.len()
    }

    /// Number of errors: in set-up or teardown, and in collection.
    pub fn errors(&self) -> usize {
        self.count("error") + self.collection_errors.len()
    }

    /// Number of skipped tests (and files skipped at collection).
    pub fn skipped(&self) -> usize {
        self.count("skipped") + self.collect_skipped.len()
    }

    /// Whether the run would make pytest exit with status 0.
    pub fn ok(&self) -> bool {
        self.exit_status == 0
    }

    /// pytest's closing line: `2 failed, 5 passed, 1 skipped, 1 xfailed, 1 warning, 2 errors`.
    pub fn line(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        let mut push = |n: usize, text: String| {
            if n > 0 {
                parts.push(text);
            }
        };
        push(self.failed(), format!("{} failed", self.failed()));
        push(self.passed(), format!("{} passed", self.passed()));
        push(self.skipped(), format!("{} skipped", self.skipped()));
        push(self.deselected, format!("{} deselected", self.deselected));
        push(self.count("xfailed"), format!("{} xfailed", self.count("xfailed")));
        push(self.count("xpassed"), format!("{} xpassed", self.count("xpassed")));
        push(self.warnings.len(), plural(self.warnings.len(), "warning", "warnings"));
        push(self.errors(), plural(self.errors(), "error", "errors"));
        push(self.subtests_passed, format!("{} subtests passed", self.subtests_passed));
        if parts.is_empty() {
            "no tests ran".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(outcome: &str) -> TestResult {
        TestResult { id: "t".into(), outcome: outcome.into(), when: "call".into(), message: String::new(), output: String::new() }
    }

    #[test]
    fn line_follows_pytest_order_and_plurals() {
        let mut s = Summary::default();
        assert_eq!(s.line(), "no tests ran");
        s.results = vec![r("passed"), r("failed"), r("error"), r("xfailed"), r("skipped"), r("passed")];
        s.warnings.push(("x".into(), "w".into()));
        s.deselected = 3;
        assert_eq!(s.line(), "1 failed, 2 passed, 1 skipped, 3 deselected, 1 xfailed, 1 warning, 1 error");
        s.collection_errors.push(("f.py".into(), "tb".into()));
        assert!(s.line().ends_with("1 warning, 2 errors"));
    }
}
