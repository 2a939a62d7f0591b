//! One small interface over the two places the built module runs in tests: our wasmtime test
//! host (always) and a real PocketIC server (when `POCKET_IC_BIN` names one), so the same
//! scenarios run on both.
#![allow(dead_code)]

use std::time::Duration;

use candid::Principal;

/// An installed codexvm canister on some Internet Computer.
pub trait Ic {
    /// Where it runs, for messages.
    fn backend(&self) -> &'static str;
    /// The controller that installed it.
    fn controller(&self) -> Principal;
    /// An ingress update call; the reply bytes or the rejection message.
    fn update_as(&mut self, caller: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String>;
    /// A query call; the reply bytes or the rejection message.
    fn query_as(&mut self, caller: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String>;
    /// Moves the clock forward and lets due timers (and their self-calls) run.
    fn advance(&mut self, by: Duration);
    /// Upgrades to the same module (stable memory kept, heap fresh).
    fn upgrade(&mut self) -> Result<(), String>;

    /// An update call from the controller.
    fn update(&mut self, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String> {
        let c = self.controller();
        self.update_as(c, method, arg)
    }
    /// A query from the controller.
    fn query(&mut self, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String> {
        let c = self.controller();
        self.query_as(c, method, arg)
    }
}

/// The test host's canister. Its update limit is lowered to 4 B instructions so that the runaway
/// scenario ends in seconds; PocketIC applies the real 40 B.
pub struct TestHost(pub codexvm_host::Canister, &'static codexvm_host::CanisterModule);

impl TestHost {
    /// Installs the built module.
    pub fn install(module: &'static codexvm_host::CanisterModule) -> Self {
        let (mut c, report) = codexvm_host::Canister::install(module, &candid::encode_args(()).unwrap()).expect("instantiate");
        assert!(report.result.is_ok(), "init failed: {:?}", report.result);
        c.set_limits(codexvm_host::Limits { update: 4_000_000_000, ..Default::default() });
        TestHost(c, module)
    }
}

fn host_result(r: codexvm_host::Report) -> Result<Vec<u8>, String> {
    r.result.map_err(|e| e.message)
}

impl Ic for TestHost {
    fn backend(&self) -> &'static str {
        "test host"
    }
    fn controller(&self) -> Principal {
        self.0.controller()
    }
    fn update_as(&mut self, caller: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String> {
        host_result(self.0.update_as(caller, method, &arg))
    }
    fn query_as(&mut self, caller: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String> {
        host_result(self.0.query_as(caller, method, &arg))
    }
    fn advance(&mut self, by: Duration) {
        for r in self.0.advance_time(by) {
            assert!(r.result.is_ok(), "a timer message failed: {:?}", r.result);
        }
    }
    fn upgrade(&mut self) -> Result<(), String> {
        host_result(self.0.upgrade(self.1, &candid::encode_args(()).unwrap())).map(drop)
    }
}
