//! The heap allowance of an execution. The global allocator counts the bytes each thread holds;
//! while an execution runs, growing them past its allowance stops it the way the platform stops
//! a message that runs out of instructions: in the canister with a trap (the replica undoes all
//! the message did), natively by ending the process with the same message (the store's journal
//! keeps nothing of an unfinished execution).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Default allowance: how much an execution may grow the heap.
pub const DEFAULT_ALLOWANCE: usize = 1 << 30;

/// Exit status of the native process when an execution exceeded its allowance.
pub const EXIT_HEAP: i32 = 4;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static CEILING: Cell<usize> = const { Cell::new(usize::MAX) };
    static ALLOWANCE: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, metered.
pub struct Metered;

#[global_allocator]
static GLOBAL: Metered = Metered;

fn grow(by: usize) {
    // `try_with`: a thread's locals may already be gone while it exits.
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(by);
        live.set(now);
        if now > CEILING.with(Cell::get) {
            over(by);
        }
    });
}

fn shrink(by: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(by)));
}

#[cold]
fn over(asked: usize) -> ! {
    CEILING.with(|c| c.set(usize::MAX)); // what follows may allocate
    let msg = format!(
        "the execution used more than its heap allowance of {} MiB (asking for {asked} more bytes); nothing it did is kept",
        ALLOWANCE.with(Cell::get) >> 20
    );
    stop(&msg)
}

#[cfg(target_arch = "wasm32")]
fn stop(msg: &str) -> ! {
    ic_cdk::trap(msg)
}

#[cfg(not(target_arch = "wasm32"))]
fn stop(msg: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "codexvm: {msg}");
    std::process::exit(EXIT_HEAP)
}

unsafe impl GlobalAlloc for Metered {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grow(new_size - layout.size());
        } else {
            shrink(layout.size() - new_size);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes this thread holds now.
pub fn live() -> usize {
    LIVE.with(Cell::get)
}

/// Lets the running execution grow the heap by at most `allowance` bytes from now on (`None`:
/// no limit, as for the runtime's own work between executions).
pub fn set_allowance(allowance: Option<usize>) {
    match allowance {
        Some(a) => {
            ALLOWANCE.with(|x| x.set(a));
            CEILING.with(|c| c.set(live().saturating_add(a)));
        }
        None => CEILING.with(|c| c.set(usize::MAX)),
    }
}

#[cfg(test)]
mod tests;
