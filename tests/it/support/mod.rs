//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use codexvm::py::{Codex, RunOptions};
use codexvm::store::{self, FileMemory, Store};
use codexvm::tasks::{self, Execution};

pub mod canister;
pub mod ic;
#[cfg(feature = "pocketic")]
pub mod pocketic;
pub mod scenarios;
pub mod task_clock;

/// Runs `f` on a thread with a large stack (RustPython recurses on the native stack).
pub fn in_vm<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new().stack_size(256 << 20).spawn(f).expect("spawn").join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Installs an empty in-memory store on this thread.
pub fn fresh_store() {
    store::global::install(Store::open(FileMemory::in_memory()));
}

/// Runs `source` as a codex named `<test>` in a transaction.
pub fn run(source: &str) -> Execution {
    tasks::execute(Codex { source, filename: "<test>" }, &RunOptions::default()).expect("execute")
}

/// Runs `source` and returns its result JSON, panicking with the traceback if it raised.
pub fn result_of(source: &str) -> String {
    let x = run(source);
    match x.outcome.result {
        Ok(j) => j,
        Err(e) => panic!("codex raised:\n{}", e.traceback),
    }
}

/// Runs the `codexvm` binary with `args` on the state file `state`.
pub fn codexvm(args: &[&str], state: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_codexvm")).args(args).arg("--state").arg(state).output().expect("run codexvm")
}

/// Path of a file in the repository.
pub fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A codex that imports every native module the interpreter registers, and shows that the
/// modules left out of the build (`scripts/patch-deps`) are cleanly missing.
pub fn native_modules_check() -> String {
    let names: Vec<String> = codexvm::py::STDLIB_NATIVE.iter().map(|m| format!("{m:?}")).collect();
    format!(
        "import importlib\nfor m in [{}]:\n    importlib.import_module(m)\nmissing = []\n\
         for m in ['zlib', '_csv', 'pyexpat', '_pickle', '_codecs_jp', '_multibytecodec', '_asyncio', '_lzma', '_bz2']:\n\
         \x20   try:\n        importlib.import_module(m)\n    except ModuleNotFoundError:\n        missing.append(m)\n\
         result = missing\n",
        names.join(", ")
    )
}

/// What [`native_modules_check`] returns.
pub const NATIVE_MODULES_MISSING: &str =
    r#"["zlib", "_csv", "pyexpat", "_pickle", "_codecs_jp", "_multibytecodec", "_asyncio", "_lzma", "_bz2"]"#;

/// A task whose alias entry the routes of [`key_attacks`] aim at.
pub const KEY_VICTIM: &str =
    "from kybra_simple_db import String\nclass V(TaskEntity):\n    __alias__ = 'k'\n    k = String()\nV(k='a')\nresult = 'victim ran'";

/// Codexes of tasks `attacker0`, `attacker1`, ... that call the native store and runtime
/// directly, each with the error that must stop it: alias keys of other namespaces and of the
/// task model, bounds wider than the default store's, and start-up registrations.
pub fn key_attacks() -> Vec<(String, &'static str)> {
    let db = "from kybra_simple_db import entity\n_db = entity._db\nT = (1, 100, 10000)\n";
    vec![
        (format!("{db}_db.save_entity(T, 'task_attacker0::V', '9', {{}}, 1, 'task_victim::V_alias', 'a')"), "PermissionError"),
        (format!("{db}_db.save_entity(T, 'task_attacker1::V', '9', {{}}, 1, 'Task_alias', 'victim')"), "PermissionError"),
        (format!("{db}_db.put(T, 'task_victim::V_alias@a', '\"9\"')"), "PermissionError"),
        (format!("{db}_db.put((1, 10**6, 10**6), 'task_attacker3::V@1', '\"' + 'x' * 20000 + '\"')"), "ValueError"),
        (format!("{db}_db.save_entity((1, 10**6, 10**6), 'task_attacker4::V', '1', {{'k': 'x' * 20000}}, 1, None, None)"), "ValueError"),
        (format!("{db}_db.bind(*[print] * 7)"), "PermissionError: the entity engine's binding is set once"),
        (
            "import codexvm.budget as b\nclass Mine(BaseException):\n    pass\nb._ic.set_budget_exception(Mine)".to_owned(),
            "PermissionError: the budget's exception class is set once",
        ),
        ("import codexvm.budget as b\nb._ic.set_budget_exception(ValueError)".to_owned(), "PermissionError"),
    ]
}

/// A controller's codex reading what [`key_attacks`] aimed at.
pub const KEY_VICTIM_CHECK: &str = "import _db\nfrom ggg import Task\nT = (1, 100, 10000)\n\
    result = [_db.get(T, 'task_victim::V_alias@a'), _db.get(T, 'Task_alias@victim') is not None, Task['victim'].name,\
    max(len(v) for k, v in _db.scan(T, None, 100000))]";

/// Checks the result of [`KEY_VICTIM_CHECK`]: the victim's alias still points at its own
/// entity, the task model's index is intact, and the default store holds nothing over its bounds.
pub fn check_key_victim(after: &str) {
    let parsed: serde_json::Value = serde_json::from_str(after).unwrap();
    assert_eq!(parsed[0], "\"1\"", "{after}");
    assert_eq!(parsed[1], true, "{after}");
    assert_eq!(parsed[2], "victim", "{after}");
    assert!(parsed[3].as_u64().unwrap() <= 10_000, "{after}");
}

/// A codex that catches `BudgetExceeded` and finishes: what it wrote is not kept.
pub const SWALLOWS_BUDGET: &str = "from kybra_simple_db import String\nclass Row(TaskEntity):\n    k = String()\nRow(k='first')\ntry:\n    while True:\n        Row(k='x' * 10)\nexcept BaseException:\n    pass\nresult = 'finished'";

/// A temporary directory for the `codexvm` binary: a state file path and codex files in it.
pub struct Workdir {
    dir: tempfile::TempDir,
    /// The state file (`--state`).
    pub state: std::path::PathBuf,
}

impl Workdir {
    /// An empty directory, its state file not yet created.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("s.stable");
        Workdir { dir, state }
    }

    /// Writes `code` to `name` (directories made as needed) and returns its path.
    pub fn codex(&self, name: &str, code: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a file name")).expect("mkdir");
        std::fs::write(&path, code).expect("write a codex");
        path.to_str().expect("a UTF-8 path").to_owned()
    }
}

/// Compiles source nested past the parser's and the compiler's limits, one construct at a time,
/// and maps each to the exception it raised: the result `DEEP_NESTING_RAISED` says they all
/// raise (none overflows a fixed stack, as the canister's is).
pub const DEEP_NESTING: &str = "\
cases = [
    ('unary', '-' * 4000 + '1'),
    ('not', 'not ' * 4000 + '1'),
    ('power', 'x' + '**x' * 4000),
    ('lambda', 'lambda: ' * 4000 + '1'),
    ('conditional', '1' + ' if 1 else 1' * 4000),
    ('parentheses', '(' * 4000 + '1' + ')' * 4000),
    ('unary, 100,000 deep', '-' * 100000 + '1'),
]
result = {}
for name, src in cases:
    try:
        compile(src, '<deep>', 'eval')
        result[name] = 'compiled'
    except Exception as e:
        result[name] = type(e).__name__
for name, run in [('eval', eval), ('exec', exec)]:
    try:
        run('-' * 4000 + '1')
        result[name] = 'ran'
    except Exception as e:
        result[name] = type(e).__name__
";

/// What `DEEP_NESTING` finds. CPython 3.11 raises the same, except `MemoryError` where its
/// parser's own stack runs out first (power, lambda, 100,000 deep); parentheses stop at 200 levels
/// in both.
pub const DEEP_NESTING_RAISED: &str = "{\"unary\": \"RecursionError\", \"not\": \"RecursionError\", \"power\": \"RecursionError\", \
\"lambda\": \"RecursionError\", \"conditional\": \"RecursionError\", \"parentheses\": \"SyntaxError\", \
\"unary, 100,000 deep\": \"RecursionError\", \"eval\": \"RecursionError\", \"exec\": \"RecursionError\"}";

/// Builds and drops structures nested 200,000 deep (objects with a `__dict__` each, lists,
/// dicts, tuples): freeing them must not recurse once per level.
pub const DEEP_STRUCTURES: &str = "\
class N:
    pass
a = N()
for i in range(200000):
    b = N()
    b.x = a
    a = b
del a, b
freed = ['objects']
for make in (lambda x: [x], lambda x: {'x': x}, lambda x: (x,)):
    v = None
    for i in range(200000):
        v = make(v)
    del v
    freed.append(make.__name__)
result = len(freed)
";
