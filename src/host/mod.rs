//! The platform the runtime is hosted on: clock, identities, instruction meter, randomness.
//!
//! The canister implements [`Host`] with the ICP System API (`canister::host`); the native runner
//! and tests use [`NativeHost`] with a system or manual clock. Python reaches the active host
//! through the `_ic` module.

pub mod heap;
mod native;
pub mod rng;
#[cfg(not(target_arch = "wasm32"))]
pub mod watchdog;

use std::cell::RefCell;

/// The instructions one update message may use on the Internet Computer.
pub const MESSAGE_LIMIT: u64 = 40_000_000_000;

pub use candid::Principal;
pub use native::{CallRecord, Clock, NativeHost, Reply};

/// What the runtime needs from the platform.
pub trait Host {
    /// Current time in nanoseconds since the Unix epoch.
    fn time_ns(&self) -> u64;
    /// This canister's principal.
    fn canister_id(&self) -> Principal;
    /// The principal that sent the current message.
    fn caller(&self) -> Principal;
    /// Instructions executed so far in the current message (`kind` 0) or call context (`kind` 1).
    fn performance_counter(&self, kind: u32) -> u64;
    /// Marks the start of a new message (the instruction counter restarts); the IC does this itself.
    fn start_message(&self) {}
    /// The canister's cycle balance.
    fn cycle_balance(&self) -> u128;
    /// Writes a line to the platform's debug log.
    fn debug_print(&self, line: &str);
    /// Ends the current message with a trap (on the IC: all it did is undone). Natively nothing
    /// happens here and the caller raises `kybra.Trap` instead, which rolls the execution back.
    fn trap(&self, _message: &str) {}
    /// Performs an inter-canister call and waits for its reply (native hosts; in the canister
    /// calls are awaited by the executor instead). `Err` is the reject code and message.
    fn call(&self, canister: Principal, method: &str, args: &[u8], cycles: u128) -> Result<Vec<u8>, (u32, String)> {
        let _ = (args, cycles);
        Err((3, format!("this host cannot call {canister} ({method})")))
    }
    /// Arms codex timer `id` to fire `delay_ns` from now (then every `interval_ns`). In the
    /// canister it becomes an IC timer that runs [`crate::tasks::timers::fire`]; natively timers
    /// fire when a test's `timers` fixture fires them.
    fn set_timer(&self, _id: u64, _delay_ns: u64, _interval_ns: Option<u64>) {}
    /// Disarms codex timer `id`.
    fn clear_timer(&self, _id: u64) {}
    /// The native host, for test fixtures that script it (None in the canister).
    fn native(&self) -> Option<&NativeHost> {
        None
    }
}

thread_local! {
    static HOST: RefCell<Box<dyn Host>> = RefCell::new(Box::new(NativeHost::default()));
}

/// Installs `host` as the active host of this thread, returning the previous one.
pub fn install(host: Box<dyn Host>) -> Box<dyn Host> {
    HOST.with(|h| std::mem::replace(&mut *h.borrow_mut(), host))
}

/// Runs `f` with the active host.
pub fn with<R>(f: impl FnOnce(&dyn Host) -> R) -> R {
    HOST.with(|h| f(&**h.borrow()))
}
