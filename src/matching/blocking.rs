//! Blocking: the keys that put two records in one block, so that only records sharing a key are compared.
//!
//! Each record gets up to one key per kind below (ids of other lengths get several). A block larger than the
//! window is never compared all against all: its records are sorted by birth date and each is compared with
//! the next `window - 1` (sorted neighbourhood), so work stays linear in the records whatever the data.
//!
//! The id keys use the birth date the id carries: two 18-character ids with the same birth date (characters
//! 7-14) that are one substitution or one transposition apart agree either on their first 14 characters (the
//! edit is in the sequence number or the check character) or on characters 7-17 (the edit is in the county
//! code), so two keys find every such pair, where delete-one keys would need 18. Ids of other shapes get
//! delete-one keys (each id without one of its characters), combined with the birth date.

use super::compare::Person;
use crate::ledger::batch::{hash_text, mix};
use chrono::Datelike;

/// The kinds of block, in the order their keys are tried (a pair is compared in the first kind it shares).
pub const KINDS: [&str; 7] = [
    "account",
    "household",
    "phone",
    "address",
    "region and birth date",
    "name sound and birth year",
    "id one edit apart",
];

const KIND_ID: u64 = 6;
/// The kind of the name-sound blocks.
pub const KIND_SOUND: u64 = 5;

fn year(days: i32) -> i32 {
    crate::ledger::decode::date_from_days(days).map_or(0, |d| d.year())
}

/// Calls `f(kind, key)` for each blocking key of `p`.
pub fn for_each_key(p: &Person<'_>, mut f: impl FnMut(u64, u64)) {
    let tagged = |kind: u64, v: u64| mix(v, kind.wrapping_add(0x5EED));
    for (kind, v) in [p.account, p.household, p.phone, p.address]
        .into_iter()
        .enumerate()
    {
        if v != 0 {
            f(kind as u64, tagged(kind as u64, v));
        }
    }
    let birth = p.birth.map_or(0, |b| u64::from(b as u32) | (1 << 40));
    if p.birth.is_some() && !p.region.is_empty() {
        f(4, tagged(4, mix(hash_text(p.region), birth)));
    }
    if !p.phon.is_empty() {
        let y = p.birth.map_or(0, |b| year(b) as u64 | (1 << 20));
        f(5, tagged(5, mix(p.key, y)));
    }
    let id = p.id.as_bytes();
    if id.len() == 18 && p.birth.is_some() {
        f(KIND_ID, tagged(KIND_ID, hash_text(&p.id[..14])));
        f(KIND_ID, tagged(KIND_ID + 1, hash_text(&p.id[6..17])));
    } else if (4..=24).contains(&id.len()) && p.id.is_ascii() {
        let mut buf = Vec::with_capacity(id.len());
        for i in 0..id.len() {
            buf.clear();
            buf.extend_from_slice(&id[..i]);
            buf.extend_from_slice(&id[i + 1..]);
            let h = xxhash_rust::xxh3::xxh3_64(&buf);
            f(KIND_ID, tagged(KIND_ID, mix(h, birth)));
        }
    }
}

/// Whether `a` and `b` share a key of a kind before `kind` (then that block compares them already).
pub fn shares_earlier(a: &Person<'_>, b: &Person<'_>, kind: u64) -> bool {
    let eq = |x: u64, y: u64| x != 0 && x == y;
    (kind > 0 && eq(a.account, b.account))
        || (kind > 1 && eq(a.household, b.household))
        || (kind > 2 && eq(a.phone, b.phone))
        || (kind > 3 && eq(a.address, b.address))
        || (kind > 4
            && a.birth.is_some()
            && a.birth == b.birth
            && !a.region.is_empty()
            && a.region == b.region)
        || (kind > 5
            && !a.phon.is_empty()
            && a.key == b.key
            && a.birth.map(year) == b.birth.map(year))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: &Person<'_>) -> Vec<(u64, u64)> {
        let mut v = Vec::new();
        for_each_key(p, |k, h| v.push((k, h)));
        v
    }

    #[test]
    fn one_edit_ids_share_an_id_key() {
        let base = Person {
            id: "520102195003120017",
            birth: Some(1),
            ..Person::default()
        };
        let shared = |other: &str| {
            let o = Person { id: other, ..base };
            let (a, b) = (keys(&base), keys(&o));
            a.iter().any(|k| k.0 == KIND_ID && b.contains(k))
        };
        assert!(shared("520102195003120071")); // transposition in the sequence
        assert!(shared("520102195003120018")); // check character
        assert!(shared("520112195003120017")); // county code
        assert!(shared("250102195003120017")); // transposition in the county code
        assert!(!shared("530112195003120027"));
        let short = Person {
            id: "4512345",
            birth: Some(9),
            ..Person::default()
        };
        let typo = Person {
            id: "4512354",
            ..short
        };
        assert!(keys(&short).iter().any(|k| keys(&typo).contains(k)));
    }

    #[test]
    fn absent_fields_give_no_key() {
        assert!(keys(&Person::default()).is_empty());
    }
}
