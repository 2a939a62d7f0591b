//! The [`Ic`] interface over a real PocketIC server (an application subnet, production limits).
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use candid::Principal;
use pocket_ic::{PocketIc, PocketIcBuilder};

use super::ic::Ic;

/// The codexvm module installed on a fresh PocketIC instance.
pub struct OnPocketIc {
    pic: PocketIc,
    id: Principal,
    controller: Principal,
    wasm: Vec<u8>,
}

impl OnPocketIc {
    /// Starts `server` (never downloads one) and installs `wasm` with a controller of its own.
    pub fn install(server: PathBuf, wasm: Vec<u8>) -> Self {
        let pic = PocketIcBuilder::new().with_server_binary(server).with_application_subnet().build();
        let controller = Principal::from_slice(&[42; 29]);
        let id = pic.create_canister_with_settings(Some(controller), None);
        pic.add_cycles(id, 100_000_000_000_000);
        pic.install_canister(id, wasm.clone(), candid::encode_args(()).unwrap(), Some(controller));
        for _ in 0..3 {
            pic.tick(); // init's zero-delay timer fetches raw_rand
        }
        OnPocketIc { pic, id, controller, wasm }
    }
}

impl Ic for OnPocketIc {
    fn backend(&self) -> &'static str {
        "PocketIC"
    }
    fn controller(&self) -> Principal {
        self.controller
    }
    fn update_as(&mut self, caller: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String> {
        self.pic.update_call(self.id, caller, method, arg).map_err(|e| e.to_string())
    }
    fn query_as(&mut self, caller: Principal, method: &str, arg: Vec<u8>) -> Result<Vec<u8>, String> {
        self.pic.query_call(self.id, caller, method, arg).map_err(|e| e.to_string())
    }
    fn advance(&mut self, by: Duration) {
        self.pic.advance_time(by);
        for _ in 0..10 {
            self.pic.tick(); // the timer, its self-call, and the execution's reply
        }
    }
    fn upgrade(&mut self) -> Result<(), String> {
        let r = self.pic.upgrade_canister(self.id, self.wasm.clone(), candid::encode_args(()).unwrap(), Some(self.controller));
        for _ in 0..3 {
            self.pic.tick();
        }
        r.map_err(|e| e.to_string())
    }
}
