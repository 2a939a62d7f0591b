//! Randomness in the canister: an infallible `getrandom` backend over the runtime's ChaCha
//! stream, seeded synchronously at start and re-keyed from `raw_rand` by a zero-delay timer.

use std::time::Duration;

use candid::Principal;
use ic_cdk::call::Call;

use crate::host::rng;
use crate::py::Runtime;

/// Seeds the stream from what is available synchronously (time and canister id); predictable,
/// which is why [`schedule_raw_rand`] re-keys it as soon as a timer can run.
pub fn seed_provisionally() {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&ic_cdk::api::time().to_le_bytes());
    let id = ic_cdk::api::canister_self();
    let id = id.as_slice();
    seed[8..8 + id.len().min(24)].copy_from_slice(&id[..id.len().min(24)]);
    rng::seed_bytes(seed);
}

/// Arms a zero-delay timer that fetches 32 bytes from the management canister's `raw_rand`,
/// re-keys the stream and re-seeds Python's `random`.
pub fn schedule_raw_rand() {
    ic_cdk_timers::set_timer(Duration::ZERO, async {
        let reply = Call::bounded_wait(Principal::management_canister(), "raw_rand").await;
        match reply.map_err(|e| e.to_string()).and_then(|r| r.candid::<Vec<u8>>().map_err(|e| e.to_string())) {
            Ok(bytes) if bytes.len() >= 32 => {
                let mut seed = [0u8; 32];
                seed.copy_from_slice(&bytes[..32]);
                rng::seed_bytes(seed);
                if let Some(rt) = Runtime::current() {
                    if let Err(e) = rt.reseed_random() {
                        ic_cdk::api::debug_print(format!("codexvm: reseeding random failed: {e}"));
                    }
                }
            }
            Ok(bytes) => ic_cdk::api::debug_print(format!("codexvm: raw_rand returned {} bytes", bytes.len())),
            Err(e) => ic_cdk::api::debug_print(format!("codexvm: raw_rand failed: {e}")),
        }
    });
}

/// The `getrandom` custom backend: never fails (a failing source would trap `import random`).
///
/// # Safety
/// Called by getrandom with a valid, writable buffer of `len` bytes.
#[unsafe(no_mangle)]
unsafe extern "Rust" fn __getrandom_v03_custom(dest: *mut u8, len: usize) -> Result<(), getrandom::Error> {
    // SAFETY: getrandom guarantees `dest` points to `len` writable bytes.
    let buf = unsafe { std::slice::from_raw_parts_mut(dest, len) };
    rng::fill(buf);
    Ok(())
}
