//! The write set of one open transaction, with ordered range reads merged over the base map.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::MapId;

/// A write's key and what it replaced in the overlay (`None`: the key was untouched).
type Undo = ((MapId, Vec<u8>), Option<Option<Vec<u8>>>);

/// Pending writes of a transaction, keyed by map and key; `None` marks a removal.
#[derive(Debug, Default, Clone)]
pub struct Overlay {
    writes: BTreeMap<(MapId, Vec<u8>), Option<Vec<u8>>>,
    /// While savepoints are open: what each write replaced (`None` = the key was untouched).
    undo: Vec<Undo>,
    savepoints: usize,
    /// A reusable `(map, key)` for lookups, so that reading does not allocate.
    probe: std::cell::RefCell<(MapId, Vec<u8>)>,
}

/// What the overlay knows about one key.
#[derive(Debug, PartialEq, Eq)]
pub enum Pending<'a> {
    /// The transaction did not touch the key: read the base.
    Untouched,
    /// The transaction wrote this value.
    Written(&'a [u8]),
    /// The transaction removed the key.
    Removed,
}

impl Overlay {
    /// Returns what this transaction did to `key` of `map`.
    pub fn lookup(&self, map: MapId, key: &[u8]) -> Pending<'_> {
        if self.writes.is_empty() {
            return Pending::Untouched;
        }
        let mut probe = self.probe.borrow_mut();
        probe.0 = map;
        probe.1.clear();
        probe.1.extend_from_slice(key);
        match self.writes.get(&*probe) {
            None => Pending::Untouched,
            Some(Some(v)) => Pending::Written(v),
            Some(None) => Pending::Removed,
        }
    }

    fn record(&mut self, k: (MapId, Vec<u8>), v: Option<Vec<u8>>) {
        if self.savepoints > 0 {
            let prev = self.writes.insert(k.clone(), v);
            self.undo.push((k, prev));
        } else {
            self.writes.insert(k, v);
        }
    }

    /// Records a write of `value` to `key`.
    pub fn put(&mut self, map: MapId, key: Vec<u8>, value: Vec<u8>) {
        self.record((map, key), Some(value));
    }

    /// Records the removal of `key`.
    pub fn remove(&mut self, map: MapId, key: Vec<u8>) {
        self.record((map, key), None);
    }

    /// Opens a savepoint: [`Overlay::rollback_to`] can later undo everything written after it.
    pub fn savepoint(&mut self) -> usize {
        self.savepoints += 1;
        self.undo.len()
    }

    /// Closes the savepoint `sp`, keeping its writes.
    pub fn release(&mut self, sp: usize) {
        let _ = sp;
        self.savepoints = self.savepoints.saturating_sub(1);
        if self.savepoints == 0 {
            self.undo.clear();
        }
    }

    /// Undoes every write made since savepoint `sp` and closes it.
    pub fn rollback_to(&mut self, sp: usize) {
        while self.undo.len() > sp {
            let (k, prev) = self.undo.pop().expect("len checked");
            match prev {
                Some(v) => {
                    self.writes.insert(k, v);
                }
                None => {
                    self.writes.remove(&k);
                }
            }
        }
        self.release(sp);
    }

    /// Number of keys written or removed.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// True when the transaction has not written anything.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Total bytes of keys and values written (a cheap size estimate of the write set).
    pub fn bytes(&self) -> usize {
        self.writes.iter().map(|((_, k), v)| k.len() + v.as_ref().map_or(0, Vec::len)).sum()
    }

    /// The pending entries of `map` within the key range, in key order.
    pub fn range<'a>(
        &'a self,
        map: MapId,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) -> impl DoubleEndedIterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        let lo = match lower {
            Bound::Included(k) => Bound::Included((map, k.to_vec())),
            Bound::Excluded(k) => Bound::Excluded((map, k.to_vec())),
            Bound::Unbounded => Bound::Included((map, Vec::new())),
        };
        let hi = match upper {
            Bound::Included(k) => Bound::Included((map, k.to_vec())),
            Bound::Excluded(k) => Bound::Excluded((map, k.to_vec())),
            Bound::Unbounded => match map.checked_add(1) {
                Some(next) => Bound::Excluded((next, Vec::new())),
                None => Bound::Unbounded,
            },
        };
        let empty = range_is_empty(&lo, &hi);
        let iter = if empty { None } else { Some(self.writes.range((lo, hi))) };
        iter.into_iter().flatten().map(|((_, k), v)| (k.as_slice(), v.as_deref()))
    }

    /// Consumes the overlay, yielding every write in (map, key) order.
    pub fn into_writes(self) -> impl Iterator<Item = (MapId, Vec<u8>, Option<Vec<u8>>)> {
        self.writes.into_iter().map(|((m, k), v)| (m, k, v))
    }
}

/// `BTreeMap::range` panics on an inverted range; detect it first.
fn range_is_empty<T: Ord>(lo: &Bound<T>, hi: &Bound<T>) -> bool {
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a), Bound::Excluded(b)) | (Bound::Excluded(a), Bound::Included(b)) | (Bound::Excluded(a), Bound::Excluded(b)) => {
            a >= b
        }
        _ => false,
    }
}

/// Merges an ordered base stream with the overlay's ordered entries: overlay entries win,
/// removals hide base entries. Both inputs must be in ascending key order (or both descending,
/// with `descending` set).
pub fn merge<'o, B>(
    base: B,
    overlay: impl Iterator<Item = (&'o [u8], Option<&'o [u8]>)>,
    descending: bool,
) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)>
where
    B: Iterator<Item = (Vec<u8>, Vec<u8>)>,
{
    Merge { base: base.peekable(), overlay: overlay.peekable(), descending }
}

struct Merge<B: Iterator, O: Iterator> {
    base: std::iter::Peekable<B>,
    overlay: std::iter::Peekable<O>,
    descending: bool,
}

impl<'o, B, O> Iterator for Merge<B, O>
where
    B: Iterator<Item = (Vec<u8>, Vec<u8>)>,
    O: Iterator<Item = (&'o [u8], Option<&'o [u8]>)>,
{
    type Item = (Vec<u8>, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let order = match (self.base.peek(), self.overlay.peek()) {
                (None, None) => return None,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((bk, _)), Some((ok, _))) => {
                    let o = bk.as_slice().cmp(ok);
                    if self.descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            match order {
                std::cmp::Ordering::Less => return self.base.next(),
                std::cmp::Ordering::Equal => {
                    self.base.next();
                    let (k, v) = self.overlay.next().expect("peeked");
                    if let Some(v) = v {
                        return Some((k.to_vec(), v.to_vec()));
                    }
                }
                std::cmp::Ordering::Greater => {
                    let (k, v) = self.overlay.next().expect("peeked");
                    if let Some(v) = v {
                        return Some((k.to_vec(), v.to_vec()));
                    }
                }
            }
        }
    }
}
