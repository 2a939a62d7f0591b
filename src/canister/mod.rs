//! Layer 6: the canister — lifecycle hooks, Candid endpoints (ours in `api`, realms' in
//! `realms`), access control (`access`, with the rules in [`roles`]), the timers that drive the
//! scheduler (`scheduler`) and codexes' own timers (`timers`), and the replies' encoder
//! ([`reply`]). Only [`roles`], [`reply`] and [`types`] are built natively: the rules and the
//! encoder are tested there, and the Candid types serve the tests.

pub mod roles;

#[cfg(target_arch = "wasm32")]
mod access;
#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod lifecycle;
#[cfg(target_arch = "wasm32")]
mod random;
#[cfg(target_arch = "wasm32")]
mod realms;
#[cfg(any(target_arch = "wasm32", test))]
mod reply;
#[cfg(target_arch = "wasm32")]
mod scheduler;
#[cfg(target_arch = "wasm32")]
mod timers;
pub mod types;

// The Candid service is generated from the endpoints; it names their types.
#[cfg(target_arch = "wasm32")]
use {
    candid::{Nat, Principal},
    roles::Role,
    types::*,
};
#[cfg(target_arch = "wasm32")]
ic_cdk::export_candid!();
