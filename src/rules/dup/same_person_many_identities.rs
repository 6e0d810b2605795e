//! DUP005 same-person-many-identities (一人多名): one person enrolled and paid under two or more payee ids.
//!
//! State: one compact record per distinct payee (first paid row, hashed account / household / address /
//! phone, phonetic key, birth date, and the normalised id, name, pinyin and region text stored once in an
//! arena), plus one `(payee hash, row)` pair per paid row. Finishing matches the records
//! ([`crate::matching`]), clusters them into persons, and only then picks the rows of the clustered payees
//! out of the pairs as evidence.

use super::LISTED;
use crate::finding::{EvidenceRow, Finding, Severity, SubjectKind};
use crate::ledger::batch::{hash_text, Batch, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::matching::compare::{describe, describe_zh};
use crate::matching::normalise::{id_birth_days, normalise_id, normalise_name};
use crate::matching::{cluster, find_matches_with_placeholders, MatchConfig, Person};
use crate::money::fmt_yuan;
use crate::rules::keyed::Keyed;
use crate::rules::render::{by_pay_date, who, who_zh};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::text::{list_of, list_of_zh};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// The most payee ids a finding's subject names (a larger cluster is named by its first ids and their number).
const SUBJECT_IDS: usize = 20;

pub static META: RuleMeta = RuleMeta {
    code: "DUP005",
    name: "same-person-many-identities",
    summary: "One person paid under two or more payee ids: a homophone or variant name, a near id, another village (一人多名)",
    doc: "\
What it flags
  Two or more payee ids whose records look like one person. Names are normalised (full-width forms,
  traditional to simplified characters, Latin case and diacritics) and compared by characters and by sound
  (pinyin, so 张伟 and 章玮 agree; Soundex for Latin names); ids, birth dates (from the id or the birth_date
  column), regions (village, township, county), accounts, households, addresses and phones are compared too.
  Each agreement adds the points of a Fellegi-Sunter log-likelihood (see the README); pairs reaching
  `min_score` (default 20) are joined into persons. Only pairs sharing a block (same account, household,
  phone or address; same region and birth date; same name sound and birth year; ids one edit apart with the
  same birth date) are compared, each block in a window of `window` neighbours. A value that 5% of the
  payees hold (and at least 1,000: a placeholder name, birth date, account, household, address or phone) is
  treated as unknown, neither a block nor evidence, and `summary.json` lists it among the floods.
  At risk: what the other identities were paid for a scheme and period in which the first identity (the one
  paid first) was also paid.

Why it matters
  Enrolling the same person again under a homophone name, a slightly different id and another village is
  a favourite way to collect twice: exact keys never see it, and village clerks see only their own books.

Example
  张伟 (520102195003120017, village 520102003004) and 章玮 (520102195003120350, village 520102007001):
  same pinyin zhang wei +9, same birth date +12, same county +2 = 23; 章玮 was paid 1200.00 yuan of
  ELDERLY in months 张伟 was also paid.

False positives
  Twins with homophone names, or two people of the same name and birth date in one county. Raise
  `min_score` (e.g. 24 requires the same township or another agreeing field), or `--ignore DUP005`.",
    severity: Severity::High,
    columns: &[Col::PayeeId, Col::PayeeName, Col::Region, Col::Account],
    optional_columns: &[
        Col::Status,
        Col::HouseholdId,
        Col::BirthDate,
        Col::Address,
        Col::Phone,
    ],
    references: &[],
    params: &[
        ParamSpec {
            name: "min_score",
            default: ParamValue::Float(20.0),
            doc: "match score (sum of log2 likelihood ratios) from which two payees are one person",
        },
        ParamSpec {
            name: "window",
            default: ParamValue::Int(12),
            doc: "neighbours each record is compared with inside a block (bounds the work of large blocks)",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        SamePersonManyIdentities {
            cur: env.batch.locale.currency.clone(),
            ids: env.batch.locale.id_scheme.reads_birth_dates(),
            cfg: MatchConfig {
                min_score: p.float("min_score"),
                window: p.int("window").clamp(2, 1000) as usize,
            },
            placeholders: std::sync::Mutex::new(Vec::new()),
        },
    )
}

pub struct SamePersonManyIdentities {
    cur: crate::locale::Currency,
    /// Whether birth dates are read from the ids (`[locale] id_scheme`).
    ids: bool,
    cfg: MatchConfig,
    /// The placeholder values the last finish treated as unknown (for `summary.json`'s floods).
    placeholders: std::sync::Mutex<Vec<crate::flood::Flood>>,
}

/// The payee hashes are xxh3 values already: the map uses them as they are.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

const NO_BIRTH: i32 = i32::MIN;
/// Longest text kept per field, in bytes.
const MAX_TEXT: usize = 255;

/// One distinct payee.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Rec {
    payee: u64,
    first: RowRef,
    account: u64,
    household: u64,
    address: u64,
    phone: u64,
    key: u64,
    /// Offset of its texts (id, name characters, name sound, region) in the arena.
    start: u64,
    birth: i32,
    lens: [u8; 4],
    is_han: bool,
}

/// The rule's state.
#[derive(Default)]
pub struct State {
    index: IdMap<u32>,
    recs: Vec<Rec>,
    arena: String,
    /// (payee hash, row) of every paid row, in chunks (merging moves chunks).
    rows: Keyed<(u64, RowRef)>,
}

/// The rows (one entry a paid row) split by payee partition; the records (one a payee), which matching
/// compares across blocks, stay in memory.
impl crate::engine::spill::Parts for State {
    const SPLITS: bool = true;
    fn part_bytes(&self) -> usize {
        self.rows.part_bytes()
    }
    fn take_part(&mut self, p: usize) -> Self {
        Self {
            rows: self.rows.take_part(p),
            ..Self::default()
        }
    }
}

/// The byte form: the records, their texts and the rows; the index is rebuilt when decoding.
impl serde::Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&(&self.recs, &self.arena, &self.rows), s)
    }
}

impl<'de> serde::Deserialize<'de> for State {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (recs, arena, rows): (Vec<Rec>, String, Keyed<(u64, RowRef)>) =
            serde::Deserialize::deserialize(d)?;
        let mut index = IdMap::default();
        for (i, r) in recs.iter().enumerate() {
            let at = u32::try_from(i).map_err(serde::de::Error::custom)?;
            if index.insert(r.payee, at).is_some() {
                return Err(serde::de::Error::custom("a payee recorded twice"));
            }
            let end = r.start as usize + r.lens.iter().map(|&l| l as usize).sum::<usize>();
            if end > arena.len() {
                return Err(serde::de::Error::custom("a record's text beyond its arena"));
            }
        }
        Ok(Self {
            index,
            recs,
            arena,
            rows,
        })
    }
}

fn clip(s: &str) -> &str {
    if s.len() <= MAX_TEXT {
        return s;
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl State {
    fn texts<'a>(&'a self, r: &Rec) -> [&'a str; 4] {
        let mut at = r.start as usize;
        r.lens.map(|l| {
            let s = self.arena.get(at..at + usize::from(l)).unwrap_or("");
            at += usize::from(l);
            s
        })
    }

    fn person(&self, r: &Rec) -> Person<'_> {
        let [id, chars, phon, region] = self.texts(r);
        Person {
            id,
            chars,
            phon,
            key: r.key,
            is_han: r.is_han,
            birth: (r.birth != NO_BIRTH).then_some(r.birth),
            region,
            account: r.account,
            household: r.household,
            address: r.address,
            phone: r.phone,
        }
    }

    fn push_row(&mut self, e: (u64, RowRef)) {
        self.rows.push(e);
    }

    /// A record for batch row `i`, its texts appended to the arena.
    fn record(&mut self, b: &Batch, i: usize, payee: u64, ids: bool) -> Rec {
        let hashed = |c: Col| b.hashes(c).get(i).copied().unwrap_or(NO_HASH);
        let contact = |c: Col| {
            b.text(c, i)
                .map(normalise_id)
                .filter(|s| !s.is_empty())
                .map_or(NO_HASH, |s| hash_text(&s))
        };
        let id = normalise_id(b.text(Col::PayeeId, i).unwrap_or(""));
        let name = normalise_name(b.text(Col::PayeeName, i).unwrap_or(""));
        let region = b.text(Col::Region, i).unwrap_or("").trim();
        let birth = ids
            .then(|| id_birth_days(&id))
            .flatten()
            .or_else(|| b.birth_date.get(i).copied().filter(|d| *d != 0))
            .unwrap_or(NO_BIRTH);
        let start = self.arena.len() as u64;
        let mut lens = [0u8; 4];
        for (l, s) in lens
            .iter_mut()
            .zip([id.as_str(), &name.chars, &name.phon, region])
        {
            let s = clip(s);
            self.arena.push_str(s);
            *l = s.len() as u8;
        }
        Rec {
            payee,
            first: b.row_ref(i),
            account: hashed(Col::Account),
            household: hashed(Col::HouseholdId),
            address: contact(Col::Address),
            phone: contact(Col::Phone),
            key: name.key,
            start,
            birth,
            lens,
            is_han: name.is_han,
        }
    }
}

impl SamePersonManyIdentities {
    /// The matches and clusters over the records of `st`, with the rows of each cluster's payees from
    /// `rows` (given the payee -> cluster map).
    #[allow(clippy::type_complexity)]
    fn finish_with(
        &self,
        mut st: State,
        rows: &dyn Fn(&IdMap<u32>) -> crate::error::Result<Vec<(u32, RowRef)>>,
    ) -> crate::error::Result<Vec<Draft>> {
        st.recs.sort_unstable_by_key(|r| r.first);
        st.index = IdMap::default();
        let st = st;
        let (matches, placeholders) = find_matches_with_placeholders(
            st.recs.len(),
            |i| st.person(&st.recs[i as usize]),
            &self.cfg,
        );
        let floods: Vec<crate::flood::Flood> = placeholders
            .iter()
            .map(|ph| {
                let rec = &st.recs[ph.record as usize];
                let value = (ph.field == "birth_date")
                    .then(|| crate::ledger::decode::date_from_days(rec.birth))
                    .flatten()
                    .map(|d| d.format("%Y-%m-%d").to_string());
                let of = st.recs.len() as u64;
                let share = (ph.records as f64 / of.max(1) as f64 * 10_000.0).round() / 10_000.0;
                crate::flood::Flood {
                    kind: "placeholder",
                    column: Some(ph.field.to_string()),
                    value,
                    rule: Some(META.code.to_string()),
                    count: ph.records as u64,
                    of,
                    share,
                    message: format!(
                        "DUP005 treated {} {{value}} as unknown: {} of {of} payees ({:.1}%) hold it, so it is a placeholder and no evidence that two ids are one person",
                        ph.field,
                        ph.records,
                        share * 100.0
                    ),
                    exclude: None,
                    row: Some(rec.first),
                }
            })
            .collect();
        if let Ok(mut p) = self.placeholders.lock() {
            *p = floods;
        }
        let pairs: Vec<(u32, u32)> = matches.iter().map(|m| (m.a, m.b)).collect();
        let groups = cluster::clusters(st.recs.len(), &pairs);
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        // payee hash -> cluster
        let mut member: IdMap<u32> = IdMap::default();
        for (c, g) in groups.iter().enumerate() {
            for &i in g {
                member.insert(st.recs[i as usize].payee, c as u32);
            }
        }
        let mut evidence: Vec<(u32, RowRef)> = rows(&member)?;
        evidence.sort_unstable();
        let mut by_cluster: Vec<Vec<RowRef>> = vec![Vec::new(); groups.len()];
        for (c, r) in evidence {
            by_cluster[c as usize].push(r);
        }
        let mut edges: Vec<Vec<i64>> = vec![Vec::new(); groups.len()];
        for m in &matches {
            let c = member[&st.recs[m.a as usize].payee] as usize;
            if edges[c].len() < 4 * 20 {
                edges[c].extend([
                    st.recs[m.a as usize].payee as i64,
                    st.recs[m.b as usize].payee as i64,
                    (m.cmp.score * 10.0).round() as i64,
                    i64::from(m.cmp.agree),
                ]);
            }
        }
        Ok(groups
            .iter()
            .zip(by_cluster)
            .zip(edges)
            .map(|((g, rows), e)| {
                let mut facts = vec![g.len() as i64];
                facts.extend(g.iter().map(|&i| st.recs[i as usize].payee as i64));
                facts.extend(e);
                Draft {
                    evidence: rows,
                    facts,
                }
            })
            .collect())
    }
}

/// The (cluster, row) of every row whose payee is a member of a cluster.
fn rows_of_members(rows: &Keyed<(u64, RowRef)>, member: &IdMap<u32>) -> Vec<(u32, RowRef)> {
    rows.par_chunks()
        .flat_map_iter(|chunk| {
            chunk
                .iter()
                .filter_map(|(h, r)| member.get(h).map(|c| (*c, *r)))
                .collect::<Vec<_>>()
        })
        .collect()
}

impl Rule for SamePersonManyIdentities {
    type State = State;

    fn update(&self, st: &mut State, b: &Batch) {
        let payees = b.hashes(Col::PayeeId);
        for i in b.rows() {
            if !b.is_paid(i) {
                continue;
            }
            let Some(&h) = payees.get(i) else { continue };
            let row = b.row_ref(i);
            st.push_row((h, row));
            match st.index.get(&h) {
                Some(&at) => {
                    if row < st.recs[at as usize].first {
                        let r = st.record(b, i, h, self.ids);
                        st.recs[at as usize] = r;
                    }
                }
                None => {
                    let r = st.record(b, i, h, self.ids);
                    st.index.insert(h, st.recs.len() as u32);
                    st.recs.push(r);
                }
            }
        }
    }

    fn merge(&self, into: &mut State, from: State) {
        let shift = into.arena.len() as u64;
        into.arena.push_str(&from.arena);
        for mut r in from.recs {
            r.start += shift;
            match into.index.get(&r.payee) {
                Some(&at) => {
                    if r.first < into.recs[at as usize].first {
                        into.recs[at as usize] = r;
                    }
                }
                None => {
                    into.index.insert(r.payee, into.recs.len() as u32);
                    into.recs.push(r);
                }
            }
        }
        into.rows.append(from.rows);
    }

    fn finish(&self, mut st: State) -> Vec<Draft> {
        let rows = std::mem::take(&mut st.rows);
        let evidence = |member: &IdMap<u32>| Ok(rows_of_members(&rows, member));
        self.finish_with(st, &evidence).unwrap_or_default()
    }

    /// The matches over the records in memory, then each partition's rows of the matched payees.
    fn finish_spilled(
        &self,
        rest: State,
        pull: &(dyn Fn(usize) -> crate::error::Result<State> + Sync),
    ) -> crate::error::Result<Vec<Draft>> {
        let evidence = |member: &IdMap<u32>| {
            Ok(
                crate::engine::spill::each_part(pull, |s| rows_of_members(&s.rows, member))?
                    .concat(),
            )
        };
        self.finish_with(rest, &evidence)
    }
    fn floods(&self) -> Vec<crate::flood::Flood> {
        self.placeholders
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.cur;
        let mut rows = rows_of(d, ev);
        by_pay_date(&mut rows);
        let n = usize::try_from(*d.facts.first()?).ok()?;
        let members: Vec<i64> = d.facts.get(1..=n)?.to_vec();
        // each identity's rows, identities in order of their first payment
        let ids = super::groups_in_order(&rows, |r| &r.payee_id);
        let by_hash: HashMap<i64, &EvidenceRow> = ids
            .iter()
            .map(|(id, v)| (hash_text(id) as i64, v[0]))
            .collect();
        if ids.len() < 2 || ids.len() != n || members.iter().any(|h| !by_hash.contains_key(h)) {
            return None; // a hash collision or rows that could not be read back
        }
        let first = &ids[0];
        let first_periods: BTreeSet<(&str, &str)> = first
            .1
            .iter()
            .map(|r| (r.scheme.as_str(), r.period.as_str()))
            .collect();
        let risk: Vec<i64> = rows
            .iter()
            .map(|r| {
                if r.payee_id != first.0
                    && first_periods.contains(&(r.scheme.as_str(), r.period.as_str()))
                {
                    r.amount_fen
                } else {
                    0
                }
            })
            .collect();
        let mut subject: Vec<&str> = ids.iter().map(|(id, _)| *id).collect();
        subject.sort_unstable();
        // the matched pairs both of whose identities were read back: the first 4 described, all counted
        let valid: Vec<(&EvidenceRow, &EvidenceRow, &[i64])> = d.facts[1 + n..]
            .chunks_exact(4)
            .filter_map(|e| Some((*by_hash.get(&e[0])?, *by_hash.get(&e[1])?, e)))
            .collect();
        let edges: Vec<String> = valid
            .iter()
            .take(4)
            .map(|(a, b, e)| {
                let fields = describe(e[3] as u32).join(", ");
                let score = e[2] as f64 / 10.0;
                format!(
                    "{} ~ {}: score {score:.1} >= {:.1} ({fields})",
                    who(a),
                    who(b),
                    self.cfg.min_score
                )
            })
            .collect();
        let mut extra: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
        for (r, f) in rows.iter().zip(&risk) {
            if *f != 0 {
                let e = extra.entry(r.payee_id.as_str()).or_default();
                e.0 += 1;
                e.1 += f;
            }
        }
        let mut paid: Vec<String> = ids[1..]
            .iter()
            .take(LISTED)
            .map(|(id, v)| {
                let (k, fen) = extra.get(id).copied().unwrap_or((0, 0));
                format!(
                    "{} {} {cur} in {k} payment{} for scheme periods {} was also paid for",
                    who(v[0]),
                    fmt_yuan(fen),
                    if k == 1 { "" } else { "s" },
                    who(first.1[0])
                )
            })
            .collect();
        if ids.len() - 1 > LISTED {
            paid.push(format!("and {} more identities", ids.len() - 1 - LISTED));
        }
        let explanation = format!(
            "{} payee ids look like one person: {}; {}",
            ids.len(),
            list_of(&edges, 4, valid.len()),
            paid.join("; ")
        );
        // a person of many identities is named by the first few (sorted), and their number
        let edges_zh: Vec<String> = valid
            .iter()
            .take(4)
            .map(|(a, b, e)| {
                let fields = describe_zh(e[3] as u32).join("，");
                let score = e[2] as f64 / 10.0;
                format!(
                    "{} ~ {}：得分 {score:.1} >= {:.1}（{fields}）",
                    who_zh(a),
                    who_zh(b),
                    self.cfg.min_score
                )
            })
            .collect();
        let mut paid_zh: Vec<String> = ids[1..]
            .iter()
            .take(LISTED)
            .map(|(id, v)| {
                let (k, fen) = extra.get(id).copied().unwrap_or((0, 0));
                format!(
                    "{}在{}已获发的项目期次中另获 {k} 笔、{} {}",
                    who_zh(v[0]),
                    who_zh(first.1[0]),
                    fmt_yuan(fen),
                    cur.zh()
                )
            })
            .collect();
        if ids.len() - 1 > LISTED {
            paid_zh.push(format!("另有 {} 个身份", ids.len() - 1 - LISTED));
        }
        let zh = format!(
            "{} 个领取人证件号疑似同一人：{}；{}",
            ids.len(),
            list_of_zh(&edges_zh, 4, valid.len()),
            paid_zh.join("；")
        );
        let subject = if subject.len() > SUBJECT_IDS {
            format!(
                "{}|… ({} ids)",
                subject[..SUBJECT_IDS].join("|"),
                subject.len()
            )
        } else {
            subject.join("|")
        };
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Person,
                subject,
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}
