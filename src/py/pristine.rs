//! The shared modules as they were at start-up, put back after every execution: whatever a
//! codex patched (a module's names, `sys.modules`, a class's attributes, a function's code or
//! defaults, a registry of our own packages) does not reach the runtime's code or the next
//! execution, and nothing has to be re-imported.
//!
//! Unchanged state is recognised by identity in one pass over each namespace (a few million
//! instructions in all); only what differs is written back, through the normal attribute
//! protocol so that classes keep their slots consistent.

use std::cell::{Cell, RefCell};

use rustpython_vm::builtins::{PyDict, PyDictRef, PyFunction, PyList, PyListRef, PyModule, PyStr, PyType, PyTypeRef};
use rustpython_vm::{AsObject, PyObjectRef, PyRef, PyResult, VirtualMachine};

/// Packages whose functions, classes and containers are guarded in depth (the runtime's own
/// Python code and the APIs codexes share); other modules have their names guarded.
const DEEP: &[&str] = &["ggg", "kybra", "kybra_simple_db", "kybra_simple_logging", "core", "codexvm", "_codexvm", "_icboot"];

/// Module globals that hold the runtime's state across executions, not code.
const STATE: &[(&str, &str)] = &[
    ("kybra_simple_logging", "_LOG_SEQUENCE_COUNTER"),
    ("kybra_simple_logging", "_LOG_STORAGE"),
    ("kybra_simple_logging", "_MAX_LOG_ENTRIES"),
    ("kybra_simple_logging", "_LOGGING_ENABLED"),
    ("kybra_simple_logging", "_MEMORY_LOGGING_ENABLED"),
    ("kybra_simple_db.context", "_current_caller"),
];

fn is_deep(module: &str) -> bool {
    DEEP.iter().any(|p| module == *p || module.strip_prefix(p).is_some_and(|rest| rest.starts_with('.')))
}

/// A dict and its entries, in order.
struct DictState {
    dict: PyDictRef,
    entries: Vec<(PyObjectRef, PyObjectRef)>,
    /// Names whose values may change (runtime state).
    free: Vec<&'static str>,
}

/// A class and its attributes.
struct ClassState {
    class: PyTypeRef,
    entries: Vec<(PyObjectRef, PyObjectRef)>,
}

/// A Python function and what can be reassigned on it.
struct FunctionState {
    function: PyRef<PyFunction>,
    code: PyObjectRef,
    defaults: PyObjectRef,
    kwdefaults: PyObjectRef,
    /// The function's version when it last held these: every assignment to `__code__`,
    /// `__defaults__` or `__kwdefaults__` sets it to 0, and a new one is never an old one.
    version: Cell<u32>,
}

/// The start-up state of the shared modules.
pub struct Pristine {
    /// Full restores so far.
    restores: std::cell::Cell<u32>,
    recursion_limit: usize,
    sys_modules: DictState,
    /// Module namespaces.
    dicts: Vec<DictState>,
    /// Dicts and lists our packages keep as module globals or class attributes (registries,
    /// identity maps): an execution's own state while it runs.
    containers: Vec<DictState>,
    lists: Vec<(PyListRef, Vec<PyObjectRef>)>,
    classes: Vec<ClassState>,
    functions: Vec<FunctionState>,
}

thread_local! {
    static PRISTINE: RefCell<Option<Pristine>> = const { RefCell::new(None) };
}

/// Full restores between two walks over all classes' subclass lists.
const PRUNE_EVERY: u32 = 100;

const FUNCTION_ATTRS: [&str; 3] = ["__code__", "__defaults__", "__kwdefaults__"];

impl DictState {
    fn take(dict: PyDictRef, free: Vec<&'static str>) -> Self {
        let entries = dict.items_vec();
        DictState { dict, entries, free }
    }

    fn is_free(&self, key: &PyObjectRef) -> bool {
        !self.free.is_empty() && key.downcast_ref::<PyStr>().is_some_and(|k| self.free.iter().any(|f| k.as_bytes() == f.as_bytes()))
    }

    /// True when the dict holds exactly the recorded entries, in order (state keys aside).
    fn unchanged(&self) -> bool {
        holds_exactly(&self.dict, &self.entries, |k| self.is_free(k))
    }

    /// Puts the recorded entries back and removes added ones (with `code_only`, only where the
    /// old or new value is code); returns whether anything differed.
    fn restore(&self, vm: &VirtualMachine, code_only: bool) -> PyResult<bool> {
        if self.unchanged() {
            return Ok(false);
        }
        for key in self.dict.keys_vec() {
            if !self.entries.iter().any(|(k, _)| k.is(&key)) && !self.is_free(&key) {
                let cur = self.dict.get_item_opt(&*key, vm)?;
                if !code_only || cur.is_some_and(|c| is_code(&c)) {
                    self.dict.del_item(&*key, vm)?;
                }
            }
        }
        for (k, v) in &self.entries {
            if self.is_free(k) && self.dict.get_item_opt(&**k, vm)?.is_some() {
                continue;
            }
            match self.dict.get_item_opt(&**k, vm)? {
                Some(cur) if cur.is(v) => {}
                Some(cur) if code_only && !is_code(&cur) && !is_code(v) => {}
                _ => self.dict.set_item(&**k, v.clone(), vm)?,
            }
        }
        Ok(true)
    }
}

/// True when `dict` holds exactly `entries`, in order and by identity; keys for which `free`
/// holds may have other values.
fn holds_exactly(dict: &PyDict, entries: &[(PyObjectRef, PyObjectRef)], free: impl Fn(&PyObjectRef) -> bool) -> bool {
    if dict.__len__() != entries.len() {
        return false;
    }
    let mut pos = 0;
    for (k, v) in entries {
        let Some((next, key, value)) = dict.next_entry(pos) else { return false };
        if !key.is(k) || !(value.is(v) || free(k)) {
            return false;
        }
        pos = next;
    }
    true
}

/// Functions, classes, descriptors (methods, properties): what a patch replaces to change
/// behaviour, as opposed to the state values an execution keeps.
fn is_code(v: &PyObjectRef) -> bool {
    v.is_callable() || v.class().slots.descr_get.load().is_some()
}

impl ClassState {
    /// True when the class holds exactly the recorded attributes, in order.
    fn unchanged(&self) -> bool {
        let Some(dict) = self.class.attributes.as_dict() else { return true };
        holds_exactly(dict, &self.entries, |_| false)
    }

    fn restore(&self, vm: &VirtualMachine, code_only: bool) -> PyResult<bool> {
        if self.unchanged() {
            return Ok(false);
        }
        let now = self.class.attributes.entries();
        let obj = self.class.as_object();
        for (k, cur) in &now {
            if !self.entries.iter().any(|(k2, _)| k2.is(k)) && (!code_only || is_code(cur)) {
                let name = k.downcast_ref::<PyStr>().ok_or_else(|| vm.new_type_error("attribute name"))?;
                obj.del_attr(name, vm)?;
            }
        }
        for (k, v) in &self.entries {
            let cur = now.iter().find(|(k2, _)| k2.is(k)).map(|(_, v2)| v2);
            let unchanged = cur.is_some_and(|c| c.is(v));
            let state_only = code_only && !is_code(v) && cur.is_some_and(|c| !is_code(c));
            if !unchanged && !state_only {
                let name = k.downcast_ref::<PyStr>().ok_or_else(|| vm.new_type_error("attribute name"))?;
                obj.set_attr(name, v.clone(), vm)?;
            }
        }
        Ok(true)
    }
}

impl FunctionState {
    fn take(function: PyRef<PyFunction>, vm: &VirtualMachine) -> PyResult<Self> {
        let [code, defaults, kwdefaults] = FUNCTION_ATTRS.map(|a| function.as_object().get_attr(a, vm));
        let version = Cell::new(function.get_version_for_current_state());
        Ok(FunctionState { code: code?, defaults: defaults?, kwdefaults: kwdefaults?, function, version })
    }

    fn restore(&self, vm: &VirtualMachine) -> PyResult<bool> {
        // Unchanged since recorded or last restored (0: versions ran out, compare them all).
        let version = self.version.get();
        if version != 0 && self.function.func_version() == version {
            return Ok(false);
        }
        let mut changed = false;
        let function = self.function.as_object();
        for (attr, want) in FUNCTION_ATTRS.iter().zip([&self.code, &self.defaults, &self.kwdefaults]) {
            if !function.get_attr(*attr, vm)?.is(want) {
                function.set_attr(*attr, want.clone(), vm)?;
                changed = true;
            }
        }
        self.version.set(self.function.get_version_for_current_state());
        Ok(changed)
    }
}

/// Functions reachable from a namespace value (plain, static or class methods).
fn functions_in(value: &PyObjectRef, vm: &VirtualMachine, out: &mut Vec<PyRef<PyFunction>>) {
    if let Ok(f) = value.clone().downcast::<PyFunction>() {
        out.push(f);
    } else if let Ok(inner) = value.get_attr("__func__", vm) {
        if let Ok(f) = inner.downcast::<PyFunction>() {
            out.push(f);
        }
    }
}

impl Pristine {
    /// Records the current state of every loaded module (call once, after the preloads).
    pub fn take(vm: &VirtualMachine) -> PyResult<Self> {
        let sys_modules: PyDictRef =
            vm.sys_module.get_attr("modules", vm)?.downcast().map_err(|_| vm.new_type_error("sys.modules is not a dict"))?;
        let mut dicts = Vec::new();
        let mut containers = Vec::new();
        let mut lists = Vec::new();
        let mut classes: Vec<ClassState> = Vec::new();
        let mut functions = Vec::new();
        for (name, module) in sys_modules.items_vec() {
            let Some(m) = module.downcast_ref::<PyModule>() else { continue };
            let name = name.str(vm)?.to_string_lossy().into_owned();
            let deep = is_deep(&name);
            let dict = m.dict();
            let free: Vec<&'static str> = STATE.iter().filter(|(module, _)| *module == name).map(|(_, key)| *key).collect();
            for (_, value) in dict.items_vec() {
                if let Some(cls) = value.downcast_ref::<PyType>() {
                    let owner = cls
                        .as_object()
                        .get_attr("__module__", vm)
                        .ok()
                        .and_then(|m| m.str(vm).ok())
                        .map(|s| s.to_string_lossy().into_owned());
                    let heap = cls.attributes.as_dict().is_some();
                    if heap && owner.as_deref() == Some(name.as_str()) && !classes.iter().any(|c| c.class.is(cls)) {
                        let entries = cls.attributes.entries();
                        if deep {
                            let mut found = Vec::new();
                            for (_, v) in &entries {
                                functions_in(v, vm, &mut found);
                            }
                            for f in found {
                                functions.push(FunctionState::take(f, vm)?);
                            }
                        }
                        classes.push(ClassState { class: cls.to_owned(), entries });
                    }
                } else if deep {
                    let mut found = Vec::new();
                    functions_in(&value, vm, &mut found);
                    for f in found {
                        functions.push(FunctionState::take(f, vm)?);
                    }
                    if let Some(d) = value.downcast_ref::<PyDict>() {
                        containers.push(DictState::take(d.to_owned(), vec![]));
                    } else if let Some(l) = value.downcast_ref::<PyList>() {
                        lists.push((l.to_owned(), l.borrow_vec().to_vec()));
                    }
                }
            }
            dicts.push(DictState::take(dict, free));
        }
        // Registries held as class attributes of our packages (e.g. entity class maps).
        for c in &classes {
            let module =
                c.class.as_object().get_attr("__module__", vm).ok().and_then(|m| m.str(vm).ok()).map(|s| s.to_string_lossy().into_owned());
            if module.as_deref().is_some_and(is_deep) {
                for (_, v) in &c.entries {
                    if let Some(d) = v.downcast_ref::<PyDict>() {
                        containers.push(DictState::take(d.to_owned(), vec![]));
                    } else if let Some(l) = v.downcast_ref::<PyList>() {
                        lists.push((l.to_owned(), l.borrow_vec().to_vec()));
                    }
                }
            }
        }
        Ok(Pristine {
            restores: std::cell::Cell::new(0),
            recursion_limit: vm.recursion_limit.get(),
            sys_modules: DictState::take(sys_modules, vec![]),
            dicts,
            containers,
            lists,
            classes,
            functions,
        })
    }

    /// Puts back everything in `scope` that differs from the recorded state; returns how many
    /// namespaces, classes, containers and functions had changed. Modules imported since are
    /// dropped from `sys.modules` (a codex may have patched them), so the next import loads
    /// them afresh.
    pub fn restore(&self, vm: &VirtualMachine, scope: Restore) -> PyResult<usize> {
        let mut changed = 0;
        // Interpreter settings a codex can change: tracing, profiling, the recursion limit.
        if !vm.is_none(&vm.trace_func.borrow()) || !vm.is_none(&vm.profile_func.borrow()) || vm.use_tracing.get() {
            *vm.trace_func.borrow_mut() = vm.ctx.none();
            *vm.profile_func.borrow_mut() = vm.ctx.none();
            vm.use_tracing.set(false);
            changed += 1;
        }
        if vm.recursion_limit.get() != self.recursion_limit {
            vm.recursion_limit.set(self.recursion_limit);
            changed += 1;
        }
        let code_only = scope == Restore::Code;
        changed += usize::from(self.sys_modules.restore(vm, false)?);
        for d in &self.dicts {
            changed += usize::from(d.restore(vm, code_only)?);
        }
        if code_only {
            return Ok(changed + self.restore_code(vm, true)?);
        }
        for d in &self.containers {
            changed += usize::from(d.restore(vm, false)?);
        }
        for (list, items) in &self.lists {
            let mut cur = list.borrow_vec_mut();
            if cur.len() != items.len() || cur.iter().zip(items).any(|(a, b)| !a.is(b)) {
                *cur = items.clone();
                changed += 1;
            }
        }
        // Walking every class costs more than the rest of a restore, and what accumulates in
        // between is small (a weak reference per class defined), so it is done now and then.
        let n = self.restores.get().wrapping_add(1);
        self.restores.set(n);
        if n.is_multiple_of(PRUNE_EVERY) {
            prune_subclasses(vm);
        }
        Ok(changed + self.restore_code(vm, false)?)
    }

    fn restore_code(&self, vm: &VirtualMachine, code_only: bool) -> PyResult<usize> {
        let mut changed = 0;
        for c in &self.classes {
            changed += usize::from(c.restore(vm, code_only)?);
        }
        for f in &self.functions {
            changed += usize::from(f.restore(vm)?);
        }
        Ok(changed)
    }

    /// How much is guarded: (namespaces and containers, classes, functions).
    pub fn extent(&self) -> (usize, usize, usize) {
        (self.dicts.len() + self.containers.len() + self.lists.len() + 1, self.classes.len(), self.functions.len())
    }
}

/// Drops the dead entries of every class's list of subclasses. A class a codex defines leaves a
/// weak reference behind in each of its bases (`object` at least) that RustPython does not
/// remove when the class dies: about 50 bytes per class per execution, for ever.
fn prune_subclasses(vm: &VirtualMachine) {
    let mut stack: Vec<PyTypeRef> = vec![vm.ctx.types.object_type.to_owned()];
    let mut seen = std::collections::HashSet::new();
    while let Some(t) = stack.pop() {
        if !seen.insert(t.as_object().get_id()) {
            continue;
        }
        let mut subs = t.subclasses.write();
        subs.retain(|w| match w.upgrade() {
            Some(sub) => {
                if let Ok(sub) = sub.downcast::<PyType>() {
                    stack.push(sub);
                }
                true
            }
            None => false,
        });
    }
}

/// Records the start-up state for this thread's interpreter.
pub fn record(vm: &VirtualMachine) -> PyResult<()> {
    let p = Pristine::take(vm)?;
    PRISTINE.with(|s| *s.borrow_mut() = Some(p));
    Ok(())
}

/// What to put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// Everything: between executions.
    All,
    /// Code and names only (modules, classes, functions, interpreter settings), keeping the
    /// registries that hold a suspended execution's own state: between the messages of one
    /// async execution.
    Code,
}

/// Restores the recorded state (nothing when none was recorded); returns how much had changed.
pub fn restore(vm: &VirtualMachine, scope: Restore) -> PyResult<usize> {
    PRISTINE.with(|s| match &*s.borrow() {
        Some(p) => p.restore(vm, scope),
        None => Ok(0),
    })
}

/// How much is guarded, if anything was recorded.
pub fn extent() -> Option<(usize, usize, usize)> {
    PRISTINE.with(|s| s.borrow().as_ref().map(Pristine::extent))
}
