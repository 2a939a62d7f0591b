//! Native modules of this layer, given to the interpreter at boot ([`boot_options`]).

pub mod runtime;

use crate::py::BootOptions;

/// The interpreter's boot options with this layer's native modules.
pub fn boot_options() -> BootOptions {
    BootOptions { modules: vec![runtime::_runtime::module_def], ..BootOptions::default() }
}
