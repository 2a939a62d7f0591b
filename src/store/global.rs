//! The store this thread's executions run on (one per process natively, one per canister).

use std::cell::RefCell;

use super::{HostMemory, Store};

thread_local! {
    static STORE: RefCell<Option<Store<HostMemory>>> = const { RefCell::new(None) };
}

/// Error returned when no store has been opened on this thread.
#[derive(Debug, thiserror::Error)]
#[error("no store is open (call store::global::install first)")]
pub struct NotOpen;

/// Makes `store` this thread's store, returning the previous one.
pub fn install(store: Store<HostMemory>) -> Option<Store<HostMemory>> {
    STORE.with(|s| s.borrow_mut().replace(store))
}

/// Removes and returns this thread's store.
pub fn take() -> Option<Store<HostMemory>> {
    STORE.with(|s| s.borrow_mut().take())
}

/// Runs `f` on this thread's store.
pub fn with<R>(f: impl FnOnce(&mut Store<HostMemory>) -> R) -> Result<R, NotOpen> {
    STORE.with(|s| s.borrow_mut().as_mut().map(f).ok_or(NotOpen))
}

/// True if a store is open on this thread.
pub fn is_open() -> bool {
    STORE.with(|s| s.borrow().is_some())
}
