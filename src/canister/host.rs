//! [`Host`] implemented with the ICP System API.

use candid::Principal;

use crate::host::Host;

/// The System API of the running canister.
pub struct CanisterHost;

impl Host for CanisterHost {
    fn time_ns(&self) -> u64 {
        ic_cdk::api::time()
    }

    fn canister_id(&self) -> Principal {
        ic_cdk::api::canister_self()
    }

    fn caller(&self) -> Principal {
        ic_cdk::api::msg_caller()
    }

    fn performance_counter(&self, kind: u32) -> u64 {
        ic_cdk::api::performance_counter(kind)
    }

    fn cycle_balance(&self) -> u128 {
        ic_cdk::api::canister_cycle_balance()
    }

    fn debug_print(&self, line: &str) {
        ic_cdk::api::debug_print(line)
    }

    fn trap(&self, message: &str) {
        ic_cdk::trap(message)
    }

    fn set_timer(&self, id: u64, delay_ns: u64, interval_ns: Option<u64>) {
        super::timers::arm(id, delay_ns, interval_ns)
    }

    fn clear_timer(&self, id: u64) {
        super::timers::disarm(id)
    }
}
