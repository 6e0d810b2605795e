//! Grouping state shared by the rules that group rows by a key: entries are spread over partitions by the
//! key's top bits as they arrive, so finishing sorts many small cache-friendly vectors in parallel instead of
//! one large one. Any merge order gives the same result: each partition is sorted by the entries' total order.

use rayon::prelude::*;

/// Number of partitions (a power of two).
pub const PARTS: usize = 64;
const SHIFT: u32 = 64 - PARTS.trailing_zeros();

/// Entries partitioned by a 64-bit key.
#[derive(Debug, Clone)]
pub struct Keyed<T> {
    parts: Vec<Vec<T>>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Self {
            parts: (0..PARTS).map(|_| Vec::new()).collect(),
        }
    }
}

impl<T: Ord + Send> Keyed<T> {
    #[inline]
    pub fn push(&mut self, key: u64, entry: T) {
        self.parts[(key >> SHIFT) as usize].push(entry);
    }

    pub fn append(&mut self, mut other: Self) {
        for (a, b) in self.parts.iter_mut().zip(other.parts.iter_mut()) {
            if a.len() < b.len() {
                std::mem::swap(a, b);
            }
            a.append(b);
        }
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sorts every partition and hands it to `f`, in parallel; the results come back in partition order.
    pub fn finish<R: Send>(self, f: impl Fn(&[T]) -> Vec<R> + Sync) -> Vec<R> {
        self.parts
            .into_par_iter()
            .flat_map_iter(|mut p| {
                p.sort_unstable();
                f(&p)
            })
            .collect()
    }
}
