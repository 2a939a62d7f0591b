//! Interned Python names the native entity engine reads and writes, made once per interpreter:
//! an interned `str` carries its hash, so dict and attribute lookups with it neither allocate
//! nor hash the text again.

use std::cell::Cell;

use rustpython_vm::builtins::PyStrInterned;
use rustpython_vm::VirtualMachine;

macro_rules! names {
    ($($field:ident = $text:literal),* $(,)?) => {
        /// Interned attribute and key names (field `x` holds the text given beside it).
        pub struct Names {
            $(#[doc = $text] pub $field: &'static PyStrInterned,)*
        }

        impl Names {
            fn new(vm: &VirtualMachine) -> Self {
                Self { $($field: vm.ctx.intern_str($text),)* }
            }
        }
    };
}

names! {
    type_ = "_type",
    id = "_id",
    loaded = "_loaded",
    counted = "_counted",
    relations = "_relations",
    do_not_save = "_do_not_save",
    hydrating = "_hydrating",
    timestamp_created = "_timestamp_created",
    timestamp_updated = "_timestamp_updated",
    creator = "_creator",
    updater = "_updater",
    owner = "_owner",
    instance = "_instance",
    entity_types = "_entity_types",
    register_entity_type = "register_entity_type",
    current_caller = "_current_caller",
    current_time_ms = "_current_time_ms",
    schema = "_codexvm_schema",
    new = "__new__",
}

thread_local! {
    /// The names of the interpreter that made them (keyed by its context's address).
    static NAMES: Cell<Option<(usize, &'static Names)>> = const { Cell::new(None) };
}

/// The interned names of `vm`'s interpreter.
pub fn names(vm: &VirtualMachine) -> &'static Names {
    let ctx = &*vm.ctx as *const _ as usize;
    NAMES.with(|n| match n.get() {
        Some((c, names)) if c == ctx => names,
        _ => {
            // One small table per interpreter (a process makes one, or a few in tests).
            let made: &'static Names = Box::leak(Box::new(Names::new(vm)));
            n.set(Some((ctx, made)));
            made
        }
    })
}
