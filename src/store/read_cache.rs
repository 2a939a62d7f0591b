//! [`ReadCache`]: what the store knows about its maps without walking a stable-memory B-tree —
//! values by key, and *gaps*, key ranges known to hold no key.
//!
//! A stable-memory B-tree lookup costs tens of thousands of instructions, a heap lookup a few
//! hundred. Misses matter as much as hits: `Cls[name]` first looks the name up as an id, and
//! every such probe of a type lands in the same stretch of the key space (after the type's last
//! numeric id). One walk that finds the next key present answers all of them.
//!
//! The cache is written through on commit (the only way the maps change), so it always agrees
//! with the maps; it is emptied when it outgrows its budget.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use super::{FastState, MapId};

/// Budget of the read cache, in bytes of keys and values.
const CACHE_BYTES: usize = 16 << 20;
/// What one cached entry costs beyond its bytes.
const ENTRY_OVERHEAD: usize = 48;

/// The exclusive upper end of a gap: a key present in the map, or past every key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GapEnd {
    /// The next key present.
    Key(Vec<u8>),
    /// No key follows.
    Top,
}

/// One map's cached keys and values (`None`: known to be absent).
type Values = HashMap<Vec<u8>, Option<Vec<u8>>, FastState>;

/// Values and gaps of the maps, kept in the heap.
#[derive(Default)]
pub struct ReadCache {
    /// Per map: key → value (`None`: known to be absent). Looked up by `&[u8]`, without copying
    /// the key.
    values: BTreeMap<MapId, Values>,
    /// Per map: gaps as end → inclusive start; no key of the map lies in `start..end`.
    gaps: BTreeMap<MapId, BTreeMap<GapEnd, Vec<u8>>>,
    bytes: usize,
}

impl ReadCache {
    /// The value of `key`: `Some(None)` if known absent, `None` if unknown.
    pub fn get(&self, map: MapId, key: &[u8]) -> Option<Option<Vec<u8>>> {
        if let Some(hit) = self.values.get(&map).and_then(|m| m.get(key)) {
            return Some(hit.clone());
        }
        self.in_gap(map, key).then_some(None)
    }

    /// Whether `key` is present, if known.
    pub fn known(&self, map: MapId, key: &[u8]) -> Option<bool> {
        if let Some(hit) = self.values.get(&map).and_then(|m| m.get(key)) {
            return Some(hit.is_some());
        }
        self.in_gap(map, key).then_some(false)
    }

    /// True if `key` lies in a known gap (and so is absent).
    fn in_gap(&self, map: MapId, key: &[u8]) -> bool {
        let Some(gaps) = self.gaps.get(&map) else { return false };
        gaps.range((Bound::Excluded(GapEnd::Key(key.to_vec())), Bound::Unbounded)).next().is_some_and(|(_, start)| start.as_slice() <= key)
    }

    fn charge(&mut self, size: usize) {
        if self.bytes + size > CACHE_BYTES {
            self.values.clear();
            self.gaps.clear();
            self.bytes = 0;
        }
        self.bytes += size;
    }

    /// Records what a read found: `value` under `key`.
    pub fn put(&mut self, map: MapId, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.charge(key.len() + value.as_ref().map_or(0, Vec::len) + ENTRY_OVERHEAD);
        self.values.entry(map).or_default().insert(key, value);
    }

    /// Records that no key of `map` lies in `start..end`.
    pub fn put_gap(&mut self, map: MapId, start: &[u8], end: GapEnd) {
        if matches!(&end, GapEnd::Key(e) if e.as_slice() <= start) {
            return;
        }
        let size = start.len()
            + match &end {
                GapEnd::Key(e) => e.len(),
                GapEnd::Top => 0,
            }
            + ENTRY_OVERHEAD;
        self.charge(size);
        let gaps = self.gaps.entry(map).or_default();
        match gaps.get_mut(&end) {
            Some(s) if s.as_slice() <= start => {}
            Some(s) => *s = start.to_vec(),
            None => {
                gaps.insert(end, start.to_vec());
            }
        }
    }

    /// Records a committed write: `value` now under `key` (`None`: removed).
    pub fn write(&mut self, map: MapId, key: Vec<u8>, value: Option<Vec<u8>>) {
        if value.is_some() {
            self.split_gap(map, &key);
        }
        self.put(map, key, value);
    }

    /// Splits the gap holding `key`, which now exists, around it.
    fn split_gap(&mut self, map: MapId, key: &[u8]) {
        let Some(gaps) = self.gaps.get_mut(&map) else { return };
        let found = gaps
            .range((Bound::Excluded(GapEnd::Key(key.to_vec())), Bound::Unbounded))
            .next()
            .filter(|(_, start)| start.as_slice() <= key)
            .map(|(end, _)| end.clone());
        let Some(end) = found else { return };
        let start = gaps.remove(&end).expect("found above");
        if start.as_slice() < key {
            gaps.insert(GapEnd::Key(key.to_vec()), start);
        }
        // The smallest key after `key` is `key` followed by a zero byte.
        let mut after = key.to_vec();
        after.push(0);
        if !matches!(&end, GapEnd::Key(e) if *e <= after) {
            gaps.insert(end, after);
        }
    }
}
