//! Officials (public staff, village cadres included) and their relatives: `person_id`, `name`, `region`,
//! optional `account`, `role`, `household_id`, `relative_of` (the `person_id` of the official whose relative
//! the row's person is). A row with `relative_of` is a relative; a row without is an official.
//!
//! Besides the maps, each person's id, name and role are kept in one text arena (about 30 bytes a person),
//! so findings can name the official without reading the table again.

use super::map::U64Map;
use super::source::{load, ColSpec};
use super::{id_key_in, TableInfo};
use crate::error::Result;
use crate::ident::IdScheme;
use crate::ledger::column::Kind;
use crate::ledger::hash::{hash_text, NO_HASH};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

pub const COLUMNS: &[ColSpec] = &[
    ColSpec {
        name: "person_id",
        kind: Kind::TextOrInt,
        required: true,
    },
    ColSpec {
        name: "name",
        kind: Kind::Text,
        required: true,
    },
    ColSpec {
        name: "region",
        kind: Kind::TextOrInt,
        required: true,
    },
    ColSpec {
        name: "account",
        kind: Kind::TextOrInt,
        required: false,
    },
    ColSpec {
        name: "role",
        kind: Kind::Text,
        required: false,
    },
    ColSpec {
        name: "household_id",
        kind: Kind::TextOrInt,
        required: false,
    },
    ColSpec {
        name: "relative_of",
        kind: Kind::TextOrInt,
        required: false,
    },
];

/// One person of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// Id key of the person.
    pub key: u64,
    /// Id key of the official: the person's own for an official, `relative_of`'s for a relative.
    pub official: u64,
    /// Hash of the household id ([`NO_HASH`] when not given).
    pub household: u64,
    /// Hash of the account ([`NO_HASH`] when not given).
    pub account: u64,
    /// Where the person's `id\tname\trole\trelative_of` text starts in the arena, and its length.
    text: (u32, u32),
}

impl Person {
    pub fn is_relative(&self) -> bool {
        self.key != self.official
    }
}

/// The people, and maps from id, account and household to them.
#[derive(Debug, Clone, Default)]
pub struct Officials {
    persons: Vec<Person>,
    arena: String,
    by_id: U64Map<u32>,
    by_account: U64Map<u32>,
    /// Households of officials (not of relatives).
    by_household: U64Map<u32>,
}

/// A row of the table as text (tests, and the loader).
#[derive(Debug, Clone, Default)]
pub struct Row<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub account: Option<&'a str>,
    pub role: Option<&'a str>,
    pub household: Option<&'a str>,
    pub relative_of: Option<&'a str>,
}

impl Officials {
    pub fn load(
        path: &Path,
        mapping: &BTreeMap<String, String>,
        ids: IdScheme,
    ) -> Result<(Self, TableInfo)> {
        let t = load("officials", path, mapping, COLUMNS)?;
        let mut o = Self::default();
        let mut skipped = 0;
        for c in &t.chunks {
            for i in 0..c.len {
                let Some(id) = c.text(0, i) else {
                    skipped += 1;
                    continue;
                };
                o.push(
                    &Row {
                        id,
                        name: c.text(1, i).unwrap_or(""),
                        account: c.text(3, i),
                        role: c.text(4, i),
                        household: c.text(5, i),
                        relative_of: c.text(6, i),
                    },
                    ids,
                );
            }
        }
        o.index();
        let info = TableInfo {
            path: path.display().to_string(),
            format: t.format,
            rows: t.rows(),
            rows_skipped: skipped,
            keys: o.by_id.len() as u64,
            memory_bytes: (o.persons.len() * std::mem::size_of::<Person>()
                + o.arena.len()
                + o.by_id.memory_bytes()
                + o.by_account.memory_bytes()
                + o.by_household.memory_bytes()) as u64,
        };
        Ok((o, info))
    }

    fn push(&mut self, r: &Row<'_>, ids: IdScheme) {
        let key = id_key_in(r.id, ids);
        // a blank household or account is no key: it joins nobody
        let text_key = |t: Option<&str>| {
            t.filter(|s| !crate::ledger::batch::is_blank(s))
                .map_or(NO_HASH, hash_text)
        };
        let start = self.arena.len() as u32;
        for (i, part) in [
            r.id,
            r.name,
            r.role.unwrap_or(""),
            r.relative_of.unwrap_or(""),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                self.arena.push('\t');
            }
            self.arena.push_str(part.trim());
        }
        self.persons.push(Person {
            key,
            official: r
                .relative_of
                .filter(|s| !crate::ledger::batch::is_blank(s))
                .map_or(key, |s| id_key_in(s, ids)),
            household: text_key(r.household),
            account: text_key(r.account),
            text: (start, self.arena.len() as u32 - start),
        });
    }

    fn index(&mut self) {
        let first = |a: &mut u32, b: u32| *a = (*a).min(b);
        let ids: Vec<(u64, u32)> = self
            .persons
            .par_iter()
            .enumerate()
            .map(|(i, p)| (p.key, i as u32))
            .collect();
        // an official's own row wins over a row listing the same person as someone's relative
        let persons = &self.persons;
        self.by_id = U64Map::build(&ids, |a, b| {
            let (pa, pb) = (&persons[*a as usize], &persons[b as usize]);
            if pa.is_relative() && !pb.is_relative()
                || (pa.is_relative() == pb.is_relative() && b < *a)
            {
                *a = b;
            }
        });
        let accounts: Vec<(u64, u32)> = self
            .persons
            .iter()
            .enumerate()
            .filter(|(_, p)| p.account != NO_HASH)
            .map(|(i, p)| (p.account, i as u32))
            .collect();
        self.by_account = U64Map::build(&accounts, first);
        let households: Vec<(u64, u32)> = self
            .persons
            .iter()
            .enumerate()
            .filter(|(_, p)| p.household != NO_HASH && !p.is_relative())
            .map(|(i, p)| (p.household, i as u32))
            .collect();
        self.by_household = U64Map::build(&households, first);
    }

    /// Builds the table from rows (tests, benches).
    pub fn from_rows(rows: &[Row<'_>]) -> Self {
        let mut o = Self::default();
        for r in rows {
            o.push(r, IdScheme::Gb11643);
        }
        o.index();
        o
    }

    pub fn len(&self) -> usize {
        self.persons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }

    pub fn person(&self, idx: u32) -> Option<&Person> {
        self.persons.get(idx as usize)
    }

    /// The person with id key `key`.
    #[inline]
    pub fn by_id(&self, key: u64) -> Option<u32> {
        self.by_id.get(key).copied()
    }

    /// The person whose account hashes to `account`.
    #[inline]
    pub fn by_account(&self, account: u64) -> Option<u32> {
        self.by_account.get(account).copied()
    }

    /// An official of the household that hashes to `household`.
    #[inline]
    pub fn by_household(&self, household: u64) -> Option<u32> {
        self.by_household.get(household).copied()
    }

    fn field(&self, idx: u32, n: usize) -> &str {
        self.persons
            .get(idx as usize)
            .and_then(|p| {
                self.arena
                    .get(p.text.0 as usize..(p.text.0 + p.text.1) as usize)
            })
            .and_then(|t| t.split('\t').nth(n))
            .unwrap_or("")
    }

    /// Every name of the table (officials and relatives), for masking ([`crate::mask`]).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        (0..self.persons.len() as u32).map(|i| self.name(i))
    }

    pub fn id(&self, idx: u32) -> &str {
        self.field(idx, 0)
    }
    pub fn name(&self, idx: u32) -> &str {
        self.field(idx, 1)
    }
    pub fn role(&self, idx: u32) -> &str {
        self.field(idx, 2)
    }
    /// The id of the official whose relative this person is (empty for an official).
    pub fn relative_of(&self, idx: u32) -> &str {
        self.field(idx, 3)
    }

    /// `王五 (11010519491231002X, 村主任)`
    /// The Chinese twin of [`Officials::describe`]: `邓丽（130101198405258593，村主任）`.
    pub fn describe_zh(&self, idx: u32) -> String {
        let role = self.role(idx);
        if role.is_empty() {
            format!("{}（{}）", self.name(idx), self.id(idx))
        } else {
            format!("{}（{}，{role}）", self.name(idx), self.id(idx))
        }
    }

    pub fn describe(&self, idx: u32) -> String {
        let role = self.role(idx);
        if role.is_empty() {
            format!("{} ({})", self.name(idx), self.id(idx))
        } else {
            format!("{} ({}, {role})", self.name(idx), self.id(idx))
        }
    }

    /// Whether the officer (id key) is the official `official` or related to the person `p`: the person's
    /// official, a relative of the person, or of the person's household (self-dealing).
    pub fn officer_related(&self, officer: u64, p: &Person) -> bool {
        if officer == NO_HASH {
            return false;
        }
        if officer == p.official || officer == p.key {
            return true;
        }
        self.by_id(officer)
            .and_then(|i| self.person(i))
            .is_some_and(|o| {
                o.official == p.key
                    || o.official == p.official
                    || (o.household != NO_HASH && o.household == p.household)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::id_key;

    #[test]
    fn officials_relatives_accounts_households() {
        let o = Officials::from_rows(&[
            Row {
                id: "11010519491231002X",
                name: "王五",
                account: Some("6228480000000001"),
                role: Some("村主任"),
                household: Some("H1"),
                relative_of: None,
            },
            Row {
                id: "520102199501010021",
                name: "王小五",
                household: Some("H1"),
                relative_of: Some("11010519491231002x"),
                ..Row::default()
            },
        ]);
        let w = o.by_id(id_key("11010519491231002X")).expect("official");
        assert_eq!(o.describe(w), "王五 (11010519491231002X, 村主任)");
        let r = o.by_id(id_key("520102199501010021")).expect("relative");
        let rp = o.person(r).expect("p");
        assert!(rp.is_relative());
        assert_eq!(rp.official, id_key("11010519491231002X"));
        assert_eq!(o.relative_of(r), "11010519491231002x");
        assert_eq!(o.by_account(hash_text("6228480000000001")), Some(w));
        assert_eq!(o.by_household(hash_text("H1")), Some(w));
        assert!(o.officer_related(id_key("11010519491231002X"), rp));
        assert!(!o.officer_related(hash_text("X"), rp));
    }
}
