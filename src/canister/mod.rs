//! Layer 6: the canister — lifecycle hooks and Candid endpoints (built for wasm32 only).

mod api;
mod host;
mod lifecycle;
mod random;
