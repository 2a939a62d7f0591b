//! The runtime's random source: a ChaCha20 stream that never fails.
//!
//! Seeded from a fixed value natively (or `--seed`/`--random`), and in the canister first from
//! time and canister id, then re-keyed from the management canister's `raw_rand`. Python's
//! `os.urandom`, `random` seeding and `uuid4`, and (in the canister) `getrandom`, all draw here.

use std::cell::RefCell;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// Seed used natively unless the user asks for another.
pub const DEFAULT_SEED: u64 = 0xC0DE_C0DE;

thread_local! {
    static RNG: RefCell<ChaCha20Rng> = RefCell::new(ChaCha20Rng::seed_from_u64(DEFAULT_SEED));
}

/// Re-keys the stream from a 64-bit seed.
pub fn seed_u64(seed: u64) {
    RNG.with(|r| *r.borrow_mut() = ChaCha20Rng::seed_from_u64(seed));
}

/// Re-keys the stream from 32 bytes of entropy (e.g. `raw_rand`).
pub fn seed_bytes(seed: [u8; 32]) {
    RNG.with(|r| *r.borrow_mut() = ChaCha20Rng::from_seed(seed));
}

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) {
    RNG.with(|r| r.borrow_mut().fill_bytes(buf));
}

/// Returns `n` random bytes.
pub fn bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    fill(&mut v);
    v
}
