//! The host used natively: a system or manual clock and fixed identities.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use candid::Principal;

use super::Host;

/// Wasm instructions the canister executes per nanosecond of native CPU time, used to estimate
/// `performance_counter` natively (RustPython's 10k-object benchmark: 1.04 B instructions in the
/// canister, about 68 ms natively).
pub const INSTRUCTIONS_PER_NS: u64 = 15;

/// Where native time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock.
    System,
    /// A clock that only moves when told to (nanoseconds since the epoch).
    Manual(u64),
}

/// A scripted answer of another canister.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Reply with these Candid bytes.
    Ok(Vec<u8>),
    /// Reject with this code and message.
    Reject(u32, String),
}

/// A call the codex made, as the native host saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The callee.
    pub canister: Principal,
    /// The method.
    pub method: String,
    /// Candid argument bytes.
    pub args: Vec<u8>,
    /// Cycles attached.
    pub cycles: u128,
}

/// The native host.
#[derive(Debug)]
pub struct NativeHost {
    clock: Cell<Clock>,
    replies: RefCell<HashMap<(Principal, String), Reply>>,
    calls: RefCell<Vec<CallRecord>>,
    /// Principal reported by `ic.id()`.
    pub canister_id: Principal,
    /// Principal reported by `ic.caller()`.
    pub caller: Principal,
    cpu_start_ns: Cell<u64>,
}

impl Default for NativeHost {
    fn default() -> Self {
        Self::new(Clock::System)
    }
}

impl NativeHost {
    /// A native host on the given clock, with the local-replica style ids used by `dfx`.
    pub fn new(clock: Clock) -> Self {
        Self {
            clock: Cell::new(clock),
            canister_id: Principal::from_text("bkyz2-fmaaa-aaaaa-qaaaq-cai").expect("valid principal"),
            caller: Principal::anonymous(),
            cpu_start_ns: Cell::new(thread_cpu_ns()),
            replies: RefCell::new(HashMap::new()),
            calls: RefCell::new(Vec::new()),
        }
    }

    /// Scripts how `canister` answers calls to `method`.
    pub fn set_reply(&self, canister: Principal, method: &str, reply: Reply) {
        self.replies.borrow_mut().insert((canister, method.to_owned()), reply);
    }

    /// The calls made so far.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.borrow().clone()
    }

    /// Forgets the calls made so far.
    pub fn clear_calls(&self) {
        self.calls.borrow_mut().clear();
    }

    /// Sets the clock.
    pub fn set_clock(&self, clock: Clock) {
        self.clock.set(clock);
    }

    /// Moves a manual clock forward (a system clock is switched to manual at its current time).
    pub fn advance(&self, ns: u64) {
        let now = self.time_ns();
        self.clock.set(Clock::Manual(now.saturating_add(ns)));
    }
}

impl Host for NativeHost {
    fn time_ns(&self) -> u64 {
        match self.clock.get() {
            Clock::Manual(t) => t,
            Clock::System => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0),
        }
    }

    fn canister_id(&self) -> Principal {
        self.canister_id
    }

    fn caller(&self) -> Principal {
        self.caller
    }

    fn performance_counter(&self, _kind: u32) -> u64 {
        thread_cpu_ns().saturating_sub(self.cpu_start_ns.get()).saturating_mul(INSTRUCTIONS_PER_NS)
    }

    fn start_message(&self) {
        self.cpu_start_ns.set(thread_cpu_ns());
    }

    fn cycle_balance(&self) -> u128 {
        100_000_000_000_000 // what a fresh local canister shows (100 T cycles)
    }

    fn call(&self, canister: Principal, method: &str, args: &[u8], cycles: u128) -> Result<Vec<u8>, (u32, String)> {
        self.calls.borrow_mut().push(CallRecord { canister, method: method.to_owned(), args: args.to_vec(), cycles });
        if let Some(r) = self.replies.borrow().get(&(canister, method.to_owned())) {
            return match r {
                Reply::Ok(b) => Ok(b.clone()),
                Reply::Reject(c, m) => Err((*c, m.clone())),
            };
        }
        if canister == Principal::management_canister() && method == "raw_rand" {
            return Ok(candid::encode_one(super::rng::bytes(32)).expect("encode a blob"));
        }
        Err((3, format!("no canister {canister} answers '{method}' natively; script a reply (the ic_calls fixture)")))
    }

    fn native(&self) -> Option<&NativeHost> {
        Some(self)
    }

    fn debug_print(&self, line: &str) {
        // `ic.print` lines are already captured with the execution's output; echo them only
        // when asked (like a replica's debug log).
        if std::env::var_os("CODEXVM_DEBUG_PRINT").is_some() {
            eprintln!("{line}");
        }
    }
}

/// CPU time consumed by this thread, in nanoseconds (0 where there is no such clock).
#[cfg(target_arch = "wasm32")]
fn thread_cpu_ns() -> u64 {
    0
}

/// CPU time consumed by this thread, in nanoseconds.
#[cfg(not(target_arch = "wasm32"))]
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
