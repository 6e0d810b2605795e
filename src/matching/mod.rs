//! Record linkage: finding one person behind several identities (names, ids, villages).
//!
//! ```text
//! records --normalise--> names (characters, pinyin / Soundex), ids, birth dates
//!         --blocking--> (block key, record) entries, partitioned and sorted in parallel (rules::keyed)
//!         --compare--> pairs inside each block (a capped window: never all pairs) scored field by field
//!         --cluster--> union-find over the pairs that reach the threshold: persons
//! ```
//!
//! [`normalise`] makes names and ids comparable, [`blocking`] chooses the pairs worth comparing,
//! [`compare`] scores a pair (a Fellegi-Sunter log-likelihood; the weights are documented there) and
//! [`cluster`] joins matched pairs into persons. The rule `DUP005` (`rules::dup::same_person_many_identities`)
//! drives it over a ledger; `find_matches` is usable on its own.

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod normalise;

pub use compare::{Comparison, Person};

use crate::rules::keyed::Keyed;
use rayon::prelude::*;

/// How to match.
#[derive(Debug, Clone, Copy)]
pub struct MatchConfig {
    /// The score from which two records are one person.
    pub min_score: f64,
    /// Each record of a block is compared with at most this many neighbours (records sorted by birth date).
    pub window: usize,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self {
            min_score: 20.0,
            window: 12,
        }
    }
}

/// Two records found to be one person (`a < b`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub a: u32,
    pub b: u32,
    pub cmp: Comparison,
}

/// Records of a block built at once before they are compared (their window follows them).
const PERSON_CHUNK: usize = 4096;

/// Blocking keys carry their kind in the low 3 bits.
const KIND_BITS: u64 = 7;

/// The birth date a block entry sorts by, if known.
fn entry_birth(v: u64) -> Option<i32> {
    let o = (v >> 32) as u32;
    (o != u32::MAX).then(|| (i64::from(o) + i64::from(i32::MIN)) as i32)
}

/// In a name-sound block, a pair can only reach the threshold with equal or near birth dates (or an unknown
/// one): every other way to the threshold (a shared account, phone, address, household) is a block of its own.
fn births_may_match(x: u64, y: u64) -> bool {
    match (entry_birth(x), entry_birth(y)) {
        (Some(a), Some(b)) => a == b || compare::birth_near(a, b),
        _ => true,
    }
}

/// A field value that an implausible share of the records hold (a placeholder name, birth date, account...):
/// it is treated as unknown, neither a blocking key nor evidence that two records are one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder {
    /// `payee_name`, `birth_date`, `account`, `household_id`, `address` or `phone`.
    pub field: &'static str,
    /// A record that holds it (the first).
    pub record: u32,
    /// Records that hold it.
    pub records: usize,
}

/// A value held by more than this share of the records (and by [`PLACEHOLDER_MIN`] of them) is a placeholder.
pub const PLACEHOLDER_SHARE: f64 = 0.05;
/// ... and by at least this many records.
pub const PLACEHOLDER_MIN: usize = 1000;

const PLACEHOLDER_FIELDS: [&str; 6] = [
    "payee_name",
    "birth_date",
    "account",
    "household_id",
    "address",
    "phone",
];

fn field_values(p: &Person<'_>) -> [u64; 6] {
    [
        if p.phon.is_empty() && p.chars.is_empty() {
            0
        } else {
            p.key | 1
        },
        p.birth.map_or(0, |b| u64::from(b as u32) | (1 << 40)),
        p.account,
        p.household,
        p.address,
        p.phone,
    ]
}

/// The placeholder values of the records `0..n` (sorted counts: n log n), and for each field the set of
/// placeholder values.
fn find_placeholders<'a, F>(n: usize, get: &F) -> (Vec<Placeholder>, Vec<u8>)
where
    F: Fn(u32) -> Person<'a> + Sync,
{
    let mut sets: [Vec<u64>; 6] = Default::default();
    let min = PLACEHOLDER_MIN.max((n as f64 * PLACEHOLDER_SHARE).ceil() as usize);
    if n < min {
        return (Vec::new(), Vec::new());
    }
    let values: Vec<[u64; 6]> = (0..n)
        .into_par_iter()
        .map(|i| field_values(&get(i as u32)))
        .collect();
    let mut found = Vec::new();
    for (f, set) in sets.iter_mut().enumerate() {
        let mut v: Vec<(u64, u32)> = values
            .iter()
            .enumerate()
            .filter(|(_, x)| x[f] != 0)
            .map(|(i, x)| (x[f], i as u32))
            .collect();
        v.par_sort_unstable();
        for run in v.chunk_by(|a, b| a.0 == b.0) {
            if run.len() >= min {
                set.push(run[0].0);
                found.push(Placeholder {
                    field: PLACEHOLDER_FIELDS[f],
                    record: run[0].1,
                    records: run.len(),
                });
            }
        }
    }
    found.sort_by_key(|p| (p.record, p.field));
    if found.is_empty() {
        return (found, Vec::new());
    }
    // per record, bit f: its field f holds a placeholder (found once, not at every comparison)
    let masks: Vec<u8> = values
        .par_iter()
        .map(|v| {
            (0..6)
                .filter(|&f| sets[f].contains(&v[f]))
                .fold(0u8, |m, f| m | (1 << f))
        })
        .collect();
    (found, masks)
}

/// Every pair of the records `0..n` (`get(i)` gives record `i`) that reaches `cfg.min_score`, each pair once,
/// sorted. Work and memory are linear in `n`: a few keys per record, a bounded window per block.
pub fn find_matches<'a, F>(n: usize, get: F, cfg: &MatchConfig) -> Vec<Match>
where
    F: Fn(u32) -> Person<'a> + Sync,
{
    find_matches_with_placeholders(n, get, cfg).0
}

/// [`find_matches`], and the placeholder values it treated as unknown: a value held by more than
/// [`PLACEHOLDER_SHARE`] of the records (and at least [`PLACEHOLDER_MIN`]) is no evidence, and a block of
/// all of them is no block.
pub fn find_matches_with_placeholders<'a, F>(
    n: usize,
    get: F,
    cfg: &MatchConfig,
) -> (Vec<Match>, Vec<Placeholder>)
where
    F: Fn(u32) -> Person<'a> + Sync,
{
    let (placeholders, masks) = find_placeholders(n, &get);
    if placeholders.is_empty() {
        return (find_matches_in(n, get, cfg), placeholders);
    }
    let get = |i: u32| {
        let mut p = get(i);
        let m = masks[i as usize];
        if m & 1 != 0 {
            p.chars = "";
            p.phon = "";
            p.key = 0;
        }
        if m & 2 != 0 {
            p.birth = None;
        }
        for (f, x) in [
            (2, &mut p.account),
            (3, &mut p.household),
            (4, &mut p.address),
            (5, &mut p.phone),
        ] {
            if m & (1 << f) != 0 {
                *x = 0;
            }
        }
        p
    };
    (find_matches_in(n, get, cfg), placeholders)
}

fn find_matches_in<'a, F>(n: usize, get: F, cfg: &MatchConfig) -> Vec<Match>
where
    F: Fn(u32) -> Person<'a> + Sync,
{
    find_matches_chunked(n, get, cfg, PERSON_CHUNK)
}

/// [`find_matches_in`], building `chunk` records of a block at a time.
fn find_matches_chunked<'a, F>(n: usize, get: F, cfg: &MatchConfig, chunk: usize) -> Vec<Match>
where
    F: Fn(u32) -> Person<'a> + Sync,
{
    const CHUNK: usize = 1 << 15;
    let blocks = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut k: Keyed<(u64, u64)> = Keyed::default();
            for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                let p = get(i as u32);
                // sorted by birth date inside a block, then by record
                let order = p.birth.map_or(u64::from(u32::MAX), |b| {
                    u64::from((i64::from(b) - i64::from(i32::MIN)) as u32)
                });
                blocking::for_each_key(&p, |kind, key| {
                    k.push(((key & !KIND_BITS) | kind, (order << 32) | i as u64));
                });
            }
            k
        })
        .reduce(Keyed::default, |mut a, b| {
            a.append(b);
            a
        });
    let window = cfg.window.max(2);
    let mut found: Vec<Match> = blocks
        .finish(|run| {
            if run.len() < 2 {
                return None;
            }
            let kind = run[0].0 & KIND_BITS;
            let mut out = Vec::new();
            // each record of the block is built once per chunk (not once per neighbour it is compared with);
            // a chunk and the window after it bound the memory of a giant block
            let mut start = 0;
            while start < run.len() {
                let end = start.saturating_add(chunk.max(1)).min(run.len());
                let upto = (end + window).min(run.len());
                let people: Vec<Person<'_>> =
                    run[start..upto].iter().map(|x| get(x.1 as u32)).collect();
                for i in start..end {
                    let x = run[i];
                    let a = x.1 as u32;
                    let pa = &people[i - start];
                    for j in i + 1..(i + window).min(run.len()) {
                        let y = run[j];
                        let b = y.1 as u32;
                        if a == b || (kind == blocking::KIND_SOUND && !births_may_match(x.1, y.1)) {
                            continue;
                        }
                        let pb = &people[j - start];
                        if blocking::shares_earlier(pa, pb, kind) {
                            continue;
                        }
                        if let Some(cmp) = compare::compare(pa, pb, cfg.min_score) {
                            out.push(Match {
                                a: a.min(b),
                                b: a.max(b),
                                cmp,
                            });
                        }
                    }
                }
                start = end;
            }
            (!out.is_empty()).then_some(out)
        })
        .into_iter()
        .flatten()
        .collect();
    found.sort_by_key(|x| (x.a, x.b));
    found.dedup_by(|x, y| (x.a, x.b) == (y.a, y.b));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use normalise::{normalise_id, normalise_name, NormName};

    #[test]
    fn finds_the_homophone_pair_among_others() {
        let rows = [
            ("520102195003120017", "张伟", "520102003004"),
            ("520102195003120350", "章玮", "520102007001"),
            ("520102195003120113", "李娜", "520102003004"),
            ("110105195003120035", "张伟", "110105001001"),
            ("520102196101010012", "张伟", "520102003004"),
        ];
        let recs: Vec<(String, NormName, &str)> = rows
            .iter()
            .map(|(i, n, r)| (normalise_id(i), normalise_name(n), *r))
            .collect();
        let get = |i: u32| {
            let (id, n, r) = &recs[i as usize];
            compare::person(id, n, r)
        };
        let m = find_matches(recs.len(), get, &MatchConfig::default());
        let pairs: Vec<(u32, u32)> = m.iter().map(|x| (x.a, x.b)).collect();
        assert_eq!(pairs, vec![(0, 1)]);
        let tight = MatchConfig {
            window: 2,
            ..MatchConfig::default()
        };
        assert_eq!(find_matches(recs.len(), get, &tight).len(), 1);
    }

    /// Blocks larger than a chunk, windows that cross chunk ends: the same pairs, however the records of a block
    /// are built in chunks.
    #[test]
    fn chunks_of_a_block_find_the_pairs_of_the_whole_block() {
        let surnames = ["张", "王", "李"];
        let given = ["伟", "玮", "娜", "芳"];
        let recs: Vec<(String, NormName, &str, u64)> = (0..400u32)
            .map(|i| {
                let id = format!("52010219500312{:04}", (i * 37) % 10_000);
                let name = format!(
                    "{}{}",
                    surnames[(i % 3) as usize],
                    given[(i / 3 % 4) as usize]
                );
                let region = if i % 5 == 0 {
                    "520102003004"
                } else {
                    "520102007001"
                };
                (
                    normalise_id(&id),
                    normalise_name(&name),
                    region,
                    u64::from(i % 7) + 1,
                )
            })
            .collect();
        let get = |i: u32| {
            let (id, n, r, acct) = &recs[i as usize];
            Person {
                account: *acct,
                ..compare::person(id, n, r)
            }
        };
        let cfg = MatchConfig::default();
        let whole = find_matches_chunked(recs.len(), get, &cfg, usize::MAX);
        assert!(whole.len() > 50, "{}", whole.len());
        let key = |m: &[Match]| m.iter().map(|x| (x.a, x.b)).collect::<Vec<_>>();
        for chunk in [1, 3, 11, 64] {
            assert_eq!(
                key(&find_matches_chunked(recs.len(), get, &cfg, chunk)),
                key(&whole),
                "chunk {chunk}"
            );
        }
    }
}
