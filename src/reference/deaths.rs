//! The civil register of deaths: `payee_id`, `death_date`. One person listed twice keeps the earliest date.

use super::map::U64Map;
use super::source::{load, ColSpec};
use super::{id_key, id_key_in, TableInfo};
use crate::error::Result;
use crate::ident::IdScheme;
use crate::ledger::column::Kind;
use std::collections::BTreeMap;
use std::path::Path;

pub const COLUMNS: &[ColSpec] = &[
    ColSpec {
        name: "payee_id",
        kind: Kind::TextOrInt,
        required: true,
    },
    ColSpec {
        name: "death_date",
        kind: Kind::Date,
        required: true,
    },
];

/// Id key -> death date (days since 1970-01-01).
#[derive(Debug, Clone, Default)]
pub struct Deaths {
    map: U64Map<i32>,
}

impl Deaths {
    pub fn load(
        path: &Path,
        mapping: &BTreeMap<String, String>,
        ids: IdScheme,
    ) -> Result<(Self, TableInfo)> {
        let t = load("deaths", path, mapping, COLUMNS)?;
        let (pairs, skipped) = t.pairs(|c, i| Some((id_key_in(c.text(0, i)?, ids), c.date(1, i)?)));
        let map = U64Map::build(&pairs, |a, b| *a = (*a).min(b));
        let info = TableInfo {
            path: path.display().to_string(),
            format: t.format,
            rows: t.rows(),
            rows_skipped: skipped,
            keys: map.len() as u64,
            memory_bytes: map.memory_bytes() as u64,
        };
        Ok((Self { map }, info))
    }

    /// Builds the table from `(id, death day)` pairs (tests, benches).
    pub fn from_pairs(pairs: &[(&str, i32)]) -> Self {
        Self {
            map: U64Map::build(
                &pairs
                    .iter()
                    .map(|(id, d)| (id_key(id), *d))
                    .collect::<Vec<_>>(),
                |a, b| *a = (*a).min(b),
            ),
        }
    }

    /// The death date of the person with id key `key`.
    #[inline]
    pub fn death(&self, key: u64) -> Option<i32> {
        self.map.get(key).copied()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
