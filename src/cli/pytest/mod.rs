//! `codexvm test [PATH...]`: runs Python test suites (pytest and unittest style) inside the
//! interpreter by pytest's rules — rootdir and ini file (`config`, `ini`), conftest.py files,
//! import modes, collection, fixtures, xunit set-ups (the Python side, `pytesting/`) — on one
//! in-memory store and native host for the session, and prints pytest's summary.

mod config;
mod ini;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use rustpython_vm::builtins::{PyDictRef, PyListRef};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

use crate::cli::native::testsession;
use crate::py::PyError;
use crate::store;

pub use config::{ConfigError, Setup};
pub use summary::{Summary, TestResult};

/// Arguments of `codexvm test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// Files, directories or node ids (`path::Class::test`); by default the ini file's
    /// `testpaths` (when run from the rootdir) or the current directory.
    pub paths: Vec<String>,
    /// Only run tests whose names match this expression (substrings with and/or/not).
    #[arg(short = 'k', value_name = "EXPR")]
    pub keyword: Option<String>,
    /// Stop after the first failure or error.
    #[arg(short = 'x', long = "exitfirst")]
    pub exit_first: bool,
    /// Print every test's outcome, not only the ones that did not pass.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// The rootdir (node ids are relative to it), instead of pytest's rules for finding it.
    #[arg(long, value_name = "DIR")]
    pub rootdir: Option<PathBuf>,
    /// The configuration file, instead of pytest's search for one.
    #[arg(short = 'c', long = "config-file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// How test files are imported: their base directory put first on sys.path, or last.
    #[arg(long = "import-mode", value_name = "MODE", default_value = "prepend", value_parser = ["prepend", "append"])]
    pub import_mode: String,
    /// Run the tests that were collected even when some files failed to collect.
    #[arg(long)]
    pub continue_on_collection_errors: bool,
}

impl TestArgs {
    /// The defaults of the command line, for these paths.
    pub fn new(paths: Vec<String>) -> Self {
        TestArgs {
            paths,
            keyword: None,
            exit_first: false,
            verbose: false,
            rootdir: None,
            config_file: None,
            import_mode: "prepend".to_owned(),
            continue_on_collection_errors: false,
        }
    }
}

/// Options whose values are lists (pytest's `args`/`linelist` types); the rest are text.
const LIST_OPTIONS: &[&str] = &["python_files", "python_classes", "python_functions", "norecursedirs", "testpaths", "usefixtures"];

/// The session's configuration as the Python side reads it.
fn config_dict(vm: &VirtualMachine, setup: &Setup, args: &TestArgs) -> PyResult<PyDictRef> {
    let text = |s: &str| -> PyObjectRef { vm.ctx.new_str(s).into() };
    let path = |p: &std::path::Path| text(&p.to_string_lossy());
    let list = |items: Vec<String>| -> PyObjectRef { vm.ctx.new_list(items.iter().map(|s| text(s)).collect()).into() };
    let d = vm.ctx.new_dict();
    d.set_item("rootdir", path(&setup.rootdir), vm)?;
    d.set_item("inifile", setup.inifile.as_deref().map_or(vm.ctx.none(), path), vm)?;
    d.set_item("confcutdir", path(&setup.confcutdir), vm)?;
    let ini = vm.ctx.new_dict();
    for (key, value) in &setup.ini {
        let v = if LIST_OPTIONS.contains(&key.as_str()) {
            list(config::list_option(Some(value)))
        } else if key == "pythonpath" {
            let base = setup.inifile.as_deref().and_then(|f| f.parent()).unwrap_or(&setup.rootdir);
            list(
                config::list_option(Some(value))
                    .iter()
                    .map(|p| config::absolute(base, std::path::Path::new(p)).to_string_lossy().into_owned())
                    .collect(),
            )
        } else if key == "markers" {
            list(config::lines_option(Some(value)))
        } else {
            match value {
                ini::IniValue::Text(t) => text(t),
                ini::IniValue::List(l) => list(l.clone()),
            }
        };
        ini.set_item(key.as_str(), v, vm)?;
    }
    d.set_item("ini", ini.into(), vm)?;
    let pairs: Vec<PyObjectRef> = setup.args.iter().map(|(p, suffix)| vm.ctx.new_tuple(vec![path(p), text(suffix)]).into()).collect();
    d.set_item("args", vm.ctx.new_list(pairs).into(), vm)?;
    d.set_item("keyword", args.keyword.as_deref().map_or(vm.ctx.none(), text), vm)?;
    d.set_item("exitfirst", vm.ctx.new_bool(args.exit_first).into(), vm)?;
    d.set_item("verbose", vm.ctx.new_int(u8::from(args.verbose)).into(), vm)?;
    d.set_item("import_mode", text(&args.import_mode), vm)?;
    d.set_item("continue_on_collection_errors", vm.ctx.new_bool(args.continue_on_collection_errors).into(), vm)?;
    Ok(d)
}

/// One record the Python side reported.
struct Record {
    kind: String,
    result: TestResult,
}

fn records(vm: &VirtualMachine, batch: PyObjectRef) -> PyResult<Vec<Record>> {
    let list: PyListRef = batch.downcast().map_err(|_| vm.new_type_error("iter_session must yield lists"))?;
    let mut out = Vec::new();
    for rec in list.borrow_vec().iter() {
        let field = |k: &str| -> PyResult<String> { rec.get_item(k, vm)?.str(vm).map(|s| s.to_string_lossy().into_owned()) };
        out.push(Record {
            kind: field("kind")?,
            result: TestResult {
                id: field("nodeid")?,
                outcome: field("outcome")?,
                when: field("when")?,
                message: field("longrepr")?,
                output: field("output")?,
            },
        });
    }
    Ok(out)
}

/// Closes the session's file primitives however the run ends.
struct Active;

impl Active {
    fn open() -> Self {
        testsession::set_active(true);
        Active
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        testsession::set_active(false);
        let _ = store::global::with(|s| s.rollback());
    }
}

/// Runs a test session, calling `report` with each test outcome as it is known.
pub fn run_suite(args: &TestArgs, report: &mut dyn FnMut(&TestResult)) -> Result<Summary, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("the current directory: {e}"))?;
    let setup = config::determine(&cwd, &args.paths, args.config_file.as_deref(), args.rootdir.as_deref()).map_err(|e| e.to_string())?;
    let _active = Active::open();
    testsession::fresh_store()?;
    let rt = crate::cli::native::test_runtime().map_err(|e| e.to_string())?;
    let traceback = |e| rt.enter(|vm| PyError::from_exception(vm, &e, None, "<codexvm test>").traceback);
    let steps = rt
        .enter(|vm| -> PyResult<PyObjectRef> {
            let cfg = config_dict(vm, &setup, args)?;
            vm.import("codexvm_testing", 0)?.get_attr("iter_session", vm)?.call((cfg,), vm)
        })
        .map_err(traceback)?;
    let mut summary = Summary { exit_status: 3, ..Summary::default() };
    loop {
        let batch = rt
            .enter(|vm| -> PyResult<Option<Vec<Record>>> {
                match vm.call_method(&steps, "__next__", ()) {
                    Ok(batch) => records(vm, batch).map(Some),
                    Err(e) if e.fast_isinstance(vm.ctx.exceptions.stop_iteration) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .map_err(traceback)?;
        let Some(batch) = batch else { break };
        for Record { kind, result } in batch {
            match kind.as_str() {
                "test" => {
                    report(&result);
                    summary.results.push(result);
                }
                "subtest" if result.outcome == "subtests passed" => summary.subtests_passed += result.message.parse::<usize>().unwrap_or(0),
                "subtest" => {
                    report(&result);
                    summary.subtests_failed.push(result);
                }
                "collect" if result.outcome == "skipped" => summary.collect_skipped.push((result.id, result.message)),
                "collect" => summary.collection_errors.push((result.id, result.message)),
                "warning" => summary.warnings.push((result.id, result.message)),
                "deselected" => summary.deselected += 1,
                "interrupted" | "usage" => summary.stopped = Some(result.message),
                "exit" => summary.exit_status = result.outcome.parse().unwrap_or(3),
                other => return Err(format!("the test session reported an unknown record kind {other:?}")),
            }
        }
    }
    Ok(summary)
}

fn indented(text: &str) {
    for line in text.lines() {
        println!("    {line}");
    }
}

/// The command: prints what did not pass (with `-v`, every outcome) and pytest's summary line;
/// exits with pytest's status.
pub fn main(args: TestArgs) -> ExitCode {
    let verbose = args.verbose;
    let mut report = |r: &TestResult| {
        let label = match r.outcome.as_str() {
            "xfailed" => "XFAIL".to_owned(),
            "xpassed" => "XPASS".to_owned(),
            o => o.to_uppercase(),
        };
        let problem = matches!(r.outcome.as_str(), "failed" | "error");
        if verbose || r.outcome != "passed" {
            let when = if r.outcome == "error" { format!(" (at {})", r.when) } else { String::new() };
            let reason =
                if !problem && !r.message.is_empty() { format!(" - {}", r.message.lines().next().unwrap_or("")) } else { String::new() };
            println!("{label} {}{when}{reason}", r.id);
        }
        if problem {
            indented(&r.message);
            if !r.output.is_empty() {
                println!("    --- output ---");
                indented(&r.output);
            }
        }
    };
    match run_suite(&args, &mut report) {
        Ok(summary) => {
            for (path, why) in &summary.collection_errors {
                println!("ERROR collecting {path}");
                indented(why);
            }
            for (id, message) in &summary.warnings {
                println!("WARNING {id}: {message}");
            }
            if let Some(note) = &summary.stopped {
                println!("{note}");
            }
            println!("{}", summary.line());
            ExitCode::from(summary.exit_status)
        }
        Err(e) => {
            eprintln!("codexvm test: {e}");
            ExitCode::from(4)
        }
    }
}
