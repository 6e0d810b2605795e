//! The digit family (`DIG`): Nigrini's digit tests per unit (county, township, officer).

pub mod first_two_digits;

use crate::ledger::batch::{hash_text, mix, Batch, BatchContext, NO_HASH};
use crate::ledger::column::Col;
use crate::stats::digits::DigitCounts;
use std::collections::HashMap;

/// The level of a digit-test unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    County,
    Township,
    Officer,
    /// The whole ledger.
    All,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::Township => "township",
            Self::Officer => "officer",
            Self::All => "all",
        }
    }
    fn tag(self) -> u64 {
        self as u64 + 1
    }
}

/// The digit counts of every unit, with the unit's text and its lowest row per first-two-digit value (sample
/// evidence). Built row by row with a cache of the last unit, so most rows cost no hash lookup.
#[derive(Debug, Default)]
pub struct Units {
    index: HashMap<u64, usize>,
    pub units: Vec<Unit>,
}

#[derive(Debug)]
pub struct Unit {
    pub level: Level,
    pub name: String,
    pub counts: Box<DigitCounts>,
    /// Lowest row (packed `RowRef`) per first-two-digit value; `u64::MAX` when none.
    pub sample: Box<[u64; 90]>,
}

impl Units {
    fn slot(&mut self, key: u64, level: Level, name: impl FnOnce() -> String) -> usize {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.units.push(Unit {
            level,
            name: name(),
            counts: Box::default(),
            sample: Box::new([u64::MAX; 90]),
        });
        self.index.insert(key, self.units.len() - 1);
        self.units.len() - 1
    }

    /// Adds every PAID row of `b` to the units of `levels`.
    pub fn update(&mut self, b: &Batch, ctx: &BatchContext, levels: &[Level]) {
        let region = b.hashes(Col::Region);
        let officer = b.hashes(Col::OfficerId);
        let mut last_region = NO_HASH;
        let mut last_officer = NO_HASH;
        let mut slots = [usize::MAX - 1; 4];
        let mut first = true;
        for i in b.rows() {
            if !b.is_paid(i) {
                continue;
            }
            let a = b.amount_fen[i];
            let fixed = b
                .scheme
                .get(i)
                .and_then(|s| ctx.scheme(*s))
                .is_some_and(crate::scheme::Scheme::is_amount_fixed);
            let r = region.get(i).copied().unwrap_or(NO_HASH);
            let o = officer.get(i).copied().unwrap_or(NO_HASH);
            if first || r != last_region {
                last_region = r;
                let text = b.text(Col::Region, i).unwrap_or("").trim();
                for (k, level) in levels.iter().enumerate() {
                    let cut = match level {
                        Level::County => 6,
                        Level::Township => 9,
                        _ => continue,
                    };
                    let prefix = text.get(..cut).unwrap_or(text);
                    slots[k] = if prefix.is_empty() {
                        usize::MAX - 1
                    } else {
                        self.slot(mix(hash_text(prefix), level.tag()), *level, || {
                            prefix.to_string()
                        })
                    };
                }
            }
            if first || o != last_officer {
                last_officer = o;
                for (k, level) in levels.iter().enumerate() {
                    slots[k] = match level {
                        Level::Officer if o == NO_HASH => usize::MAX - 1,
                        Level::Officer => self.slot(mix(o, level.tag()), *level, || {
                            b.text(Col::OfficerId, i).unwrap_or("").trim().to_string()
                        }),
                        Level::All => self.slot(level.tag(), *level, || "all".to_string()),
                        _ => slots[k],
                    };
                }
            }
            first = false;
            let row = b.row_ref(i).0;
            for &s in &slots[..levels.len()] {
                if let Some(u) = self.units.get_mut(s) {
                    u.counts.add(a, fixed);
                    if !fixed && a >= crate::stats::digits::MIN_TESTED_FEN {
                        let ft = crate::stats::digits::first_two(a.unsigned_abs()).1 as usize - 10;
                        if row < u.sample[ft] {
                            u.sample[ft] = row;
                        }
                    }
                }
            }
        }
    }

    /// Adds another state's units (any order gives the same counts and samples).
    pub fn merge(&mut self, other: Units) {
        let keys: HashMap<usize, u64> = other.index.iter().map(|(k, v)| (*v, *k)).collect();
        for (i, u) in other.units.into_iter().enumerate() {
            let Some(&key) = keys.get(&i) else { continue };
            let level = u.level;
            let name = u.name.clone();
            let s = self.slot(key, level, || name);
            let mine = &mut self.units[s];
            mine.counts.merge(&u.counts);
            for (a, b) in mine.sample.iter_mut().zip(u.sample.iter()) {
                *a = (*a).min(*b);
            }
        }
    }

    /// The units in a deterministic order: level, then name.
    pub fn into_sorted(self) -> Vec<Unit> {
        let mut v = self.units;
        v.sort_by(|a, b| (a.level, &a.name).cmp(&(b.level, &b.name)));
        v
    }
}
