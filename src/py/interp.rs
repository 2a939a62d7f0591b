//! The interpreter: built once per process (natively) or per canister instance (in `init` and
//! `post_upgrade`), then shared by every execution.

use std::cell::OnceCell;

use rustpython_vm::{Interpreter, PyResult, Settings, VirtualMachine};

use super::{frozen, native, PyError};

/// Native modules of RustPython's stdlib crate that codexes may use. Everything else
/// (sockets, mmap, subprocesses, compression, ...) is left out of the interpreter, and
/// `scripts/patch-deps` keeps the modules this list does not name out of the build.
pub const STDLIB_NATIVE: &[&str] = &[
    "array",
    "binascii",
    "_bisect",
    "_blake2",
    "cmath",
    "_contextvars",
    "_hashlib",
    "_heapq",
    "_json",
    "math",
    "_md5",
    "_opcode",
    "_random",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_statistics",
    "_struct",
    "_suggestions",
    "_tokenize",
    "unicodedata",
];

/// Modules imported when the interpreter is built, so that no execution pays for a first import
/// (a first `import json, datetime, re, collections, dataclasses` costs ~0.7 B instructions in the
/// canister; a repeated one ~0.5 M).
pub const PRELOAD: &[&str] = &[
    "json",
    "datetime",
    "time",
    "math",
    "random",
    "re",
    "collections",
    "itertools",
    "functools",
    "traceback",
    "base64",
    "hashlib",
    "uuid",
    "typing",
    "dataclasses",
    "enum",
    "io",
    "contextlib",
    "pprint",
    "weakref",
    "copy",
    "string",
    "abc",
    "operator",
    "struct",
    "binascii",
    "heapq",
    "bisect",
    "decimal",
    "textwrap",
    "statistics",
    "kybra",
    "kybra_simple_logging",
    "kybra_simple_db",
    "ggg",
    "core.execution",
    "core.task_manager",
    "codexvm.api",
    "codexvm.realms_api",
    "codexvm.batch",
    "codexvm.asyncdrive",
    "_codexvm",
];

/// The deepest Python recursion allowed (the default limit and the most `sys.setrecursionlimit`
/// accepts): well below what exhausts the canister's stack, so a runaway recursion raises
/// `RecursionError` instead of trapping.
pub const MAX_RECURSION_LIMIT: usize = 1000;

/// Tracked allocations between two collections of the young generation (CPython and RustPython
/// use 2,000). An execution's objects mostly die together when the next one starts, so
/// collecting every 2,000 allocations mostly re-scans live objects: about 8,000 instructions per
/// entity loaded in the canister. At 10,000 a message of a thousand entity operations does not
/// collect, while the cyclic garbage that executions leave behind is still collected every few
/// hundred executions (`tests/it/canister/heap.rs`).
pub const GC_YOUNG_THRESHOLD: u32 = 10_000;

/// How to build the interpreter.
#[derive(Debug, Clone)]
pub struct BootOptions {
    /// Modules to import up front.
    pub preload: Vec<&'static str>,
    /// Native modules of the layers above (`_runtime`, the test fixtures' modules).
    pub modules: Vec<native::ModuleDef>,
}

impl Default for BootOptions {
    fn default() -> Self {
        Self { preload: PRELOAD.to_vec(), modules: Vec::new() }
    }
}

/// The shared interpreter.
pub struct Runtime {
    interpreter: Interpreter,
}

thread_local! {
    static RUNTIME: OnceCell<&'static Runtime> = const { OnceCell::new() };
}

impl Runtime {
    /// Builds an interpreter with our modules and runs the boot imports.
    pub fn new(opts: &BootOptions) -> Result<Runtime, PyError> {
        let mut settings = Settings::default();
        settings.import_site = false;
        settings.ignore_environment = true;
        settings.isolated = true;
        settings.safe_path = true;
        settings.user_site_directory = false;
        settings.hash_seed = Some(0); // deterministic, and no randomness needed to start
        settings.argv = vec!["codexvm".to_owned()];
        let builder = Interpreter::builder(settings);
        let mut defs: Vec<_> =
            rustpython_stdlib::stdlib_module_defs(&builder.ctx).into_iter().filter(|d| STDLIB_NATIVE.contains(&d.name.as_str())).collect();
        defs.extend(native::module_defs(&builder.ctx));
        defs.extend(opts.modules.iter().map(|def| def(&builder.ctx)));
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.init_hook(|vm| crate::host::watchdog::install(vm, super::dbaccess::on_over_budget));
        let mut builder = builder
            .add_native_modules(&defs)
            .add_frozen_modules(frozen::STDLIB)
            .add_frozen_modules(frozen::SHIMS)
            .add_frozen_modules(frozen::PYLIB);
        if let Some(testlib) = frozen::TESTLIB {
            builder = builder.add_frozen_modules(testlib);
        }
        let interpreter = builder.build();
        let rt = Runtime { interpreter };
        rt.enter(|vm| -> PyResult<()> {
            vm.recursion_limit.set(MAX_RECURSION_LIMIT);
            vm.state.gc.set_threshold(GC_YOUNG_THRESHOLD, None, None);
            vm.import("_icboot", 0)?;
            for m in &opts.preload {
                vm.import(*m, 0)?;
            }
            if opts.preload.contains(&"_codexvm") {
                vm.import("_codexvm", 0)?.get_attr("warm_schemas", vm)?.call((), vm)?;
            }
            // The start-up objects live as long as the interpreter: one full collection moves
            // them to the old generation, out of the young one's count and scans.
            vm.import("gc", 0)?.get_attr("collect", vm)?.call((), vm)?;
            // What is recorded as pristine is the state an execution starts from.
            if opts.preload.contains(&"_codexvm") {
                vm.import("_codexvm", 0)?.get_attr("begin_execution", vm)?.call((), vm)?;
            }
            super::pristine::record(vm)?;
            super::startup::end_boot();
            Ok(())
        })
        .map_err(|e| rt.enter(|vm| PyError::from_exception(vm, &e, None, "<boot>")))?;
        Ok(rt)
    }

    /// Runs `f` inside the interpreter.
    pub fn enter<R>(&self, f: impl FnOnce(&VirtualMachine) -> R) -> R {
        self.interpreter.enter(f)
    }

    /// Boots this thread's interpreter (once) and returns it. The interpreter is leaked on
    /// purpose: dropping it in a thread-local destructor crashes RustPython.
    pub fn install(opts: &BootOptions) -> Result<&'static Runtime, PyError> {
        if let Some(rt) = RUNTIME.with(|c| c.get().copied()) {
            return Ok(rt);
        }
        let rt: &'static Runtime = Box::leak(Box::new(Runtime::new(opts)?));
        RUNTIME.with(|c| {
            let _ = c.set(rt);
        });
        Ok(rt)
    }

    /// This thread's interpreter, if it was booted.
    pub fn current() -> Option<&'static Runtime> {
        RUNTIME.with(|c| c.get().copied())
    }

    /// Re-seeds Python's `random` from the runtime's random source (after it was re-keyed).
    pub fn reseed_random(&self) -> Result<(), PyError> {
        self.enter(|vm| {
            let r = vm.import("random", 0).and_then(|m| {
                let seed = m.get_attr("seed", vm)?;
                seed.call((vm.ctx.none(),), vm).map(drop)
            });
            r.map_err(|e| PyError::from_exception(vm, &e, None, "<seed>"))
        })
    }
}
