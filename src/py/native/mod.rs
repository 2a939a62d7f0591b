//! Native modules the runtime adds to the interpreter, one per file.

pub mod db;
pub mod ic;
pub mod runtime;
pub mod stable;
#[cfg(not(target_arch = "wasm32"))]
pub mod testcanister;
pub mod testhost;
#[cfg(not(target_arch = "wasm32"))]
pub mod testsession;

use rustpython_vm::builtins::PyModuleDef;
use rustpython_vm::Context;

/// The definitions of every native module of ours.
pub fn module_defs(ctx: &Context) -> Vec<&'static PyModuleDef> {
    #[allow(unused_mut)]
    let mut defs = vec![
        db::_db::module_def(ctx),
        ic::_ic::module_def(ctx),
        runtime::_runtime::module_def(ctx),
        stable::_stable::module_def(ctx),
        testhost::_testhost::module_def(ctx),
    ];
    #[cfg(not(target_arch = "wasm32"))]
    defs.push(testcanister::_testcanister::module_def(ctx));
    #[cfg(not(target_arch = "wasm32"))]
    defs.push(testsession::_testsession::module_def(ctx));
    defs
}
