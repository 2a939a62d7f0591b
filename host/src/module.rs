//! [`CanisterModule`]: a canister module compiled once and cached on disk.

use std::path::{Path, PathBuf};

use wasmtime::{Config, Engine, Module};

use crate::{binary, HostError};

/// A compiled canister module, shareable between many [`crate::Canister`] instances.
#[derive(Clone)]
pub struct CanisterModule {
    pub(crate) engine: Engine,
    pub(crate) module: Module,
    /// Names of the module's `ic0` imports.
    pub imports: Vec<String>,
    /// Names of the module's exported functions.
    pub exports: Vec<String>,
    /// Size of the module file in bytes.
    pub size: usize,
}

fn engine() -> Result<Engine, HostError> {
    let mut config = Config::new();
    config.consume_fuel(true);
    // Native stack for wasm frames (the wasm shadow stack itself is 1 MiB of linear memory).
    config.max_wasm_stack(2 << 20);
    Engine::new(&config).map_err(|e| HostError::Wasm(e.to_string()))
}

fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes.iter().chain(env!("CARGO_PKG_VERSION").as_bytes()) {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

impl CanisterModule {
    /// Loads the module at `path`, reusing a compiled copy cached beside it when one matches.
    pub fn load(path: &Path) -> Result<Self, HostError> {
        let raw = std::fs::read(path).map_err(|source| HostError::Io { path: path.to_path_buf(), source })?;
        let size = raw.len();
        let bytes = binary::export_table(&raw).map_err(HostError::Module)?;
        let engine = engine()?;
        let cache = cache_path(path, fingerprint(&bytes));
        // SAFETY: the cache file was written by `Module::serialize` of this same host version
        // with the same engine configuration (its name carries a fingerprint of both inputs).
        let cached = cache.exists().then(|| unsafe { Module::deserialize_file(&engine, &cache) }).and_then(Result::ok);
        let module = match cached {
            Some(m) => m,
            None => {
                let m = Module::new(&engine, &bytes).map_err(|e| HostError::Wasm(e.to_string()))?;
                if let Ok(ser) = m.serialize() {
                    let tmp = cache.with_extension("tmp");
                    if std::fs::write(&tmp, ser).is_ok() {
                        let _ = std::fs::rename(&tmp, &cache);
                    }
                }
                m
            }
        };
        let imports = module.imports().map(|i| format!("{}.{}", i.module(), i.name())).collect();
        let exports = module.exports().map(|e| e.name().to_string()).collect();
        Ok(Self { engine, module, imports, exports, size })
    }
}

fn cache_path(path: &Path, fp: u64) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{fp:016x}.cwasm"))
}
