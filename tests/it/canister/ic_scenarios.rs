//! The canister scenarios of `support/scenarios.rs` on the test host, and on a real PocketIC
//! server when `POCKET_IC_BIN` names one (otherwise one line says they were skipped).

use crate::support::ic;
#[cfg(feature = "pocketic")]
use crate::support::pocketic;
use crate::support::scenarios;

use std::io::Write;

use crate::support::canister::module;
use ic::TestHost;

fn on_test_host(f: fn(&mut dyn ic::Ic)) {
    f(&mut TestHost::install(module()));
}

#[test]
fn test_host_access_is_checked_inside_the_methods() {
    on_test_host(scenarios::access_is_checked_inside_the_methods);
}

#[test]
fn test_host_a_trap_undoes_heap_and_stable_memory() {
    on_test_host(scenarios::a_trap_undoes_heap_and_stable_memory);
}

#[test]
fn test_host_an_update_over_the_message_limit_leaves_no_trace() {
    on_test_host(scenarios::an_update_over_the_message_limit_leaves_no_trace);
}

#[test]
fn test_host_data_and_schedules_survive_an_upgrade() {
    on_test_host(scenarios::data_and_schedules_survive_an_upgrade);
}

#[test]
fn pocketic_runs_the_same_scenarios_when_available() {
    // Written to the terminal directly (the test harness captures print!), so it is always seen.
    let mut out = std::io::stderr();
    let Some(server) = std::env::var_os("POCKET_IC_BIN") else {
        let _ = writeln!(
            out,
            "SKIPPED: PocketIC scenarios ({} of them): POCKET_IC_BIN is not set (nothing is downloaded)",
            scenarios::ALL.len()
        );
        return;
    };
    on_pocket_ic(server.into(), &mut out);
}

#[cfg(feature = "pocketic")]
fn on_pocket_ic(server: std::path::PathBuf, out: &mut impl Write) {
    let wasm = std::fs::read(crate::support::canister::wasm_path()).expect("built module (scripts/build-canister)");
    for (name, scenario) in scenarios::ALL {
        let mut canister = pocketic::OnPocketIc::install(server.clone(), wasm.clone());
        scenario(&mut canister);
        let _ = writeln!(out, "PocketIC: {name}: ok");
    }
}

#[cfg(not(feature = "pocketic"))]
fn on_pocket_ic(server: std::path::PathBuf, _: &mut impl Write) {
    panic!(
        "POCKET_IC_BIN is set ({}), but the tests were built without the `pocketic` feature: \
         run scripts/test, which turns it on, or cargo test --features pocketic",
        server.display()
    );
}
