//! The check a state file's image passes before the store uses it: a stable memory laid out by
//! `ic-stable-structures`' memory manager (header "MGR", layout 1) whose bucket table, length and
//! maps agree. The memory manager and the B-tree map start over on a header they do not
//! recognise, which would overwrite a foreign or damaged file with an empty store; a file that
//! fails here is refused instead, and left as it is.

use std::fmt::Write;

const PAGE: u64 = 65536;
const MANAGER_MAGIC: &[u8; 3] = b"MGR";
const LAYOUT_VERSION: u8 = 1;
const MAX_MEMORIES: usize = 255;
const MAX_BUCKETS: usize = 32768;
const UNALLOCATED: u8 = 255;
/// Magic, version, allocated buckets (u16), bucket size (u16), 32 reserved bytes, 255 sizes (u64).
const HEADER_LEN: usize = 3 + 1 + 2 + 2 + 32 + MAX_MEMORIES * 8;
const SIZES_AT: usize = 40;
/// The buckets start after the manager's first page.
const BUCKETS_AT_PAGE: u64 = 1;
const BTREE_MAGIC: &[u8; 3] = b"BTR";

/// Why a state file's image is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The file does not start with a stable-memory header.
    #[error("not a codexvm state file: it does not start with a stable-memory header (its first bytes are {0})")]
    Foreign(String),
    /// The file's length is not a whole number of 64 KiB pages.
    #[error("truncated or not a codexvm state file: {0} bytes is not a whole number of 64 KiB pages")]
    PartialPage(u64),
    /// The header has a layout version this build does not read.
    #[error("stable-memory layout version {0} is not supported (codexvm reads version 1)")]
    Version(u8),
    /// The file is shorter than the buckets its header allocates.
    #[error("truncated: {have} pages of 64 KiB, but its header allocates buckets up to page {need}")]
    Truncated {
        /// Pages in the file.
        have: u64,
        /// Pages the header's buckets need.
        need: u64,
    },
    /// The header, the bucket table or a map's header contradicts the rest.
    #[error("damaged: {0}")]
    Damaged(String),
}

/// Checks `image` (the whole file); an empty image is a new store and passes.
pub(crate) fn check(image: &[u8]) -> Result<(), ImageError> {
    if image.is_empty() {
        return Ok(());
    }
    if !image.starts_with(MANAGER_MAGIC) {
        return Err(ImageError::Foreign(first_bytes(image)));
    }
    if !(image.len() as u64).is_multiple_of(PAGE) {
        return Err(ImageError::PartialPage(image.len() as u64));
    }
    if image[3] != LAYOUT_VERSION {
        return Err(ImageError::Version(image[3]));
    }
    let allocated = u16::from_le_bytes([image[4], image[5]]) as usize;
    let bucket_pages = u16::from_le_bytes([image[6], image[7]]) as u64;
    if bucket_pages == 0 {
        return Err(ImageError::Damaged("the bucket size is 0 pages".into()));
    }
    if allocated > MAX_BUCKETS {
        return Err(ImageError::Damaged(format!("{allocated} buckets allocated, more than {MAX_BUCKETS}")));
    }
    // Buckets are handed out in order, so exactly the first `allocated` belong to a memory.
    let table = &image[HEADER_LEN..HEADER_LEN + MAX_BUCKETS];
    let mut owned = [0u64; MAX_MEMORIES];
    let mut first_bucket = [None; MAX_MEMORIES];
    for (bucket, &owner) in table.iter().enumerate() {
        match (bucket < allocated, owner) {
            (true, UNALLOCATED) => {
                return Err(ImageError::Damaged(format!("bucket {bucket} is counted as allocated but marked free")));
            }
            (true, m) => {
                owned[m as usize] += 1;
                first_bucket[m as usize].get_or_insert(bucket as u64);
            }
            (false, UNALLOCATED) => {}
            (false, m) => {
                return Err(ImageError::Damaged(format!(
                    "bucket {bucket} is marked as memory {m}'s, past the {allocated} the header allocates"
                )));
            }
        }
    }
    let have = image.len() as u64 / PAGE;
    let need = BUCKETS_AT_PAGE + allocated as u64 * bucket_pages;
    if have < need {
        return Err(ImageError::Truncated { have, need });
    }
    for m in 0..MAX_MEMORIES {
        let at = SIZES_AT + m * 8;
        let size = u64::from_le_bytes(image[at..at + 8].try_into().expect("8 bytes"));
        if size > owned[m] * bucket_pages {
            return Err(ImageError::Damaged(format!(
                "memory {m} is {size} pages long but owns {} buckets of {bucket_pages} pages",
                owned[m]
            )));
        }
        // Every memory the store uses holds one B-tree map, whose header starts its first bucket.
        if let (true, Some(bucket)) = (size > 0, first_bucket[m]) {
            let start = ((BUCKETS_AT_PAGE + bucket * bucket_pages) * PAGE) as usize;
            if !image[start..].starts_with(BTREE_MAGIC) {
                return Err(ImageError::Damaged(format!("map {m} does not start with a B-tree header")));
            }
        }
    }
    Ok(())
}

/// Up to 8 leading bytes, in hex.
fn first_bytes(image: &[u8]) -> String {
    let mut s = String::new();
    for b in image.iter().take(8) {
        let _ = write!(s, "{b:02x} ");
    }
    s.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::store::{FileMemory, Store, StoreError};

    /// A state file holding two maps, and its bytes.
    fn state_file(dir: &Path) -> (PathBuf, Vec<u8>) {
        let path = dir.join("state.stable");
        let mut s = Store::open(FileMemory::open(&path).unwrap());
        s.begin().unwrap();
        s.put(1, b"k", b"v").unwrap();
        s.put(7, b"other", &[9; 300]).unwrap();
        s.commit().unwrap();
        drop(s);
        let bytes = std::fs::read(&path).unwrap();
        (path, bytes)
    }

    fn written() -> Vec<u8> {
        state_file(tempfile::tempdir().unwrap().path()).1
    }

    /// Opens `bytes` as a state file, expecting a refusal that leaves the file as it was.
    fn refused(bytes: &[u8]) -> ImageError {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.stable");
        std::fs::write(&path, bytes).unwrap();
        let err = match FileMemory::open(&path) {
            Err(StoreError::BadImage { source, .. }) => source,
            Err(e) => panic!("refused for another reason: {e}"),
            Ok(_) => panic!("opened"),
        };
        assert!(std::fs::read(&path).unwrap() == bytes, "a refused file is left as it was");
        err
    }

    fn damaged(e: ImageError) -> String {
        match e {
            ImageError::Damaged(why) => why,
            e => panic!("not reported as damage: {e:?}"),
        }
    }

    const BUCKETS: usize = HEADER_LEN;

    #[test]
    fn a_file_written_by_the_store_passes_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = state_file(dir.path());
        assert_eq!(check(&bytes), Ok(()));
        assert_eq!(check(&[]), Ok(()), "an empty file is a new store");
        let mut s = Store::open(FileMemory::open(&path).unwrap());
        assert_eq!(s.get(7, b"other"), Some(vec![9; 300]));
    }

    #[test]
    fn files_that_are_not_state_files_are_refused() {
        assert_eq!(refused(b"hello world, not a state file\n"), ImageError::Foreign("68 65 6c 6c 6f 20 77 6f".into()));
        let mut bytes = written();
        bytes[0] ^= 1;
        assert!(matches!(refused(&bytes), ImageError::Foreign(_)));
        // 64 KiB of noise (a fixed seed).
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let noise: Vec<u8> = (0..PAGE)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(matches!(refused(&noise), ImageError::Foreign(_)));
    }

    #[test]
    fn truncated_files_are_refused() {
        let bytes = written();
        assert_eq!(refused(&bytes[..bytes.len() - 100]), ImageError::PartialPage(bytes.len() as u64 - 100));
        let pages = bytes.len() as u64 / PAGE;
        assert_eq!(refused(&bytes[..2 * PAGE as usize]), ImageError::Truncated { have: 2, need: pages });
        assert_eq!(refused(&bytes[..(pages - 1) as usize * PAGE as usize]), ImageError::Truncated { have: pages - 1, need: pages });
    }

    #[test]
    fn a_newer_layout_is_refused() {
        let mut bytes = written();
        bytes[3] = 2;
        assert_eq!(refused(&bytes), ImageError::Version(2));
    }

    #[test]
    fn a_damaged_header_or_bucket_table_is_refused() {
        let good = written();
        let allocated = u16::from_le_bytes([good[4], good[5]]) as usize;
        assert_eq!(allocated, 2, "one bucket for each of the two maps");

        let mut bytes = good.clone();
        bytes[6..8].copy_from_slice(&0u16.to_le_bytes());
        assert!(damaged(refused(&bytes)).contains("bucket size is 0"));

        let mut bytes = good.clone();
        bytes[4..6].copy_from_slice(&40000u16.to_le_bytes());
        assert!(damaged(refused(&bytes)).contains("40000 buckets"));

        let mut bytes = good.clone();
        bytes[BUCKETS] = UNALLOCATED;
        assert!(damaged(refused(&bytes)).contains("bucket 0 is counted as allocated but marked free"));

        let mut bytes = good.clone();
        bytes[BUCKETS + 5] = 3;
        assert!(damaged(refused(&bytes)).contains("bucket 5 is marked as memory 3's"));

        let mut bytes = good.clone();
        let size_of_1 = SIZES_AT + 8;
        bytes[size_of_1..size_of_1 + 8].copy_from_slice(&1000u64.to_le_bytes());
        assert!(damaged(refused(&bytes)).contains("memory 1 is 1000 pages long but owns 1 buckets"));
    }

    #[test]
    fn a_map_without_its_b_tree_header_is_refused() {
        let mut bytes = written();
        // Map 1 was written first, so it owns bucket 0, right after the manager's page.
        let start = (BUCKETS_AT_PAGE * PAGE) as usize;
        assert_eq!(&bytes[start..start + 3], BTREE_MAGIC);
        bytes[start] = b'X';
        assert!(damaged(refused(&bytes)).contains("map 1 does not start with a B-tree header"));
    }
}
