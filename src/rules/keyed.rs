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

/// The partition of a key.
#[inline]
pub fn part_of(key: u64) -> usize {
    (key >> SHIFT) as usize
}

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

impl<A, B, C, D, E, F> Keyed64 for (u64, A, B, C, D, E, F)
where
    (u64, A, B, C, D, E, F): Ord + Copy + Send + Sync,
{
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

/// The byte form of a state ([`crate::engine::codec`]): the partitions' entries, one sequence per partition (its
/// chunks joined). Decoding refuses a state with another number of partitions.
impl<T: serde::Serialize> serde::Serialize for Keyed<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Part<'a, T>(&'a [Vec<T>]);
        impl<T: serde::Serialize> serde::Serialize for Part<'_, T> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(self.0.iter().map(Vec::len).sum()))?;
                for e in self.0.iter().flatten() {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
        }
        s.collect_seq(self.parts.iter().map(|p| Part(p)))
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Keyed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parts: Vec<Vec<T>> = serde::Deserialize::deserialize(d)?;
        if parts.len() != PARTS {
            return Err(serde::de::Error::custom(format!(
                "a grouping of {} partitions, expected {PARTS}",
                parts.len()
            )));
        }
        Ok(Self {
            parts: parts
                .into_iter()
                .map(|p| if p.is_empty() { Vec::new() } else { vec![p] })
                .collect(),
        })
    }
}

impl<T> crate::engine::spill::Parts for Keyed<T> {
    const SPLITS: bool = true;
    fn part_bytes(&self) -> usize {
        self.parts.iter().flatten().map(Vec::len).sum::<usize>() * std::mem::size_of::<T>()
    }
    fn take_part(&mut self, p: usize) -> Self {
        let mut out = Self::default();
        if let (Some(mine), Some(theirs)) = (self.parts.get_mut(p), out.parts.get_mut(p)) {
            std::mem::swap(mine, theirs);
        }
        out
    }
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

    /// Every chunk of entries, in no particular order, for a parallel pass that needs no grouping.
    pub fn par_chunks(&self) -> impl ParallelIterator<Item = &Vec<T>> {
        self.parts.par_iter().flat_map_iter(|p| p.iter())
    }

    pub fn len(&self) -> usize {
        self.parts.iter().flatten().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gathers and sorts every partition and hands its runs of equal keys to `f`, partitions in parallel;
    /// the results (none, one or several per run) come back in partition order, each partition's in key order
    /// (and a run in the entries' total order).
    ///
    /// The keys are hashes, so they are spread evenly: a partition is gathered by scattering its entries into
    /// buckets of about [`BUCKET`] entries on the key bits below the partition's, and each bucket is sorted
    /// on its own, in cache. That is one counting pass and one copy instead of a comparison sort of the whole
    /// partition.
    pub fn finish<R: Send, I: IntoIterator<Item = R>>(
        self,
        f: impl Fn(&[T]) -> I + Sync,
    ) -> Vec<R> {
        self.finish_sorted(true, f)
    }

    /// As [`Keyed::finish`], but a run's entries come in no particular order (only the runs are sorted by
    /// key): for rules whose runs are long and that do not need their entries ordered, or order them more
    /// cheaply themselves. `f` must give the same result whatever the order within a run.
    pub fn finish_grouped<R: Send, I: IntoIterator<Item = R>>(
        self,
        f: impl Fn(&[T]) -> I + Sync,
    ) -> Vec<R> {
        self.finish_sorted(false, f)
    }

    fn finish_sorted<R: Send, I: IntoIterator<Item = R>>(
        self,
        total: bool,
        f: impl Fn(&[T]) -> I + Sync,
    ) -> Vec<R> {
        self.parts
            .into_par_iter()
            .flat_map_iter(|chunks| {
                let v = bucket_sort(&chunks, total);
                drop(chunks);
                let mut out = Vec::new();
                for run in v.chunk_by(|a, b| a.key() == b.key()) {
                    out.extend(f(run));
                }
                out
            })
            .collect()
    }
}

/// The state of a rule that flags single payments on facts of their payee: the flagged entries, and the
/// worker's per-payee memo of its verdicts (a cache: dropped when states merge).
///
/// `M` is the memo: a [`crate::ledger::payees::Memo`] (a verdict that also depends on a tag such as the
/// account) or [`crate::ledger::payees::Facts`] (facts of the payee alone).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Flagged<E, M> {
    pub found: Keyed<E>,
    /// A cache of the worker: never merged, never serialized.
    #[serde(skip)]
    pub memo: M,
}

impl<E, M: Default> Default for Flagged<E, M> {
    fn default() -> Self {
        Self {
            found: Keyed::default(),
            memo: M::default(),
        }
    }
}

impl<E, M: Default> crate::engine::spill::Parts for Flagged<E, M> {
    const SPLITS: bool = true;
    fn part_bytes(&self) -> usize {
        self.found.part_bytes()
    }
    /// The flagged entries of partition `p` (the memo is the worker's: it stays).
    fn take_part(&mut self, p: usize) -> Self {
        Self {
            found: self.found.take_part(p),
            memo: M::default(),
        }
    }
}

impl<E: Keyed64, M> Flagged<E, M> {
    /// Moves the other state's entries into this one.
    pub fn append(&mut self, other: Self) {
        self.found.append(other.found);
    }
}

/// Entries per bucket aimed at when sorting a partition.
const BUCKET: usize = 64;

/// The entries of `chunks` sorted by key, then (with `total`) by their total order.
fn bucket_sort<T: Keyed64>(chunks: &[Vec<T>], total: bool) -> Vec<T> {
    let n: usize = chunks.iter().map(Vec::len).sum();
    let Some(&fill) = chunks.iter().find_map(|c| c.first()) else {
        return Vec::new();
    };
    let bits = (n / BUCKET).max(1).ilog2().min(16);
    let bucket = |k: u64| -> usize {
        if bits == 0 {
            0
        } else {
            ((k << PARTS.trailing_zeros()) >> (64 - bits)) as usize
        }
    };
    let mut start = vec![0usize; (1 << bits) + 1];
    for c in chunks {
        for e in c {
            start[bucket(e.key()) + 1] += 1;
        }
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut at = start.clone();
    let mut v = vec![fill; n];
    for c in chunks {
        for e in c {
            let b = bucket(e.key());
            v[at[b]] = *e;
            at[b] += 1;
        }
    }
    for w in start.windows(2) {
        let bucket = &mut v[w[0]..w[1]];
        if total {
            bucket.sort_unstable_by(|a, b| a.key().cmp(&b.key()).then_with(|| a.cmp(b)));
        } else {
            bucket.sort_unstable_by_key(Keyed64::key);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_order_does_not_matter() {
        let entries: Vec<(u64, u64)> = (0..20_000u64)
            .map(|i| ((i % 977).wrapping_mul(0x9E37_79B9_7F4A_7C15), 20_000 - i))
            .collect();
        // one state per split, merged last to first
        let merged = |splits: &[usize]| {
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
            acc
        };
        let run = |splits: &[usize]| merged(splits).finish(|run| Some(run.to_vec()));
        let a = run(&[]);
        assert_eq!(a.len(), 977);
        assert!(a.iter().all(|g| g.windows(2).all(|w| w[0] < w[1])));
        assert_eq!(a, run(&[5, 9000, 13_000]));
        assert_eq!(a, run(&[1, 2, 3, 19_999]));
    }

    #[test]
    fn bucket_sort_sorts_by_key_then_entry() {
        // keys of one partition spread over the bits below, with repeats; and a partition of one entry
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let entries: Vec<(u64, u32)> = (0..50_000u32)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // one partition: the same top bits
                let k = (x % 3_000).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                ((k >> 6) | (5 << SHIFT), 50_000 - i)
            })
            .collect();
        let chunks: Vec<Vec<(u64, u32)>> = entries.chunks(333).map(<[_]>::to_vec).collect();
        let mut want = entries.clone();
        want.sort_unstable();
        assert_eq!(bucket_sort(&chunks, true), want);
        let mut by_key = bucket_sort(&chunks, false);
        assert!(by_key.windows(2).all(|w| w[0].0 <= w[1].0));
        by_key.sort_unstable();
        assert_eq!(by_key, want);
        assert_eq!(bucket_sort(&[vec![(7u64, 1u32)]], true), vec![(7, 1)]);
        assert!(bucket_sort::<(u64, u32)>(&[], true).is_empty());
    }
}
