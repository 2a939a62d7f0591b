//! Codex timers (`ic.set_timer`, `ic.set_timer_interval`) as IC timers: each fires in a message
//! of its own and runs the callback through [`crate::tasks::timers::fire`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use ic_cdk_timers::TimerId;

thread_local! {
    /// Our timer ids and the IC timers that fire them.
    static ARMED: RefCell<BTreeMap<u64, TimerId>> = const { RefCell::new(BTreeMap::new()) };
}

fn run(id: u64) {
    match crate::tasks::timers::fire(id) {
        Ok(crate::tasks::timers::Fired::Ran { error: None, logs }) => {
            for line in logs {
                ic_cdk::api::debug_print(format!("codexvm timer {id}: {line}"));
            }
        }
        Ok(_) => {}
        Err(e) => ic_cdk::api::debug_print(format!("codexvm: timer {id} could not run: {e}")),
    }
}

/// Arms codex timer `id`.
pub fn arm(id: u64, delay_ns: u64, interval_ns: Option<u64>) {
    let timer = match interval_ns {
        None => ic_cdk_timers::set_timer(Duration::from_nanos(delay_ns), async move {
            ARMED.with_borrow_mut(|a| a.remove(&id));
            run(id)
        }),
        Some(i) => ic_cdk_timers::set_timer_interval_serial(Duration::from_nanos(i), move || async move { run(id) }),
    };
    ARMED.with_borrow_mut(|a| a.insert(id, timer));
}

/// Disarms codex timer `id`.
pub fn disarm(id: u64) {
    if let Some(t) = ARMED.with_borrow_mut(|a| a.remove(&id)) {
        ic_cdk_timers::clear_timer(t);
    }
}
