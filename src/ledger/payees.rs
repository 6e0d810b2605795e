//! Dense payee numbers for one scan worker.
//!
//! Several rules judge a payee by facts that do not change from one payment to the next (the registry entry,
//! a death, an official's record, the birth date in the id, the payee's largest payments). A payee is paid
//! about once a period, so a ledger of 10 million rows has about 1.4 million payees, and every such rule
//! looking its payee up in a hash table of its own costs one cache miss per row per rule. Instead each worker
//! numbers the payees it meets, once per row for all rules ([`PayeeIndex::assign`]), and a rule keeps its
//! per-payee facts in a plain vector indexed by that number (a few bytes a payee: it stays in cache).
//!
//! The numbers are local to a worker: they are a cache, never part of a rule's merged result. Rules that use
//! them key their merged state by the payee hash ([`PayeeIndex::hash_of`] is not needed for that: the batch
//! has the hash of every row).

use super::hash::NO_HASH;

/// The number of a row whose payee id is null.
pub const NO_PAYEE: u32 = u32::MAX;

/// An open-addressing table from payee hash to dense number.
#[derive(Debug, Clone)]
pub struct PayeeIndex {
    slots: Vec<(u64, u32)>,
    mask: usize,
    len: usize,
}

impl Default for PayeeIndex {
    fn default() -> Self {
        Self::with_capacity(1 << 11)
    }
}

impl PayeeIndex {
    /// An index for at least `payees` payees before it first grows (at most 2^24 are sized for).
    pub fn with_capacity(payees: usize) -> Self {
        // at most three quarters full: linear probing stays short, and the table stays small (every page
        // of it is touched, the payees' numbers being spread over it)
        let cap = (payees.min(1 << 24) * 4 / 3 + 1)
            .next_power_of_two()
            .max(16);
        Self {
            slots: vec![(NO_HASH, 0); cap],
            mask: cap - 1,
            len: 0,
        }
    }

    /// How many payees have a number (the numbers are `0..len`).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of the payee with hash `h`, given one if it has none yet; [`NO_PAYEE`] for [`NO_HASH`].
    #[inline]
    pub fn number(&mut self, h: u64) -> u32 {
        if h == NO_HASH {
            return NO_PAYEE;
        }
        // the hashes are xxh3 outputs: their low bits are already well spread
        let mut i = (h as usize) & self.mask;
        loop {
            let (k, v) = self.slots[i];
            if k == h {
                return v;
            }
            if k == NO_HASH {
                let v = self.len as u32;
                self.slots[i] = (h, v);
                self.len += 1;
                if self.len * 4 > self.slots.len() * 3 {
                    self.grow();
                }
                return v;
            }
            i = (i + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let mut bigger = Self::with_capacity(self.slots.len());
        for &(k, v) in &self.slots {
            if k != NO_HASH {
                let mut i = (k as usize) & bigger.mask;
                while bigger.slots[i].0 != NO_HASH {
                    i = (i + 1) & bigger.mask;
                }
                bigger.slots[i] = (k, v);
            }
        }
        bigger.len = self.len;
        *self = bigger;
    }

    /// Numbers every payee hash of a batch into `out` (cleared first).
    pub fn assign(&mut self, hashes: &[u64], out: &mut Vec<u32>) {
        out.clear();
        out.reserve(hashes.len());
        for &h in hashes {
            let n = self.number(h);
            out.push(n);
        }
    }
}

/// Grows `v` to at least `n` values, new ones `fill`, in steps of [`GROW_STEP`] values: only what the
/// payees need is written (every page written is a page fault, which costs more than the copy); the vector's
/// own amortised growth keeps reallocations rare.
#[inline]
fn grow_to<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() < n {
        v.resize(n.next_multiple_of(GROW_STEP), fill);
    }
}

/// Values added at a time by [`grow_to`].
const GROW_STEP: usize = 1 << 14;

/// Per-payee facts of one rule, indexed by the worker's payee number, growing as payees are met.
#[derive(Debug, Clone, Default)]
pub struct PerPayee<T> {
    vals: Vec<T>,
}

impl<T: Copy> PerPayee<T> {
    /// Makes room for `n` payees, new ones set to `unknown`.
    #[inline]
    pub fn fit(&mut self, n: usize, unknown: T) {
        grow_to(&mut self.vals, n, unknown);
    }

    /// The fact of payee number `n` (call [`PerPayee::fit`] with the batch's payee count first).
    #[inline]
    pub fn get_mut(&mut self, n: u32) -> Option<&mut T> {
        self.vals.get_mut(n as usize)
    }
}

/// A per-payee memo of a rule's verdict on something that is nearly always the same for a payee but is not
/// bound to it (its account, its household), given as a `tag`: the verdict is worked out again whenever a
/// row's tag differs from the one it was worked out for, so the memo never changes a result.
#[derive(Debug, Clone)]
pub struct Memo<V> {
    vals: Vec<Option<(u64, V)>>,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Self { vals: Vec::new() }
    }
}

impl<V: Copy> Memo<V> {
    /// Makes room for the batch's payees (call once per batch with [`super::batch::Batch::payees_numbered`]).
    #[inline]
    pub fn fit(&mut self, n: usize) {
        grow_to(&mut self.vals, n, None);
    }

    /// The verdict for payee number `no` and `tag`: remembered, or `work()` (remembered for next time).
    #[inline]
    pub fn get(&mut self, no: u32, tag: u64, work: impl FnOnce() -> V) -> V {
        match self.vals.get_mut(no as usize) {
            Some(Some((t, v))) if *t == tag => *v,
            Some(slot) => {
                let v = work();
                *slot = Some((tag, v));
                v
            }
            None => work(),
        }
    }
}

/// A per-payee memo of facts bound to the payee alone (what its id says, its death date): smaller than a
/// [`Memo`], which also keeps the tag.
#[derive(Debug, Clone)]
pub struct Facts<V> {
    vals: Vec<Option<V>>,
}

impl<V> Default for Facts<V> {
    fn default() -> Self {
        Self { vals: Vec::new() }
    }
}

impl<V: Copy> Facts<V> {
    /// Makes room for the batch's payees (call once per batch with [`super::batch::Batch::payees_numbered`]).
    #[inline]
    pub fn fit(&mut self, n: usize) {
        grow_to(&mut self.vals, n, None);
    }

    /// The fact of payee number `no`: remembered, or `work()` (remembered for next time).
    #[inline]
    pub fn get(&mut self, no: u32, work: impl FnOnce() -> V) -> V {
        match self.vals.get_mut(no as usize) {
            Some(Some(v)) => *v,
            Some(slot) => {
                let v = work();
                *slot = Some(v);
                v
            }
            None => work(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::hash::hash_text;

    #[test]
    fn numbers_are_dense_stable_and_survive_growth() {
        let mut ix = PayeeIndex::default();
        let hashes: Vec<u64> = (0..50_000).map(|i| hash_text(&format!("p{i}"))).collect();
        let mut out = Vec::new();
        ix.assign(&hashes, &mut out);
        assert_eq!(out, (0..50_000).collect::<Vec<u32>>());
        assert_eq!(ix.len(), 50_000);
        // the same payees again, in another order, keep their numbers
        let rev: Vec<u64> = hashes.iter().rev().copied().collect();
        ix.assign(&rev, &mut out);
        assert_eq!(out, (0..50_000).rev().collect::<Vec<u32>>());
        assert_eq!(ix.number(NO_HASH), NO_PAYEE);
        assert_eq!(ix.len(), 50_000);
    }

    #[test]
    fn memo_works_again_when_the_tag_changes() {
        let mut m: Memo<u32> = Memo::default();
        let mut calls = 0;
        let mut work = |v: u32| {
            calls += 1;
            v
        };
        m.fit(2);
        assert_eq!(m.get(1, 10, || work(5)), 5);
        assert_eq!(m.get(1, 10, || work(6)), 5);
        assert_eq!(m.get(1, 11, || work(7)), 7);
        assert_eq!(m.get(1, 11, || work(8)), 7);
        // a payee beyond the memo (or not numbered) is always worked out
        assert_eq!(m.get(NO_PAYEE, 11, || work(9)), 9);
        assert_eq!(m.get(NO_PAYEE, 11, || work(4)), 4);
        assert_eq!(calls, 4);
    }

    #[test]
    fn facts_are_worked_out_once_per_payee() {
        let mut f: Facts<i32> = Facts::default();
        f.fit(3);
        assert_eq!(f.get(2, || 5), 5);
        assert_eq!(f.get(2, || 6), 5);
        f.fit(100);
        assert_eq!(f.get(2, || 7), 5);
        assert_eq!(f.get(99, || 8), 8);
        assert_eq!(f.get(NO_PAYEE, || 9), 9);
        assert_eq!(f.get(NO_PAYEE, || 10), 10);
    }

    #[test]
    fn per_payee_grows_with_unknown() {
        let mut p = PerPayee::default();
        p.fit(3, 7u8);
        *p.get_mut(2).expect("fits") = 1;
        // grown a step at a time: payees within the step already have room
        assert!(p.get_mut(GROW_STEP as u32 - 1).is_some());
        assert!(p.get_mut(GROW_STEP as u32).is_none());
        p.fit(GROW_STEP + 1, 9u8);
        assert_eq!(*p.get_mut(2).expect("fits"), 1);
        assert_eq!(*p.get_mut(1).expect("fits"), 7);
        assert_eq!(*p.get_mut(GROW_STEP as u32).expect("fits"), 9);
        assert!(p.get_mut(2 * GROW_STEP as u32).is_none());
        assert!(p.get_mut(u32::MAX).is_none());
    }
}
