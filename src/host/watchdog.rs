//! Natively, a thread that stops a task's codex over its instruction budget even when it never
//! calls the runtime (a pure-Python loop checks nothing): it asks the interpreter's eval breaker
//! to run the budget check at its next bytecode instruction, again every few milliseconds while
//! the execution stays over. Past the 40 B limit of a whole message — a codex that keeps
//! swallowing `BudgetExceeded` — the process exits, as the canister would trap; the state file
//! keeps its last committed state. (The canister needs none of this: the IC meters every
//! instruction and stops the message at its limit.) What runs in the interpreter is the
//! interpreter layer's: it hands it over with [`install`].

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

use rustpython_vm::signal::{user_signal_channel, UserSignalSender};
use rustpython_vm::{PyResult, VirtualMachine};

use super::native::INSTRUCTIONS_PER_NS;

/// How often the watchdog looks.
const PERIOD: Duration = Duration::from_millis(5);

/// What runs in the interpreter's thread, at its next instruction, while an execution is over its
/// budget: it raises the budget's exception, or ends the process past the message limit.
pub type OnOverBudget = fn(&VirtualMachine) -> PyResult<()>;

struct Watch {
    clock: libc::clockid_t,
    start_ns: u64,
    budget_ns: u64,
    sender: UserSignalSender,
    on_over: OnOverBudget,
}

static WATCHES: OnceLock<Mutex<HashMap<ThreadId, Watch>>> = OnceLock::new();

/// The executions being watched (starting the watchdog thread on first use).
fn watches() -> &'static Mutex<HashMap<ThreadId, Watch>> {
    WATCHES.get_or_init(|| {
        std::thread::Builder::new().name("codexvm-watchdog".into()).spawn(watch_loop).expect("spawn the watchdog thread");
        Mutex::new(HashMap::new())
    })
}

thread_local! {
    static SENDER: std::cell::RefCell<Option<(UserSignalSender, OnOverBudget)>> = const { std::cell::RefCell::new(None) };
}

/// Connects this thread's interpreter to the watchdog (from an interpreter init hook), which
/// runs `on_over` in it while an execution is over its budget.
pub fn install(vm: &mut VirtualMachine, on_over: OnOverBudget) {
    let (tx, rx) = user_signal_channel();
    vm.set_user_signal_channel(rx);
    SENDER.with(|s| *s.borrow_mut() = Some((tx, on_over)));
}

fn cpu_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    (unsafe { libc::clock_gettime(clock, &mut ts) } == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Starts watching this thread's execution against `budget` instructions (from now).
pub fn arm(budget: u64) {
    let Some((sender, on_over)) = SENDER.with(|s| s.borrow().clone()) else { return };
    let mut clock: libc::clockid_t = 0;
    // SAFETY: pthread_self is this thread; the call writes the clock id we own.
    if unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) } != 0 {
        return;
    }
    let Some(start_ns) = cpu_ns(clock) else { return };
    let watch = Watch { clock, start_ns, budget_ns: budget / INSTRUCTIONS_PER_NS, sender, on_over };
    watches().lock().expect("watchdog lock").insert(std::thread::current().id(), watch);
}

/// Stops watching this thread.
pub fn disarm() {
    if let Some(w) = WATCHES.get() {
        w.lock().expect("watchdog lock").remove(&std::thread::current().id());
    }
}

fn watch_loop() {
    loop {
        std::thread::sleep(PERIOD);
        let w = watches().lock().expect("watchdog lock");
        for watch in w.values() {
            let Some(now) = cpu_ns(watch.clock) else { continue };
            if now.saturating_sub(watch.start_ns) > watch.budget_ns {
                // Runs in the interpreter's thread, at its next instruction.
                let _ = watch.sender.send(Box::new(watch.on_over));
            }
        }
    }
}
