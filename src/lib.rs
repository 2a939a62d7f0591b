//! codexvm: a Python codex runtime for the Internet Computer.
//!
//! Layers (see `DESIGN.md`): [`store`] (transactional stable-memory key-value store), [`py`]
//! (the RustPython host), [`tasks`] (executing codexes atomically), the canister endpoints
//! (`canister`, wasm only) and the native command line (`cli`, native only). [`host`] abstracts
//! the platform (clock, identities, randomness).

pub mod db;
pub mod host;
pub mod py;
pub mod store;
pub mod tasks;

pub mod canister;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
