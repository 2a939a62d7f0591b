//! A fast hasher for the heap-side caches (the read cache's keys, the schema table): a few
//! instructions per 8 bytes where the standard SipHash spends dozens. Seeded per process from the
//! runtime's random source, so colliding keys cannot be prepared in advance.

use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// Hashes 8 bytes at a time (`h = (rotl(h, 5) ^ word) * K`) and mixes the result so that its
/// low bits, which pick a hash table's bucket (only 32 of them on wasm32), depend on every byte.
#[derive(Debug, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // MurmurHash3's 64-bit finaliser: a product's low bits see only its inputs' low bits.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Builds [`FastHasher`]s from one seed.
#[derive(Debug, Clone, Copy)]
pub struct FastState(u64);

impl Default for FastState {
    fn default() -> Self {
        FastState(seed())
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.0)
    }
}

/// A per-process seed (the runtime's random source; a fixed value if it cannot give one).
fn seed() -> u64 {
    thread_local! {
        static SEED: u64 = {
            let mut b = [0u8; 8];
            match getrandom::fill(&mut b) {
                Ok(()) => u64::from_le_bytes(b) | 1,
                Err(_) => K,
            }
        };
    }
    SEED.with(|s| *s)
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, Hasher};

    use super::*;

    fn hash(state: &FastState, v: &[u8]) -> u64 {
        state.hash_one(v)
    }

    #[test]
    fn equal_keys_hash_equal_and_near_keys_differ() {
        let s = FastState(12345);
        assert_eq!(hash(&s, b"BenchUser@1"), hash(&s, b"BenchUser@1"));
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000 {
            assert!(seen.insert(hash(&s, format!("BenchUser@{i}").as_bytes())), "collision at {i}");
        }
        assert_ne!(hash(&s, b"a"), hash(&s, b"a\0"), "the length is part of a slice's hash");
    }

    /// hashbrown picks buckets with the low bits (32 bits of hash on wasm32): keys that differ
    /// only in their last characters, like `T@1` .. `T@9999`, must spread over them.
    #[test]
    fn the_low_bits_spread_keys_that_differ_at_the_end() {
        let s = FastState(12345);
        for prefix in ["BenchUser@", "BenchUser_alias@user", "x"] {
            let low: std::collections::HashSet<u64> =
                (0..10_000).map(|i| hash(&s, format!("{prefix}{i:05}").as_bytes()) & 0xffff).collect();
            // 10,000 random values fall into about 9,270 of 65,536 buckets.
            assert!(low.len() > 9_000, "{prefix}: only {} distinct low 16 bits", low.len());
        }
        let ids: std::collections::HashSet<u64> = (0..10_000usize)
            .map(|i| {
                let mut h = s.build_hasher();
                h.write_usize(0x10_0000 + i * 64);
                h.finish() & 0xffff
            })
            .collect();
        assert!(ids.len() > 9_000, "aligned addresses: only {} distinct low 16 bits", ids.len());
    }

    #[test]
    fn the_seed_changes_the_hashes() {
        assert_ne!(hash(&FastState(1), b"key"), hash(&FastState(2), b"key"));
    }
}
