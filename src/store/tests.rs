use std::collections::BTreeMap;
use std::ops::Bound;

use ic_stable_structures::VectorMemory;
use proptest::prelude::*;

use super::*;

fn vec_store() -> Store<VectorMemory> {
    Store::open(VectorMemory::default())
}

#[test]
fn writes_need_a_transaction() {
    let mut s = vec_store();
    assert!(matches!(s.put(1, b"k", b"v"), Err(StoreError::NoTransaction)));
    assert!(matches!(s.remove(1, b"k"), Err(StoreError::NoTransaction)));
    assert!(matches!(s.commit(), Err(StoreError::NoTransaction)));
    s.begin().unwrap();
    assert!(matches!(s.begin(), Err(StoreError::AlreadyInTransaction)));
}

#[test]
fn reads_see_own_writes_and_rollback_discards_them() {
    let mut s = vec_store();
    s.begin().unwrap();
    s.put(1, b"a", b"1").unwrap();
    s.commit().unwrap();

    s.begin().unwrap();
    assert_eq!(s.put(1, b"a", b"2").unwrap(), Some(b"1".to_vec()));
    s.put(1, b"b", b"3").unwrap();
    assert_eq!(s.get(1, b"a"), Some(b"2".to_vec()));
    assert_eq!(s.len(1), 2);
    assert_eq!(s.remove(1, b"a").unwrap(), Some(b"2".to_vec()));
    assert_eq!(s.get(1, b"a"), None);
    assert!(!s.contains(1, b"a"));
    assert_eq!(s.len(1), 1);
    s.rollback();

    assert_eq!(s.get(1, b"a"), Some(b"1".to_vec()));
    assert_eq!(s.get(1, b"b"), None);
    assert_eq!(s.len(1), 1);
}

#[test]
fn savepoints_undo_only_later_writes() {
    let mut s = vec_store();
    s.begin().unwrap();
    s.put(1, b"a", b"1").unwrap();
    let outer = s.savepoint().unwrap();
    s.put(1, b"a", b"2").unwrap();
    s.put(1, b"b", b"x").unwrap();
    let inner = s.savepoint().unwrap();
    s.remove(1, b"b").unwrap();
    s.rollback_to(inner).unwrap();
    assert_eq!(s.get(1, b"b"), Some(b"x".to_vec()));
    s.rollback_to(outer).unwrap();
    assert_eq!(s.get(1, b"a"), Some(b"1".to_vec()));
    assert_eq!(s.get(1, b"b"), None);
    let sp = s.savepoint().unwrap();
    s.put(1, b"c", b"kept").unwrap();
    s.release(sp).unwrap();
    s.commit().unwrap();
    assert_eq!(s.get(1, b"c"), Some(b"kept".to_vec()));
    assert_eq!(s.get(1, b"a"), Some(b"1".to_vec()));
}

#[test]
fn maps_are_separate() {
    let mut s = vec_store();
    s.begin().unwrap();
    s.put(1, b"k", b"one").unwrap();
    s.put(2, b"k", b"two").unwrap();
    s.commit().unwrap();
    assert_eq!(s.get(1, b"k"), Some(b"one".to_vec()));
    assert_eq!(s.get(2, b"k"), Some(b"two".to_vec()));
    assert_eq!(s.len(3), 0);
    assert_eq!(s.scan(2, Bound::Unbounded, Bound::Unbounded, 10, false).len(), 1);
}

#[test]
fn prefix_scan_merges_overlay_and_base_in_order() {
    let mut s = vec_store();
    s.begin().unwrap();
    for k in ["T@1", "T@3", "T@5", "U@1", "S@9"] {
        s.put(1, k.as_bytes(), b"base").unwrap();
    }
    s.commit().unwrap();
    s.begin().unwrap();
    s.put(1, b"T@2", b"new").unwrap();
    s.put(1, b"T@3", b"changed").unwrap();
    s.remove(1, b"T@5").unwrap();
    let got: Vec<(String, String)> = s
        .scan_prefix(1, b"T@", None, 100)
        .into_iter()
        .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
        .collect();
    assert_eq!(got, vec![("T@1".into(), "base".into()), ("T@2".into(), "new".into()), ("T@3".into(), "changed".into())]);
    // Paging with `after`.
    let page: Vec<Vec<u8>> = s.scan_prefix(1, b"T@", Some(b"T@1"), 1).into_iter().map(|e| e.0).collect();
    assert_eq!(page, vec![b"T@2".to_vec()]);
    // Descending scan.
    let desc: Vec<Vec<u8>> = s.scan(1, Bound::Unbounded, Bound::Unbounded, 100, true).into_iter().map(|e| e.0).collect();
    assert_eq!(desc, vec![b"U@1".to_vec(), b"T@3".to_vec(), b"T@2".to_vec(), b"T@1".to_vec(), b"S@9".to_vec()]);
}

#[test]
fn prefix_successor_handles_ff() {
    assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
    assert_eq!(prefix_successor(&[0x61, 0xff]), Some(vec![0x62]));
    assert_eq!(prefix_successor(&[0xff, 0xff]), None);
    assert_eq!(prefix_successor(b""), None);
}

#[test]
fn data_survives_reopening_the_memory() {
    let mem = VectorMemory::default();
    {
        let mut s = Store::open(mem.clone());
        s.begin().unwrap();
        s.put(7, b"key", b"value").unwrap();
        s.commit().unwrap();
    }
    let mut s = Store::open(mem);
    assert_eq!(s.get(7, b"key"), Some(b"value".to_vec()));
}

#[test]
fn misses_in_one_gap_walk_the_tree_once() {
    let mut s = vec_store();
    s.begin().unwrap();
    for k in [&b"T@1"[..], b"T@2", b"T@3", b"T_alias@x"] {
        s.put_blind(1, k, b"v").unwrap();
    }
    s.commit().unwrap();
    let before = s.tree_reads();
    // Every key between "T@3" and "T_alias@x" is absent: the first probe finds the gap.
    for k in [&b"T@a"[..], b"T@user1", b"T@user2", b"T@zzz", b"T@user1"] {
        assert_eq!(s.get(1, k), None);
    }
    assert_eq!(s.tree_reads() - before, 1);
    // A probe below the gap's start walks the tree again (and widens the gap).
    assert_eq!(s.get(1, b"T@4"), None);
    assert_eq!(s.get(1, b"T@5"), None);
    assert_eq!(s.tree_reads() - before, 2);
    // Past the last key: one gap to the top.
    assert_eq!(s.get(1, b"zz"), None);
    assert_eq!(s.get(1, b"zzz"), None);
    assert_eq!(s.tree_reads() - before, 3);
}

#[test]
fn a_committed_key_splits_the_gap_it_lands_in() {
    let mut s = vec_store();
    s.begin().unwrap();
    s.put_blind(1, b"a", b"1").unwrap();
    s.put_blind(1, b"m", b"2").unwrap();
    s.commit().unwrap();
    assert_eq!(s.get(1, b"b"), None); // gap b..m
    s.begin().unwrap();
    s.put_blind(1, b"f", b"3").unwrap();
    s.commit().unwrap();
    let before = s.tree_reads();
    assert_eq!(s.get(1, b"f"), Some(b"3".to_vec()));
    assert_eq!(s.get(1, b"c"), None);
    assert_eq!(s.get(1, b"g"), None);
    assert_eq!(s.get(1, b"f\0"), None);
    assert_eq!(s.tree_reads(), before, "all answered from the cache");
    assert!(s.contains(1, b"f"));
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, Vec<u8>, Vec<u8>),
    Remove(u8, Vec<u8>),
    Commit,
    Rollback,
    Scan(u8, Vec<u8>, bool),
    Get(u8, Vec<u8>),
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![b'a', b'b', b'c', 0u8, 0xff]), 0..4)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..3, key(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(m, k, v)| Op::Put(m, k, v)),
        2 => (1u8..3, key()).prop_map(|(m, k)| Op::Remove(m, k)),
        1 => Just(Op::Commit),
        1 => Just(Op::Rollback),
        2 => (1u8..3, key(), any::<bool>()).prop_map(|(m, k, d)| Op::Scan(m, k, d)),
        3 => (1u8..3, key()).prop_map(|(m, k)| Op::Get(m, k)),
    ]
}

type Model = BTreeMap<(u8, Vec<u8>), Vec<u8>>;

fn model_scan(model: &Model, map: u8, prefix: &[u8], desc: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v: Vec<_> =
        model.iter().filter(|((m, k), _)| *m == map && k.starts_with(prefix)).map(|((_, k), v)| (k.clone(), v.clone())).collect();
    if desc {
        v.reverse();
    }
    v
}

proptest! {
    /// The store behaves like a plain ordered map with copy-on-begin transactions.
    #[test]
    fn store_matches_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut s = vec_store();
        let mut committed: Model = BTreeMap::new();
        let mut working: Option<Model> = None;
        for op in ops {
            if working.is_none() {
                s.begin().unwrap();
                working = Some(committed.clone());
            }
            let w = working.as_mut().unwrap();
            match op {
                Op::Put(m, k, v) => {
                    let old = s.put(m, &k, &v).unwrap();
                    prop_assert_eq!(old, w.insert((m, k), v));
                }
                Op::Remove(m, k) => {
                    let old = s.remove(m, &k).unwrap();
                    prop_assert_eq!(old, w.remove(&(m, k)));
                }
                Op::Commit => {
                    s.commit().unwrap();
                    committed = working.take().unwrap();
                }
                Op::Rollback => {
                    s.rollback();
                    working = None;
                }
                Op::Scan(m, prefix, desc) => {
                    let got = if desc {
                        let upper = prefix_successor(&prefix);
                        let ub = upper.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
                        s.scan(m, Bound::Included(&prefix), ub, usize::MAX, true)
                    } else {
                        s.scan_prefix(m, &prefix, None, usize::MAX)
                    };
                    prop_assert_eq!(got, model_scan(w, m, &prefix, desc));
                    prop_assert_eq!(s.len(m) as usize, w.keys().filter(|(mm, _)| *mm == m).count());
                }
                Op::Get(m, k) => {
                    prop_assert_eq!(s.contains(m, &k), w.contains_key(&(m, k.clone())));
                    prop_assert_eq!(s.get(m, &k), w.get(&(m, k)).cloned());
                }
            }
        }
        s.rollback();
        for ((m, k), v) in &committed {
            prop_assert_eq!(s.get(*m, k), Some(v.clone()));
        }
        // Every short key: what the cache (values and gaps) says matches the maps.
        let keys = [vec![], vec![b'a'], vec![b'a', b'b'], vec![b'b'], vec![b'b', 0], vec![b'c'], vec![0xff], vec![0xff, 0xff]];
        for m in 1u8..3 {
            for k in &keys {
                prop_assert_eq!(s.get(m, k), committed.get(&(m, k.clone())).cloned());
            }
        }
        for m in 1u8..3 {
            prop_assert_eq!(s.len(m) as usize, committed.keys().filter(|(mm, _)| *mm == m).count());
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod file {
    use super::super::journal;
    use super::*;

    #[test]
    fn file_store_persists_commits_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.stable");
        {
            let mut s = Store::open(FileMemory::open(&path).unwrap());
            s.begin().unwrap();
            s.put(1, b"committed", b"yes").unwrap();
            s.commit().unwrap();
            s.begin().unwrap();
            s.put(1, b"uncommitted", b"no").unwrap();
            // dropped without commit
        }
        let mut s = Store::open(FileMemory::open(&path).unwrap());
        assert_eq!(s.get(1, b"committed"), Some(b"yes".to_vec()));
        assert_eq!(s.get(1, b"uncommitted"), None);
    }

    #[test]
    fn second_open_is_refused_while_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.stable");
        let _first = FileMemory::open(&path).unwrap();
        assert!(matches!(FileMemory::open(&path), Err(StoreError::Locked(_))));
    }

    #[test]
    fn complete_journal_is_replayed_and_torn_journal_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.stable");
        // Commit one state, then craft the journal that a later commit would leave behind.
        let (before, after) = {
            let mem = FileMemory::open(&path).unwrap();
            let mut s = Store::open(mem.clone());
            s.begin().unwrap();
            s.put(1, b"k", b"old").unwrap();
            s.commit().unwrap();
            let before = std::fs::read(&path).unwrap();
            // Build the next state in RAM only.
            s.begin().unwrap();
            s.put(1, b"k", b"new").unwrap();
            s.txn.take().unwrap().into_writes().for_each(|(m, k, v)| {
                s.map_mut(m).insert(k, v.unwrap());
            });
            let mut image = vec![0u8; mem.len_bytes() as usize];
            mem.read(0, &mut image);
            (before, image)
        };
        let all_chunks = (0..(after.len() / journal::CHUNK) as u64).collect::<Vec<_>>();
        let bytes = journal::encode(&after, all_chunks.iter().copied());
        let jpath = dir.path().join("state.stable.journal");

        // A torn journal (commit point not reached) leaves the old state.
        std::fs::write(&jpath, &bytes[..bytes.len() - 9]).unwrap();
        {
            let mut s = Store::open(FileMemory::open(&path).unwrap());
            assert_eq!(s.get(1, b"k"), Some(b"old".to_vec()));
        }
        assert!(!jpath.exists());
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // A complete journal is applied.
        std::fs::write(&jpath, &bytes).unwrap();
        let mut s = Store::open(FileMemory::open(&path).unwrap());
        assert_eq!(s.get(1, b"k"), Some(b"new".to_vec()));
        assert!(!jpath.exists());
    }

    #[test]
    fn journal_roundtrip_and_checksum() {
        let mut image = vec![0u8; 3 * journal::CHUNK];
        image[journal::CHUNK + 5] = 42;
        let bytes = journal::encode(&image, [1u64].into_iter());
        let j = journal::decode(&bytes).unwrap().unwrap();
        assert_eq!(j.new_len, image.len() as u64);
        assert_eq!(j.chunks.len(), 1);
        assert_eq!(j.chunks[0].1[5], 42);
        let mut bad = bytes.clone();
        bad[40] ^= 1;
        assert_eq!(journal::decode(&bad).unwrap(), None);
    }

    /// Pins the journal format: a change to it must be deliberate (bump the version).
    #[test]
    fn journal_format_is_pinned_by_golden_file() {
        let mut image = vec![0u8; 2 * journal::CHUNK];
        image[..11].copy_from_slice(b"golden page");
        image[journal::CHUNK..journal::CHUNK + 4].copy_from_slice(b"\x01\x02\x03\x04");
        let bytes = journal::encode(&image, [0u64, 1].into_iter());
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/journal_v1.bin");
        if std::env::var("CODEXVM_BLESS").is_ok() {
            std::fs::write(&golden, &bytes).unwrap();
        }
        let expected = std::fs::read(&golden).expect("golden file (regenerate with CODEXVM_BLESS=1)");
        assert!(bytes == expected, "journal encoding changed; this breaks recovery of existing state files");
    }
}
