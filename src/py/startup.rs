//! Start-up: what the runtime registers once, while the interpreter boots, and refuses after.

thread_local! {
    static BOOTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A setting of the whole interpreter was asked for after start-up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0} is set once, at start-up, and cannot be changed by a codex")]
pub struct AfterBoot(pub &'static str);

/// Ends start-up: what the runtime registers once (the entity engine's callbacks, the class
/// raised at the end of a budget) cannot be registered again.
pub(crate) fn end_boot() {
    BOOTED.with(|b| b.set(true));
}

/// True while the interpreter starts up (before the first execution).
pub(crate) fn booting() -> bool {
    !BOOTED.with(|b| b.get())
}

/// Refuses `what` (a process-wide registration) once start-up has ended.
pub fn check_boot(what: &'static str) -> Result<(), AfterBoot> {
    if booting() {
        Ok(())
    } else {
        Err(AfterBoot(what))
    }
}
