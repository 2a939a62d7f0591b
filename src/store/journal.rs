//! The redo journal that makes a commit to the state file all-or-nothing.
//!
//! Layout (all integers little-endian), pinned by `tests/golden/journal_v1.bin`:
//! ```text
//! "CODEXVM-JOURNAL\0"   16 bytes
//! version               u32 = 1
//! new_len               u64   length of the memory image after the commit, in bytes
//! count                 u32   number of chunk records
//! count × { index u64, CHUNK bytes }
//! checksum              u64   FNV-1a 64 of every byte above
//! ```
//! A journal that is short or fails its checksum was torn before the commit point and is ignored.

use std::io;

/// Size of one journaled chunk of the memory image.
pub const CHUNK: usize = 4096;
const MAGIC: &[u8; 16] = b"CODEXVM-JOURNAL\0";
const VERSION: u32 = 1;

/// A decoded journal: the image length and the chunks to write.
#[derive(Debug, PartialEq, Eq)]
pub struct Journal {
    /// Image length in bytes after the commit.
    pub new_len: u64,
    /// `(chunk index, chunk bytes)` pairs.
    pub chunks: Vec<(u64, Vec<u8>)>,
}

/// FNV-1a, 64-bit.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Serializes a journal from the image and the indexes of its dirty chunks.
pub fn encode(image: &[u8], dirty: impl Iterator<Item = u64>) -> Vec<u8> {
    let dirty: Vec<u64> = dirty.collect();
    let mut out = Vec::with_capacity(40 + dirty.len() * (8 + CHUNK));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(image.len() as u64).to_le_bytes());
    out.extend_from_slice(&(dirty.len() as u32).to_le_bytes());
    for idx in dirty {
        let start = idx as usize * CHUNK;
        let end = (start + CHUNK).min(image.len());
        out.extend_from_slice(&idx.to_le_bytes());
        let mut chunk = [0u8; CHUNK];
        if start < end {
            chunk[..end - start].copy_from_slice(&image[start..end]);
        }
        out.extend_from_slice(&chunk);
    }
    let sum = fnv1a64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Parses a journal; `Ok(None)` means torn or foreign (the commit did not happen).
pub fn decode(bytes: &[u8]) -> io::Result<Option<Journal>> {
    let header = 16 + 4 + 8 + 4;
    if bytes.len() < header + 8 || &bytes[..16] != MAGIC {
        return Ok(None);
    }
    let version = u32::from_le_bytes(bytes[16..20].try_into().unwrap());
    if version != VERSION {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("journal version {version} is not supported (expected {VERSION})")));
    }
    let new_len = u64::from_le_bytes(bytes[20..28].try_into().unwrap());
    let count = u32::from_le_bytes(bytes[28..32].try_into().unwrap()) as usize;
    let expected = header + count * (8 + CHUNK) + 8;
    if bytes.len() != expected {
        return Ok(None);
    }
    let body = &bytes[..expected - 8];
    let sum = u64::from_le_bytes(bytes[expected - 8..].try_into().unwrap());
    if fnv1a64(body) != sum {
        return Ok(None);
    }
    let mut chunks = Vec::with_capacity(count);
    let mut at = header;
    for _ in 0..count {
        let idx = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        chunks.push((idx, bytes[at + 8..at + 8 + CHUNK].to_vec()));
        at += 8 + CHUNK;
    }
    Ok(Some(Journal { new_len, chunks }))
}
