//! Layer 1: an ordered key-value store over `ic-stable-structures`, with transactions.
//!
//! One `MemoryManager` splits the stable memory into up to 255 virtual memories; each holds a
//! `StableBTreeMap<Vec<u8>, Vec<u8>>` (a *map*, named by its [`MapId`]). Writes go through a
//! transaction [`Overlay`]: reads see the transaction's own writes, range scans merge overlay and
//! base in key order, and [`Store::commit`] applies everything at once (and, natively, makes it
//! durable through the journal of [`FileMemory`]).

mod fast_hash;
#[cfg(not(target_arch = "wasm32"))]
mod file_memory;
pub mod global;
#[cfg(not(target_arch = "wasm32"))]
mod image_check;
#[cfg(not(target_arch = "wasm32"))]
pub mod journal;
mod overlay;
mod read_cache;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::ops::Bound;
#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;
use std::path::PathBuf;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::{Memory, StableBTreeMap};

pub use fast_hash::{FastHasher, FastState};
#[cfg(not(target_arch = "wasm32"))]
pub use file_memory::FileMemory;
#[cfg(not(target_arch = "wasm32"))]
pub use image_check::ImageError;
pub use overlay::{Overlay, Pending};
use read_cache::{GapEnd, ReadCache};

/// Identifies one map (one virtual memory of the `MemoryManager`).
pub type MapId = u8;

/// The map that holds the kybra_simple_db entity database (the "default store"); realms used
/// `StableBTreeMap(memory_id=1)` for it too.
pub const ENTITY_MAP: MapId = 1;
/// Smallest map id reserved for the runtime itself (roles, task runtime state, ...).
pub const FIRST_SYSTEM_MAP: MapId = 240;
/// Largest valid map id (the `MemoryManager` limit).
pub const LAST_MAP: MapId = 254;

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write was attempted with no transaction open.
    #[error("no transaction is open")]
    NoTransaction,
    /// `begin` was called inside a transaction.
    #[error("a transaction is already open")]
    AlreadyInTransaction,
    /// The state file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another process holds the state file.
    #[error("{0}: the state file is in use by another codexvm process")]
    Locked(PathBuf),
    /// The state file is not a stable-memory image.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// The state file is not a store codexvm can use (foreign, truncated or damaged); it is left untouched.
    #[cfg(not(target_arch = "wasm32"))]
    #[error("{path}: {source}")]
    BadImage {
        /// The file involved.
        path: PathBuf,
        /// What is wrong with it.
        source: ImageError,
    },
}

impl StoreError {
    #[cfg(not(target_arch = "wasm32"))]
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
}

/// A memory the store can make durable after a commit.
pub trait Durable: Memory + Clone {
    /// Persists everything written so far (no-op where the platform persists by itself).
    fn persist(&self) -> Result<(), StoreError>;
}

#[cfg(not(target_arch = "wasm32"))]
impl Durable for FileMemory {
    fn persist(&self) -> Result<(), StoreError> {
        self.flush()
    }
}

impl Durable for ic_stable_structures::VectorMemory {
    fn persist(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(target_arch = "wasm32")]
impl Durable for ic_stable_structures::DefaultMemoryImpl {
    fn persist(&self) -> Result<(), StoreError> {
        Ok(()) // the replica commits stable memory with the message
    }
}

/// The memory the store runs on in this build: the canister's stable memory, or a state file.
#[cfg(target_arch = "wasm32")]
pub type HostMemory = ic_stable_structures::DefaultMemoryImpl;
/// The memory the store runs on in this build: the canister's stable memory, or a state file.
#[cfg(not(target_arch = "wasm32"))]
pub type HostMemory = FileMemory;

type Map<M> = StableBTreeMap<Vec<u8>, Vec<u8>, VirtualMemory<M>>;

/// What a commit changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CommitStats {
    /// Keys written.
    pub puts: usize,
    /// Keys removed.
    pub removes: usize,
}

/// The ordered, transactional key-value store.
pub struct Store<M: Durable> {
    memory: M,
    manager: MemoryManager<M>,
    maps: BTreeMap<MapId, Map<M>>,
    txn: Option<Overlay>,
    cache: ReadCache,
    tree_reads: u64,
}

impl<M: Durable> Store<M> {
    /// Opens the store on `memory`, creating the memory manager's layout if the memory is empty.
    pub fn open(memory: M) -> Self {
        let manager = MemoryManager::init(memory.clone());
        Self { memory, manager, maps: BTreeMap::new(), txn: None, cache: ReadCache::default(), tree_reads: 0 }
    }

    /// The underlying memory.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    fn map(&mut self, id: MapId) -> &Map<M> {
        let manager = &self.manager;
        self.maps.entry(id).or_insert_with(|| StableBTreeMap::init(manager.get(MemoryId::new(id))))
    }

    fn map_mut(&mut self, id: MapId) -> &mut Map<M> {
        let manager = &self.manager;
        self.maps.entry(id).or_insert_with(|| StableBTreeMap::init(manager.get(MemoryId::new(id))))
    }

    /// Opens a transaction.
    pub fn begin(&mut self) -> Result<(), StoreError> {
        if self.txn.is_some() {
            return Err(StoreError::AlreadyInTransaction);
        }
        self.txn = Some(Overlay::default());
        Ok(())
    }

    /// True while a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// The open transaction's write set, if any.
    pub fn overlay(&self) -> Option<&Overlay> {
        self.txn.as_ref()
    }

    /// Applies the open transaction's writes and makes them durable.
    pub fn commit(&mut self) -> Result<CommitStats, StoreError> {
        let txn = self.txn.take().ok_or(StoreError::NoTransaction)?;
        let mut stats = CommitStats::default();
        for (map, key, value) in txn.into_writes() {
            let m = self.map_mut(map);
            match &value {
                Some(v) => {
                    m.insert(key.clone(), v.clone());
                    stats.puts += 1;
                }
                None => {
                    m.remove(&key);
                    stats.removes += 1;
                }
            }
            self.cache.write(map, key, value);
        }
        self.memory.persist()?;
        Ok(stats)
    }

    /// Discards the open transaction's writes.
    pub fn rollback(&mut self) {
        self.txn = None;
    }

    /// Opens a savepoint inside the transaction (see [`Overlay::savepoint`]).
    pub fn savepoint(&mut self) -> Result<usize, StoreError> {
        Ok(self.txn.as_mut().ok_or(StoreError::NoTransaction)?.savepoint())
    }

    /// Undoes the writes made since savepoint `sp`.
    pub fn rollback_to(&mut self, sp: usize) -> Result<(), StoreError> {
        self.txn.as_mut().ok_or(StoreError::NoTransaction)?.rollback_to(sp);
        Ok(())
    }

    /// Closes savepoint `sp`, keeping its writes.
    pub fn release(&mut self, sp: usize) -> Result<(), StoreError> {
        self.txn.as_mut().ok_or(StoreError::NoTransaction)?.release(sp);
        Ok(())
    }

    /// Reads `key` of `map`, seeing the open transaction's writes.
    pub fn get(&mut self, map: MapId, key: &[u8]) -> Option<Vec<u8>> {
        if let Some(txn) = &self.txn {
            match txn.lookup(map, key) {
                Pending::Written(v) => return Some(v.to_vec()),
                Pending::Removed => return None,
                Pending::Untouched => {}
            }
        }
        if let Some(hit) = self.cache.get(map, key) {
            return hit;
        }
        self.read_tree(map, key)
    }

    /// Looks `key` up in the B-tree of `map`, recording in the cache the value found, or, when
    /// absent, the gap up to the next key.
    fn read_tree(&mut self, map: MapId, key: &[u8]) -> Option<Vec<u8>> {
        self.tree_reads += 1;
        let (value, gap_end) = match self.map(map).range(key.to_vec()..).next() {
            Some(e) if e.key().as_slice() == key => (Some(e.value()), None),
            Some(e) => (None, Some(GapEnd::Key(e.key().clone()))),
            None => (None, Some(GapEnd::Top)),
        };
        if let Some(end) = gap_end {
            self.cache.put_gap(map, key, end);
        }
        self.cache.put(map, key.to_vec(), value.clone());
        value
    }

    /// How many lookups have walked a B-tree (the rest were answered from the heap).
    pub fn tree_reads(&self) -> u64 {
        self.tree_reads
    }

    /// True if `key` exists in `map`.
    pub fn contains(&mut self, map: MapId, key: &[u8]) -> bool {
        if let Some(txn) = &self.txn {
            match txn.lookup(map, key) {
                Pending::Written(_) => return true,
                Pending::Removed => return false,
                Pending::Untouched => {}
            }
        }
        if let Some(known) = self.cache.known(map, key) {
            return known;
        }
        self.read_tree(map, key).is_some()
    }

    /// Writes `value` under `key`, returning the previous value.
    pub fn put(&mut self, map: MapId, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if self.txn.is_none() {
            return Err(StoreError::NoTransaction);
        }
        let old = self.get(map, key);
        self.txn.as_mut().expect("checked").put(map, key.to_vec(), value.to_vec());
        Ok(old)
    }

    /// Writes `value` under `key` without reading the previous value.
    pub fn put_blind(&mut self, map: MapId, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let txn = self.txn.as_mut().ok_or(StoreError::NoTransaction)?;
        txn.put(map, key.to_vec(), value.to_vec());
        Ok(())
    }

    /// Removes `key`, returning the previous value.
    pub fn remove(&mut self, map: MapId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if self.txn.is_none() {
            return Err(StoreError::NoTransaction);
        }
        let old = self.get(map, key);
        if old.is_some() {
            self.txn.as_mut().expect("checked").remove(map, key.to_vec());
        }
        Ok(old)
    }

    /// Number of keys in `map`, counting the open transaction's writes.
    pub fn len(&mut self, map: MapId) -> u64 {
        let base = self.map(map).len();
        let Some(txn) = &self.txn else { return base };
        let pending: Vec<(Vec<u8>, bool)> =
            txn.range(map, Bound::Unbounded, Bound::Unbounded).map(|(k, v)| (k.to_vec(), v.is_some())).collect();
        let m = self.map(map);
        let mut n = base as i64;
        for (k, present) in pending {
            match (m.contains_key(&k), present) {
                (true, false) => n -= 1,
                (false, true) => n += 1,
                _ => {}
            }
        }
        n as u64
    }

    /// Up to `limit` entries of `map` with keys in the range, in ascending (or descending) order.
    pub fn scan(
        &mut self,
        map: MapId,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        limit: usize,
        descending: bool,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        if limit == 0 || bounds_empty(lower, upper) {
            return Vec::new();
        }
        let owned = |b: Bound<&[u8]>| match b {
            Bound::Included(k) => Bound::Included(k.to_vec()),
            Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        let range = (owned(lower), owned(upper));
        // Borrow the map and the overlay together.
        let manager = &self.manager;
        let m = self.maps.entry(map).or_insert_with(|| StableBTreeMap::init(manager.get(MemoryId::new(map))));
        let base = m.range(range).map(|e| e.into_pair());
        let empty = Overlay::default();
        let txn = self.txn.as_ref().unwrap_or(&empty);
        let pending = txn.range(map, lower, upper);
        if descending {
            overlay::merge(base.rev(), pending.rev(), true).take(limit).collect()
        } else {
            overlay::merge(base, pending, false).take(limit).collect()
        }
    }

    /// Up to `limit` entries whose keys start with `prefix`, after `after` (exclusive) if given.
    pub fn scan_prefix(&mut self, map: MapId, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let upper = prefix_successor(prefix);
        let lower = match after {
            Some(a) if a >= prefix => Bound::Excluded(a),
            _ => Bound::Included(prefix),
        };
        let upper = match &upper {
            Some(u) => Bound::Excluded(u.as_slice()),
            None => Bound::Unbounded,
        };
        self.scan(map, lower, upper, limit, false)
    }
}

/// The smallest key greater than every key starting with `prefix` (None if there is none).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last < 0xff {
            p.push(last + 1);
            return Some(p);
        }
    }
    None
}

fn bounds_empty(lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    match (lower, upper) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a), Bound::Excluded(b)) | (Bound::Excluded(a), Bound::Included(b)) | (Bound::Excluded(a), Bound::Excluded(b)) => {
            a >= b
        }
        _ => false,
    }
}
