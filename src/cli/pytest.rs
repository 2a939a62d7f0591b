//! `codexvm test PATH...`: runs Python test files (pytest and unittest style) inside the
//! interpreter, each test on a fresh, empty store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use rustpython_vm::builtins::PyTuple;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use crate::py::{capture, PyError, Runtime};
use crate::store::{self, FileMemory, Store};

/// Arguments of `codexvm test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// Test files or directories (searched for `test_*.py` and `*_test.py`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Only run tests whose id matches this expression (words with and/or/not).
    #[arg(short = 'k', value_name = "EXPR")]
    pub keyword: Option<String>,
    /// Stop after the first failure.
    #[arg(short = 'x', long = "exitfirst")]
    pub exit_first: bool,
    /// Print every test's result, not only failures.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// Outcome of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// `path::[Class::]name[params]`.
    pub id: String,
    /// "passed", "failed" or "skipped".
    pub outcome: String,
    /// Failure explanation or skip reason.
    pub message: String,
    /// What the test printed.
    pub output: String,
}

/// Results of a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Every test run.
    pub results: Vec<TestResult>,
    /// Files that failed to import, with the traceback.
    pub collection_errors: Vec<(String, String)>,
}

impl Summary {
    fn count(&self, outcome: &str) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Number of passed tests.
    pub fn passed(&self) -> usize {
        self.count("passed")
    }

    /// Number of failed tests (collection errors count as failures).
    pub fn failed(&self) -> usize {
        self.count("failed") + self.collection_errors.len()
    }

    /// Number of skipped tests.
    pub fn skipped(&self) -> usize {
        self.count("skipped")
    }

    /// The closing line: `N passed, N failed` (plus `, N skipped`).
    pub fn line(&self) -> String {
        let mut s = format!("{} passed, {} failed", self.passed(), self.failed());
        if self.skipped() > 0 {
            s.push_str(&format!(", {} skipped", self.skipped()));
        }
        s
    }
}

fn is_test_file(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !name.starts_with('.') && name != "__pycache__" {
                walk(&p, out)?;
            }
        } else if name.ends_with(".py") {
            out.push(p);
        }
    }
    Ok(())
}

fn key(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Reads the sources under `paths`; returns (all sources, test files).
fn gather(paths: &[PathBuf]) -> std::io::Result<(BTreeMap<String, String>, Vec<String>)> {
    let mut sources = BTreeMap::new();
    let mut tests = Vec::new();
    for p in paths {
        let mut files = Vec::new();
        if p.is_dir() {
            walk(p, &mut files)?;
            tests.extend(files.iter().filter(|f| is_test_file(f)).map(|f| key(f)));
        } else {
            if !p.is_file() {
                return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{}: no such file", p.display())));
            }
            tests.push(key(p));
            // Helper modules and conftest.py files next to (and above) the file.
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                walk(dir, &mut files)?;
            }
            files.push(p.clone());
        }
        // conftest.py files in the directories above.
        let mut up = p.parent();
        while let Some(d) = up.filter(|d| !d.as_os_str().is_empty()) {
            let c = d.join("conftest.py");
            if c.is_file() {
                files.push(c);
            }
            up = d.parent();
        }
        for f in files {
            let text = std::fs::read_to_string(&f)?;
            sources.insert(key(&f), text);
        }
    }
    tests.dedup();
    Ok((sources, tests))
}

/// An empty store and a fresh native host (machine clock, no scripted replies, no calls).
fn fresh_store() {
    store::global::install(Store::open(FileMemory::in_memory()));
    crate::host::install(Box::new(crate::host::NativeHost::default()));
}

fn py_err(vm: &VirtualMachine, e: rustpython_vm::builtins::PyBaseExceptionRef) -> PyError {
    PyError::from_exception(vm, &e, None, "<codexvm test>")
}

/// Runs the tests under `paths`, calling `report` after each one.
pub fn run_suite(args: &TestArgs, report: &mut dyn FnMut(&TestResult)) -> Result<Summary, String> {
    let (sources, tests) = gather(&args.paths).map_err(|e| e.to_string())?;
    fresh_store();
    let rt = Runtime::get().map_err(|e| e.to_string())?;
    let (session, ids, errors) = rt
        .enter(|vm| -> PyResult<(PyObjectRef, Vec<String>, Vec<(String, String)>)> {
            let module = vm.import("codexvm_testing", 0)?;
            let src = vm.ctx.new_dict();
            for (k, v) in &sources {
                src.set_item(k.as_str(), vm.ctx.new_str(v.as_str()).into(), vm)?;
            }
            let files: Vec<PyObjectRef> = tests.iter().map(|t| vm.ctx.new_str(t.as_str()).into()).collect();
            let keyword: PyObjectRef = match &args.keyword {
                Some(k) => vm.ctx.new_str(k.as_str()).into(),
                None => vm.ctx.none(),
            };
            let session = module.get_attr("Session", vm)?.call((src, vm.ctx.new_list(files), keyword), vm)?;
            let collected = session.get_attr("collect", vm)?.call((), vm)?;
            let parts = collected.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("collect() must return a tuple"))?;
            let [ids, paths, tbs] = parts.as_slice() else { return Err(vm.new_type_error("collect() returns 3 lists")) };
            let ids: Vec<String> = ids.clone().try_into_value(vm)?;
            let paths: Vec<String> = paths.clone().try_into_value(vm)?;
            let tbs: Vec<String> = tbs.clone().try_into_value(vm)?;
            Ok((session, ids, paths.into_iter().zip(tbs).collect()))
        })
        .map_err(|e| rt.enter(|vm| py_err(vm, e).traceback))?;
    let mut summary = Summary { collection_errors: errors, ..Summary::default() };
    for (i, id) in ids.iter().enumerate() {
        fresh_store();
        store::global::with(|s| s.begin()).expect("store").map_err(|e| e.to_string())?;
        capture::start(capture::DEFAULT_LIMIT);
        let outcome = rt.enter(|vm| -> PyResult<(String, String)> {
            let r = session.get_attr("run", vm)?.call((i,), vm)?;
            let t = r.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("run() must return a tuple"))?;
            Ok((t.as_slice()[0].clone().try_into_value(vm)?, t.as_slice()[1].clone().try_into_value(vm)?))
        });
        let captured = capture::take();
        let _ = store::global::with(|s| s.rollback());
        let (outcome, message) = outcome.unwrap_or_else(|e| ("failed".to_owned(), rt.enter(|vm| py_err(vm, e).traceback)));
        let result = TestResult { id: id.clone(), outcome, message, output: captured.stdout + &captured.stderr };
        report(&result);
        let stop = args.exit_first && result.outcome == "failed";
        summary.results.push(result);
        if stop {
            break;
        }
    }
    Ok(summary)
}

/// The command: prints failures (and with `-v` every result) and the summary line.
pub fn main(args: TestArgs) -> ExitCode {
    let verbose = args.verbose;
    let mut report = |r: &TestResult| {
        if verbose || r.outcome == "failed" {
            println!("{} {}", r.outcome.to_uppercase(), r.id);
        }
        if r.outcome == "failed" {
            for line in r.message.lines() {
                println!("    {line}");
            }
            if !r.output.is_empty() {
                println!("    --- output ---");
                for line in r.output.lines() {
                    println!("    {line}");
                }
            }
        }
    };
    match run_suite(&args, &mut report) {
        Ok(summary) => {
            for (path, tb) in &summary.collection_errors {
                println!("ERROR collecting {path}");
                for line in tb.lines() {
                    println!("    {line}");
                }
            }
            println!("{}", summary.line());
            if summary.failed() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(e) => {
            eprintln!("codexvm test: {e}");
            ExitCode::from(2)
        }
    }
}
