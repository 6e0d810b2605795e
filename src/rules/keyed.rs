//! Grouping state shared by the rules that group rows by a key.
//!
//! Entries are spread over partitions by the key's top bits as they arrive and stored in fixed-size chunks,
//! so neither growth nor merging ever copies them (merging two states moves chunk pointers). Finishing
//! gathers each partition into one vector and sorts it, partitions in parallel: many small cache-friendly
//! sorts instead of one large one. Any merge order gives the same result, because each partition is sorted
//! by the key and then, within runs of equal keys, by the entries' total order.

use rayon::prelude::*;

/// Number of partitions (a power of two).
pub const PARTS: usize = 64;
const SHIFT: u32 = 64 - PARTS.trailing_zeros();
/// Entries per chunk once a partition has grown (the first chunks are smaller, so sparse states stay small).
const CHUNK: usize = 4096;

/// An entry with a 64-bit grouping key.
pub trait Keyed64: Ord + Copy + Send + Sync {
    fn key(&self) -> u64;
}

impl<T: Ord + Copy + Send + Sync> Keyed64 for (u64, T) {
    #[inline]
    fn key(&self) -> u64 {
        self.0
    }
}

impl<A: Ord + Copy + Send + Sync, B: Ord + Copy + Send + Sync> Keyed64 for (u64, A, B) {
    #[inline]
    fn key(&self) -> u64 {
        self.0
    }
}

/// Entries partitioned by their key.
#[derive(Debug, Clone)]
pub struct Keyed<T> {
    parts: Vec<Vec<Vec<T>>>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Self {
            parts: (0..PARTS).map(|_| Vec::new()).collect(),
        }
    }
}

impl<T: Keyed64> Keyed<T> {
    #[inline]
    pub fn push(&mut self, entry: T) {
        let part = &mut self.parts[(entry.key() >> SHIFT) as usize];
        match part.last_mut() {
            Some(c) if c.len() < c.capacity() => c.push(entry),
            last => {
                let cap = last.map_or(256, |c| (c.capacity() * 2).min(CHUNK));
                let mut c = Vec::with_capacity(cap);
                c.push(entry);
                part.push(c);
            }
        }
    }

    /// Moves the other state's chunks into this one (no entry is copied).
    pub fn append(&mut self, other: Self) {
        for (a, b) in self.parts.iter_mut().zip(other.parts) {
            // keep a partially filled chunk last, so `push` goes on filling it
            let keep_last = a.last().is_some_and(|c| c.len() < c.capacity());
            if keep_last {
                if let Some(tail) = a.pop() {
                    a.extend(b);
                    a.push(tail);
                    continue;
                }
            }
            a.extend(b);
        }
    }

    pub fn len(&self) -> usize {
        self.parts.iter().flatten().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gathers and sorts every partition and hands its runs of equal keys to `f`, partitions in parallel;
    /// the results come back in partition order, each partition's in key order.
    pub fn finish<R: Send>(self, f: impl Fn(&[T]) -> Option<R> + Sync) -> Vec<R> {
        self.parts
            .into_par_iter()
            .flat_map_iter(|chunks| {
                let mut v: Vec<T> = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
                for c in chunks {
                    v.extend_from_slice(&c);
                }
                v.sort_unstable_by_key(Keyed64::key);
                let mut out = Vec::new();
                for run in v.chunk_by_mut(|a, b| a.key() == b.key()) {
                    if run.len() > 1 {
                        run.sort_unstable();
                    }
                    out.extend(f(run));
                }
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_order_does_not_matter() {
        let entries: Vec<(u64, u64)> = (0..20_000u64)
            .map(|i| ((i % 977).wrapping_mul(0x9E37_79B9_7F4A_7C15), 20_000 - i))
            .collect();
        let run = |splits: &[usize]| {
            let mut states: Vec<Keyed<(u64, u64)>> = Vec::new();
            let mut start = 0;
            for &end in splits.iter().chain(std::iter::once(&entries.len())) {
                let mut k = Keyed::default();
                for e in &entries[start..end] {
                    k.push(*e);
                }
                states.push(k);
                start = end;
            }
            let mut acc = Keyed::default();
            for s in states.into_iter().rev() {
                acc.append(s);
            }
            acc.finish(|run| Some(run.to_vec()))
        };
        let a = run(&[]);
        assert_eq!(a.len(), 977);
        assert!(a.iter().all(|g| g.windows(2).all(|w| w[0] < w[1])));
        assert_eq!(a, run(&[5, 9000, 13_000]));
        assert_eq!(a, run(&[1, 2, 3, 19_999]));
    }
}
