//! Native modules of `codexvm test`: what its fixtures drive (the native host, the built
//! canister module, the test session). Only a test session's interpreter has them.

pub mod testcanister;
pub mod testhost;
pub mod testsession;

use crate::py::native::ModuleDef;
use crate::py::{PyError, Runtime};

/// This thread's interpreter for a test session, booted with the tasks layer's native modules and
/// the fixtures' if it was not yet.
pub(crate) fn test_runtime() -> Result<&'static Runtime, PyError> {
    let mut opts = crate::tasks::native::boot_options();
    let fixtures: [ModuleDef; 3] =
        [testcanister::_testcanister::module_def, testhost::_testhost::module_def, testsession::_testsession::module_def];
    opts.modules.extend(fixtures);
    Runtime::install(&opts)
}
