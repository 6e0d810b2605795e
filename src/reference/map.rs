//! A compact read-only map from 64-bit keys (already well-spread hashes, never 0) to small `Copy` values.
//!
//! Why not `HashMap<u64, V>`: the keys are xxh3 hashes, so hashing them again is wasted work, and the std
//! map's control bytes and load factor cost memory at 10 million entries. This map is split into
//! [`PARTS`] open-addressing tables (linear probing, load at most 0.7) chosen by the key's top bits, built in
//! parallel; a lookup is one or two cache misses.

use rayon::prelude::*;

const PARTS: usize = 64;
const SHIFT: u32 = 64 - PARTS.trailing_zeros();
const EMPTY: u64 = 0;

#[derive(Clone)]
struct Part<V> {
    keys: Vec<u64>,
    vals: Vec<V>,
    mask: usize,
}

/// The map. Build it with [`U64Map::build`].
///
/// A blocked Bloom filter (two bits of one 64-bit word per key, 16 bits per key: about 1.5% false positives)
/// sits in front of the tables: most ledger lookups into the deaths and officials tables miss, and the filter,
/// a few hundred kilobytes, answers those from cache without touching the tables.
#[derive(Clone)]
pub struct U64Map<V> {
    parts: Vec<Part<V>>,
    filter: Vec<u64>,
    len: usize,
}

/// The filter word and the two bits of a key (bits of the key not used to pick the part or the slot).
#[inline]
fn filter_bits(k: u64, words: usize) -> (usize, u64) {
    let w = ((k >> 24) as usize) & (words - 1);
    let b = (1u64 << ((k >> 12) & 63)) | (1u64 << ((k >> 18) & 63));
    (w, b)
}

impl<V> std::fmt::Debug for U64Map<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "U64Map({} keys)", self.len)
    }
}

impl<V: Copy + Default + Send + Sync> Default for U64Map<V> {
    fn default() -> Self {
        Self::build(&[], |_, _| {})
    }
}

impl<V: Copy + Default + Send + Sync> U64Map<V> {
    /// Builds the map from `(key, value)` pairs; a key seen again is combined into the value kept with
    /// `combine(kept, new)`, in the order of `pairs` within each part (so a deterministic input gives a
    /// deterministic map). Key 0 is not allowed (it marks empty slots) and is dropped.
    pub fn build(pairs: &[(u64, V)], combine: impl Fn(&mut V, V) + Sync) -> Self {
        let mut split: Vec<Vec<(u64, V)>> = (0..PARTS).map(|_| Vec::new()).collect();
        for &(k, v) in pairs {
            if k != EMPTY {
                split[(k >> SHIFT) as usize].push((k, v));
            }
        }
        let parts: Vec<Part<V>> = split
            .into_par_iter()
            .map(|items| {
                let cap = (items.len() * 10 / 7 + 1).next_power_of_two().max(4);
                let mut p = Part {
                    keys: vec![EMPTY; cap],
                    vals: vec![V::default(); cap],
                    mask: cap - 1,
                };
                for (k, v) in items {
                    let mut i = (k as usize) & p.mask;
                    loop {
                        if p.keys[i] == EMPTY {
                            p.keys[i] = k;
                            p.vals[i] = v;
                            break;
                        }
                        if p.keys[i] == k {
                            combine(&mut p.vals[i], v);
                            break;
                        }
                        i = (i + 1) & p.mask;
                    }
                }
                p
            })
            .collect();
        let len: usize = parts
            .iter()
            .map(|p| p.keys.iter().filter(|k| **k != EMPTY).count())
            .sum();
        let words = (len * 16 / 64 + 1).next_power_of_two();
        let mut filter = vec![0u64; words];
        for p in &parts {
            for &k in p.keys.iter().filter(|k| **k != EMPTY) {
                let (w, b) = filter_bits(k, words);
                filter[w] |= b;
            }
        }
        Self { parts, filter, len }
    }

    #[inline]
    pub fn get(&self, k: u64) -> Option<&V> {
        if k == EMPTY {
            return None;
        }
        let (w, b) = filter_bits(k, self.filter.len());
        if self.filter[w] & b != b {
            return None;
        }
        let p = &self.parts[(k >> SHIFT) as usize];
        let mut i = (k as usize) & p.mask;
        loop {
            let x = p.keys[i];
            if x == k {
                return Some(&p.vals[i]);
            }
            if x == EMPTY {
                return None;
            }
            i = (i + 1) & p.mask;
        }
    }

    /// The keys whose value satisfies `pred`, in slot order (every slot is visited once: no lookups).
    pub fn keys_where(&self, pred: impl Fn(&V) -> bool) -> Vec<u64> {
        self.parts
            .iter()
            .flat_map(|p| p.keys.iter().zip(&p.vals))
            .filter(|(k, v)| **k != EMPTY && pred(v))
            .map(|(k, _)| *k)
            .collect()
    }

    pub fn contains(&self, k: u64) -> bool {
        self.get(k).is_some()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the slots.
    pub fn memory_bytes(&self) -> usize {
        self.parts
            .iter()
            .map(|p| p.keys.len() * (8 + std::mem::size_of::<V>()))
            .sum::<usize>()
            + self.filter.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_get_and_combine() {
        let pairs: Vec<(u64, u32)> = (1..=10_000u64)
            .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i as u32))
            .chain([(7u64.wrapping_mul(0x9E37_79B9_7F4A_7C15), 3)])
            .chain([(0, 5)])
            .collect();
        let m = U64Map::build(&pairs, |a, b| *a = (*a).min(b));
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get(7u64.wrapping_mul(0x9E37_79B9_7F4A_7C15)), Some(&3));
        assert_eq!(m.get(8u64.wrapping_mul(0x9E37_79B9_7F4A_7C15)), Some(&8));
        assert_eq!(m.get(12_345), None);
        assert_eq!(m.get(0), None);
        let mut small = m.keys_where(|v| *v <= 3);
        small.sort_unstable();
        let mut want: Vec<u64> = (1..=3u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        want.push(7u64.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        want.sort_unstable();
        assert_eq!(small, want);
        let e: U64Map<u32> = U64Map::default();
        assert!(e.is_empty() && e.get(1).is_none());
    }
}
