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
    /// Compiled for [`crate::Profile`]s (with epoch interruption).
    pub(crate) profiling: bool,
}

fn engine(profiling: bool) -> Result<Engine, HostError> {
    let mut config = Config::new();
    config.consume_fuel(true);
    config.epoch_interruption(profiling);
    if profiling {
        // A sample is the whole stack, not the innermost 20 frames of a trap's backtrace
        // (`None` would mean no frames at all).
        config.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(1 << 20));
    }
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
        Self::load_as(path, false)
    }

    /// [`CanisterModule::load`] for profiling: canisters of this module sample their wasm
    /// stack while they run ([`crate::Canister::take_profile`]); code runs a little slower.
    pub fn load_profiling(path: &Path) -> Result<Self, HostError> {
        Self::load_as(path, true)
    }

    fn load_as(path: &Path, profiling: bool) -> Result<Self, HostError> {
        let raw = std::fs::read(path).map_err(|source| HostError::Io { path: path.to_path_buf(), source })?;
        let size = raw.len();
        let bytes = binary::export_table(&raw).map_err(HostError::Module)?;
        let engine = engine(profiling)?;
        let cache = cache_path(path, profiling, fingerprint(&bytes));
        // SAFETY: the cache file was written by `Module::serialize` of this same host version
        // with the same engine configuration (its name carries a fingerprint of both inputs).
        let cached = cache.exists().then(|| unsafe { Module::deserialize_file(&engine, &cache) }).and_then(Result::ok);
        let module = match cached {
            Some(m) => m,
            None => {
                let m = Module::new(&engine, &bytes).map_err(|e| HostError::Wasm(e.to_string()))?;
                if let Ok(ser) = m.serialize() {
                    let tmp = cache.with_extension("tmp");
                    if std::fs::write(&tmp, ser).is_ok() && std::fs::rename(&tmp, &cache).is_ok() {
                        remove_stale_caches(path, profiling, &cache);
                    }
                }
                m
            }
        };
        let imports = module.imports().map(|i| format!("{}.{}", i.module(), i.name())).collect();
        let exports = module.exports().map(|e| e.name().to_string()).collect();
        Ok(Self { engine, module, imports, exports, size, profiling })
    }
}

/// Removes the compiled copies of earlier versions of the module at `path` (about 34 MB each)
/// of the same kind (profiling or not), keeping `current`.
fn remove_stale_caches(path: &Path, profiling: bool, current: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return };
    let prefix = format!(".{}{}.", name.to_string_lossy(), kind(profiling));
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with(&prefix) && file.ends_with(".cwasm") && entry.path() != current {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn kind(profiling: bool) -> &'static str {
    if profiling {
        "-profiling"
    } else {
        ""
    }
}

fn cache_path(path: &Path, profiling: bool, fp: u64) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}{}.{fp:016x}.cwasm", kind(profiling)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiling_a_new_version_removes_the_copies_of_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.wasm");
        // A module of one table and no exports (the host exports the table), and what earlier
        // versions and another module left beside it.
        std::fs::write(&path, b"\0asm\x01\0\0\0\x04\x04\x01\x70\x00\x00\x07\x01\x00").unwrap();
        let stale = dir.path().join(".m.wasm.0123456789abcdef.cwasm");
        let other = dir.path().join(".n.wasm.0123456789abcdef.cwasm");
        let profiling = dir.path().join(".m.wasm-profiling.0123456789abcdef.cwasm");
        std::fs::write(&stale, b"old").unwrap();
        std::fs::write(&other, b"another module's").unwrap();
        std::fs::write(&profiling, b"the profiling kind's").unwrap();
        CanisterModule::load(&path).unwrap();
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(!stale.exists(), "{names:?}");
        assert!(other.exists(), "{names:?}");
        assert!(profiling.exists(), "{names:?}");
        assert_eq!(names.iter().filter(|n| n.starts_with(".m.wasm.") && n.ends_with(".cwasm")).count(), 1, "{names:?}");
    }
}
