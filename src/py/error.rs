//! Python exceptions turned into a Rust error that carries the traceback text.

use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::{AsObject, PyObjectRef, VirtualMachine};

/// An exception raised by Python code (including `SyntaxError` from compiling a codex).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{traceback}")]
pub struct PyError {
    /// The exception's class name, e.g. `"ValueError"`.
    pub type_name: String,
    /// `str(exception)`.
    pub message: String,
    /// The full traceback text, as CPython's `traceback.format_exception` writes it.
    pub traceback: String,
    /// The line of the codex where it was raised (or of the syntax error), if known.
    pub line: Option<u32>,
}

impl PyError {
    /// Describes `exc`; `source` (the codex text) lets the traceback show the codex's lines.
    pub fn from_exception(vm: &VirtualMachine, exc: &PyBaseExceptionRef, source: Option<&str>, filename: &str) -> Self {
        let type_name = exc.class().name().to_string();
        let message = exc.as_object().str(vm).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let traceback = format_with_python(vm, exc, source, filename).unwrap_or_else(|| {
            let mut s = String::new();
            let _ = vm.write_exception(&mut s, exc);
            s
        });
        let line = if type_name == "SyntaxError" || type_name == "IndentationError" || type_name == "TabError" {
            int_attr(vm, exc.as_object().to_owned(), "lineno")
        } else {
            innermost_line(vm, exc, filename)
        };
        Self { type_name, message, traceback, line }
    }

    /// A one-line summary: `Type: message`.
    pub fn summary(&self) -> String {
        if self.message.is_empty() {
            self.type_name.clone()
        } else {
            format!("{}: {}", self.type_name, self.message)
        }
    }
}

fn format_with_python(vm: &VirtualMachine, exc: &PyBaseExceptionRef, source: Option<&str>, filename: &str) -> Option<String> {
    let helper = vm.import("_codexvm", 0).ok()?;
    let f = helper.get_attr("format_exception", vm).ok()?;
    let src: PyObjectRef = match source {
        Some(s) => vm.ctx.new_str(s).into(),
        None => vm.ctx.none(),
    };
    let text = f.call((exc.clone(), vm.ctx.new_str(filename), src), vm).ok()?;
    text.str(vm).ok().map(|s| s.to_string_lossy().into_owned())
}

fn int_attr(vm: &VirtualMachine, obj: PyObjectRef, name: &'static str) -> Option<u32> {
    let v = obj.get_attr(name, vm).ok()?;
    v.try_into_value::<i64>(vm).ok().and_then(|n| u32::try_from(n).ok())
}

/// The line of the last traceback entry that belongs to `filename`.
fn innermost_line(vm: &VirtualMachine, exc: &PyBaseExceptionRef, filename: &str) -> Option<u32> {
    let mut tb = exc.as_object().get_attr("__traceback__", vm).ok()?;
    let mut line = None;
    for _ in 0..10_000 {
        if vm.is_none(&tb) {
            break;
        }
        let file = tb
            .get_attr("tb_frame", vm)
            .and_then(|f| f.get_attr("f_code", vm))
            .and_then(|c| c.get_attr("co_filename", vm))
            .ok()
            .and_then(|n| n.str(vm).ok().map(|s| s.to_string_lossy().into_owned()));
        if file.as_deref() == Some(filename) {
            line = int_attr(vm, tb.clone(), "tb_lineno").or(line);
        }
        tb = tb.get_attr("tb_next", vm).ok()?;
    }
    line
}
