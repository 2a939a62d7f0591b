//! Native modules this layer adds to the interpreter, one per file; the layers above give theirs
//! in [`crate::py::BootOptions::modules`].

pub mod db;
pub mod ic;
pub mod stable;

use rustpython_vm::builtins::PyModuleDef;
use rustpython_vm::Context;

/// How an upper layer adds a native module of its own (given in [`crate::py::BootOptions`]).
pub type ModuleDef = fn(&Context) -> &'static PyModuleDef;

/// The definitions of this layer's native modules.
pub fn module_defs(ctx: &Context) -> Vec<&'static PyModuleDef> {
    vec![db::_db::module_def(ctx), ic::_ic::module_def(ctx), stable::_stable::module_def(ctx)]
}
