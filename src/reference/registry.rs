//! The registry of enrolled beneficiaries: `payee_id`, `payee_name`, `region` (optional `account`, `scheme`,
//! `household_id` are not read). A person enrolled for several schemes has several rows; rows that agree
//! are kept once, rows that disagree (two regions, two spellings) are all kept.

use super::map::U64Map;
use super::source::{load, ColSpec};
use super::{id_key, id_key_in, name_key, TableInfo};
use crate::error::Result;
use crate::ident::IdScheme;
use crate::ledger::column::Kind;
use crate::ledger::hash::hash_text;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub const COLUMNS: &[ColSpec] = &[
    ColSpec {
        name: "payee_id",
        kind: Kind::TextOrInt,
        required: true,
    },
    ColSpec {
        name: "payee_name",
        kind: Kind::Text,
        required: true,
    },
    ColSpec {
        name: "region",
        kind: Kind::TextOrInt,
        required: true,
    },
];

/// The ledger's region differs from every region the payee is enrolled in.
pub const OTHER_REGION: u8 = 1;
/// The ledger's name differs from every name the registry has for the payee.
pub const OTHER_NAME: u8 = 2;

/// One enrolment, as 32-bit halves of the region's and the name's hashes (0 = not given). Bit 0 of `name`
/// marks a payee with more enrolments that disagree (kept in the overflow map).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Enrolment {
    region: u32,
    name: u32,
}

const MORE: u32 = 1;

fn half(h: u64) -> u32 {
    (h >> 32) as u32 & !MORE
}

/// Id key -> enrolment.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    map: U64Map<Enrolment>,
    more: HashMap<u64, Vec<Enrolment>>,
}

impl Registry {
    pub fn load(
        path: &Path,
        mapping: &BTreeMap<String, String>,
        ids: IdScheme,
    ) -> Result<(Self, TableInfo)> {
        let t = load("registry", path, mapping, COLUMNS)?;
        let (pairs, skipped) = t.pairs(|c, i| {
            Some((
                id_key_in(c.text(0, i)?, ids),
                Enrolment {
                    name: c.text(1, i).map_or(0, |n| half(name_key(n))),
                    region: c.text(2, i).map_or(0, |r| half(hash_text(r))),
                },
            ))
        });
        let reg = Self::build(pairs);
        let info = TableInfo {
            path: path.display().to_string(),
            format: t.format,
            rows: t.rows(),
            rows_skipped: skipped,
            keys: reg.map.len() as u64,
            memory_bytes: (reg.map.memory_bytes() + reg.more.len() * 64) as u64,
        };
        Ok((reg, info))
    }

    fn build(pairs: Vec<(u64, Enrolment)>) -> Self {
        // keys seen with differing enrolments are flagged, then their enrolments gathered in a second pass
        let map = U64Map::build(&pairs, |a, b| {
            if (a.region, a.name & !MORE) != (b.region, b.name) {
                a.name |= MORE;
            }
        });
        // the keys seen with disagreeing enrolments (few, often none), then their enrolments
        let keys: std::collections::HashSet<u64> =
            map.keys_where(|e| e.name & MORE != 0).into_iter().collect();
        let flagged: Vec<(u64, Enrolment)> = if keys.is_empty() {
            Vec::new()
        } else {
            pairs
                .par_iter()
                .filter(|(k, _)| keys.contains(k))
                .copied()
                .collect()
        };
        drop(pairs);
        let mut more: HashMap<u64, Vec<Enrolment>> = HashMap::new();
        for (k, e) in flagged {
            {
                let v = more.entry(k).or_default();
                if !v.contains(&e) {
                    v.push(e);
                }
            }
        }
        Self { map, more }
    }

    /// Builds the table from `(id, name, region)` rows (tests, benches).
    pub fn from_rows(rows: &[(&str, &str, &str)]) -> Self {
        Self::build(
            rows.iter()
                .map(|(id, n, r)| {
                    (
                        id_key(id),
                        Enrolment {
                            name: half(name_key(n)),
                            region: half(hash_text(r)),
                        },
                    )
                })
                .collect(),
        )
    }

    /// `None` when the payee (id key) is not enrolled, else the disagreements ([`OTHER_REGION`],
    /// [`OTHER_NAME`]) of a payment by `region_hash` (`hash_text` of the region) to the name whose key
    /// `name` gives (only called when needed).
    #[inline]
    pub fn check(&self, payee: u64, region_hash: u64, name: impl FnOnce() -> u64) -> Option<u8> {
        let e = *self.map.get(payee)?;
        let r = half(region_hash);
        if e.name & MORE == 0 {
            let mut bits = 0;
            if e.region != 0 && e.region != r {
                bits |= OTHER_REGION;
            }
            if e.name != 0 && e.name != half(name()) {
                bits |= OTHER_NAME;
            }
            return Some(bits);
        }
        let all = self.more.get(&payee).map_or(&[][..], Vec::as_slice);
        let mut bits = 0;
        if !all.iter().any(|x| x.region == 0 || x.region == r) {
            bits |= OTHER_REGION;
        }
        let n = half(name());
        if !all.iter().any(|x| x.name == 0 || x.name == n) {
            bits |= OTHER_NAME;
        }
        Some(bits)
    }

    /// The enrolment of a payee as one word for [`Registry::judge`]: `None` when absent. Payees with
    /// disagreeing enrolments give `Some(u64::MAX)` (judge them with [`Registry::check`]).
    #[inline]
    pub fn entry(&self, payee: u64) -> Option<u64> {
        let e = self.map.get(payee)?;
        Some(if e.name & MORE == 0 {
            (u64::from(e.region) << 32) | u64::from(e.name)
        } else {
            u64::MAX
        })
    }

    /// The disagreements of a payment with an entry from [`Registry::entry`] (not `u64::MAX`).
    #[inline]
    pub fn judge(entry: u64, region_hash: u64, name: impl FnOnce() -> u64) -> u8 {
        let (region, nm) = ((entry >> 32) as u32, entry as u32);
        let mut bits = 0;
        if region != 0 && region != half(region_hash) {
            bits |= OTHER_REGION;
        }
        if nm != 0 && nm != half(name()) {
            bits |= OTHER_NAME;
        }
        bits
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_region_and_name() {
        let r = Registry::from_rows(&[
            ("11010519491231002X", "张三", "R1"),
            ("11010519491231002X", "张三", "R1"),
            ("440524188001010014", "李四", "R1"),
            ("440524188001010014", "李四", "R2"),
        ]);
        assert_eq!(r.len(), 2);
        let k = id_key("11010519491231002x");
        assert_eq!(r.check(k, hash_text("R1"), || name_key("张 三")), Some(0));
        assert_eq!(
            r.check(k, hash_text("R2"), || name_key("张三")),
            Some(OTHER_REGION)
        );
        assert_eq!(
            r.check(k, hash_text("R2"), || name_key("王五")),
            Some(OTHER_REGION | OTHER_NAME)
        );
        let l = id_key("440524188001010014");
        assert_eq!(r.check(l, hash_text("R2"), || name_key("李四")), Some(0));
        assert_eq!(
            r.check(l, hash_text("R3"), || name_key("李四")),
            Some(OTHER_REGION)
        );
        assert_eq!(r.check(id_key("P9"), hash_text("R1"), || 0), None);
    }
}
