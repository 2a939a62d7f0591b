//! A test host for the codexvm canister: runs the real `.wasm` on wasmtime with the ICP System API.
//!
//! Few types, as in wasmtime's own API: a [`CanisterModule`] is a compiled (and cached) module; a
//! [`Canister`] is an installed instance that takes `update`, `query`, `upgrade`, `advance_time`;
//! every call returns a [`Report`] with the reply or the [`Reject`] and the instructions used.
//! Each message is metered with fuel against the replica's limits ([`Limits`]), and a message
//! that traps (including running out of instructions) leaves heap and stable memory as they were
//! before it, as on the replica.

mod binary;
mod canister;
mod module;
mod profile;
mod system_api;

pub use binary::{inspect, ModuleInfo};
pub use candid::Principal;
pub use canister::{default_controller, Canister, Peer, PeerCall};
pub use module::CanisterModule;
pub use profile::{Profile, ProfileEntry};

/// Instruction limits per message kind (the replica's, for an application subnet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Update calls, timers and call-back continuations.
    pub update: u64,
    /// Queries.
    pub query: u64,
    /// `canister_init`, and `pre_upgrade` + `post_upgrade` together.
    pub install: u64,
    /// `canister_inspect_message`.
    pub inspect_message: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { update: 40_000_000_000, query: 5_000_000_000, install: 300_000_000_000, inspect_message: 200_000_000 }
    }
}

/// Reject codes of the Internet Computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectCode {
    /// Fatal system error.
    SysFatal = 1,
    /// Transient system error.
    SysTransient = 2,
    /// The destination does not exist or has no such method.
    DestinationInvalid = 3,
    /// The canister rejected the message explicitly.
    CanisterReject = 4,
    /// The canister trapped (or ran out of instructions).
    CanisterError = 5,
}

/// A rejected call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Why.
    pub code: RejectCode,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

/// What one call did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The reply bytes (Candid), or the rejection.
    pub result: Result<Vec<u8>, Reject>,
    /// Instructions (wasm fuel) the message used.
    pub instructions: u64,
    /// Lines the canister printed with `debug_print` during the call.
    pub debug_log: Vec<String>,
}

impl Report {
    /// Decodes a one-value Candid reply, panicking with the rejection otherwise (for tests).
    pub fn decode<T: candid::CandidType + for<'de> serde::Deserialize<'de>>(&self) -> T {
        match &self.result {
            Ok(bytes) => candid::decode_one(bytes).expect("reply decodes"),
            Err(r) => panic!("call was rejected: {r}\ndebug log:\n{}", self.debug_log.join("\n")),
        }
    }

    /// The rejection, panicking if the call succeeded (for tests).
    pub fn reject(&self) -> &Reject {
        match &self.result {
            Ok(_) => panic!("call succeeded, expected a rejection"),
            Err(r) => r,
        }
    }
}

/// Errors of the host itself (not of the canister).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The module could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// wasmtime refused the module or failed to instantiate it.
    #[error("wasmtime: {0}")]
    Wasm(String),
    /// The module is not a valid canister for this host.
    #[error("invalid canister module: {0}")]
    Module(String),
}
