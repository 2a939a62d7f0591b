//! Opening the state file and the interpreter for a command.

use crate::host::rng;
use crate::py::{PyError, Runtime};
use crate::store::{self, FileMemory, Store, StoreError};

use super::StateArgs;

/// Why a command could not set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The state file could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The interpreter failed to boot.
    #[error("interpreter boot failed:\n{0}")]
    Boot(#[from] PyError),
}

/// Seeds the random source, opens the store and boots the interpreter.
pub fn open(args: &StateArgs) -> Result<&'static Runtime, SetupError> {
    match (args.seed, args.random) {
        (Some(seed), _) => rng::seed_u64(seed),
        (None, true) => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| StoreError::Corrupt(format!("OS random source: {e}")))?;
            rng::seed_bytes(seed);
        }
        (None, false) => rng::seed_u64(rng::DEFAULT_SEED),
    }
    let memory = FileMemory::open(&args.state)?;
    store::global::install(Store::open(memory));
    Ok(crate::tasks::runtime()?)
}
