//! Region hotspots: a roll-up of what was paid and what was found, from village to township to county.
//!
//! The scan tallies, per village (the `region` value as written, trimmed): the payees (distinct payee keys),
//! the payments (PAID rows of an amount above 0) and the money paid. After the cases are made, each finding is
//! counted in the village of its first evidence row (its subject's), each case (and referral) in the village of
//! its most serious finding, and the money at risk in the village of each payment at risk, each payment once per
//! case at the largest amount the case's findings put at risk on it (as the case's `amount_at_risk_fen`).
//! Every figure of a township is then the sum of its villages', a county's the sum of its townships' (and of
//! its villages that fit no township), and the total the sum of every village: the figures add up. A payee
//! paid in two villages counts in both.

use crate::case::Case;
use crate::finding::{Evidence, Finding};
use crate::ledger::batch::{Batch, RowRef};
use crate::ledger::column::Col;
use crate::locale::RegionScheme;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The per-village counts of a scan: a part of the engine's partial state (mergeable, serialized with it).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct RegionTally {
    units: Vec<Village>,
    /// Village index by the batches' hash of its region value, and by the value (a worker's lookups; rebuilt
    /// after a merge or decode).
    #[serde(skip)]
    index: HashMap<u64, usize, crate::ledger::hash::KeyHash>,
    #[serde(skip)]
    by_text: HashMap<String, usize, crate::ledger::hash::KeyHash>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Village {
    region: String,
    township: Option<String>,
    county: Option<String>,
    payments: u64,
    paid_fen: i64,
    /// Payee key hashes seen here: sorted and distinct up to `sorted`, appended after it.
    payees: Vec<u64>,
    sorted: usize,
}

impl Village {
    fn compact(&mut self) {
        self.payees.sort_unstable();
        self.payees.dedup();
        self.sorted = self.payees.len();
    }
    fn push(&mut self, payee: u64) {
        self.payees.push(payee);
        if self.payees.len() >= 2 * self.sorted + 4096 {
            self.compact();
        }
    }
}

impl RegionTally {
    /// Whether a scan reading `columns` can tally regions (it needs the region and the payee id).
    pub fn possible(columns: crate::ledger::column::ColSet) -> bool {
        columns.contains(Col::Region) && columns.contains(Col::PayeeId)
    }

    /// Counts the rows of a batch (the rows rules see: no data-quality problem, not excluded).
    pub fn update(&mut self, b: &Batch, scheme: &RegionScheme) {
        let hashes = b.hashes(Col::Region);
        let payees = b.hashes(Col::PayeeId);
        if !b.has(Col::Region) || payees.is_empty() {
            return;
        }
        if self.by_text.len() != self.units.len() {
            self.reindex();
        }
        // rows of one village come in runs: the text is looked at when the region's hash changes, and a payee's
        // rows in a run are pushed once
        let mut last: Option<(u64, usize)> = None;
        let mut last_payee = crate::ledger::batch::NO_HASH;
        for i in b.rows() {
            let h = match hashes.get(i) {
                Some(&h) => h,
                None => xxhash_rust::xxh3::xxh3_64(
                    b.text(Col::Region, i).map_or("", str::trim).as_bytes(),
                ),
            };
            let at = match last {
                Some((lh, at)) if lh == h => at,
                _ => {
                    last_payee = crate::ledger::batch::NO_HASH;
                    let region = b.text(Col::Region, i).map_or("", str::trim);
                    self.unit_at(h, region, b, i, scheme)
                }
            };
            last = Some((h, at));
            let v = &mut self.units[at];
            if b.is_paid(i) {
                v.payments += 1;
                v.paid_fen += b.amount_fen.get(i).copied().unwrap_or(0);
            }
            if let Some(&p) = payees.get(i) {
                if p != crate::ledger::batch::NO_HASH && p != last_payee {
                    v.push(p);
                    last_payee = p;
                }
            }
        }
    }

    fn unit_at(
        &mut self,
        h: u64,
        region: &str,
        b: &Batch,
        i: usize,
        scheme: &RegionScheme,
    ) -> usize {
        if let Some(&at) = self.index.get(&h) {
            if self.units[at].region == region {
                return at;
            }
        }
        // a value met under another hash (another file's hashing, or a 64-bit collision): found by text
        if let Some(&at) = self.by_text.get(region) {
            self.index.insert(h, at);
            return at;
        }
        let at = self.units.len();
        self.units.push(Village {
            region: region.to_string(),
            township: scheme.unit_of_row(b, i, true).map(str::to_string),
            county: scheme.unit_of_row(b, i, false).map(str::to_string),
            ..Village::default()
        });
        self.index.insert(h, at);
        self.by_text.insert(region.to_string(), at);
        at
    }

    fn reindex(&mut self) {
        self.index.clear();
        self.by_text = self
            .units
            .iter()
            .enumerate()
            .map(|(at, v)| (v.region.clone(), at))
            .collect();
    }

    /// Merges another tally (any order gives the same roll-up).
    pub fn merge(&mut self, other: Self) {
        let mut by_region: HashMap<String, usize> = self
            .units
            .iter()
            .enumerate()
            .map(|(i, v)| (v.region.clone(), i))
            .collect();
        for v in other.units {
            match by_region.get(&v.region) {
                Some(&i) => {
                    let u = &mut self.units[i];
                    u.payments += v.payments;
                    u.paid_fen += v.paid_fen;
                    u.payees.extend(v.payees);
                    if u.township.is_none() {
                        u.township = v.township;
                    }
                    if u.county.is_none() {
                        u.county = v.county;
                    }
                    u.sorted = 0;
                    u.compact();
                }
                None => {
                    by_region.insert(v.region.clone(), self.units.len());
                    self.units.push(v);
                }
            }
        }
        self.index.clear();
        self.by_text.clear();
    }
}

/// A level of the roll-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Total,
    County,
    Township,
    Village,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
        }
    }
}

/// A rule and its findings in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub findings: u64,
}

/// One region of the roll-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hotspot {
    pub level: Level,
    /// The region value (a village's as written; a township's or county's code or name); `*` for the total.
    pub region: String,
    /// The township and county the region lies in (absent when the hierarchy does not give them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    pub payees: u64,
    pub payments: u64,
    pub paid_fen: i64,
    pub findings: u64,
    pub cases: u64,
    pub referrals: u64,
    pub amount_at_risk_fen: i64,
    /// Findings per 10,000 payees (0 without payees), two decimals.
    pub findings_per_10k_payees: f64,
    /// The rules with the most findings here (at most three; ties by code).
    pub top_rules: Vec<RuleCount>,
}

#[derive(Default, Clone)]
struct Acc {
    payees: u64,
    payments: u64,
    paid_fen: i64,
    findings: u64,
    cases: u64,
    referrals: u64,
    at_risk: i64,
    rules: BTreeMap<&'static str, u64>,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        self.payees += o.payees;
        self.payments += o.payments;
        self.paid_fen += o.paid_fen;
        self.findings += o.findings;
        self.cases += o.cases;
        self.referrals += o.referrals;
        self.at_risk += o.at_risk;
        for (r, n) in &o.rules {
            *self.rules.entry(r).or_default() += n;
        }
    }
    fn hotspot(
        &self,
        level: Level,
        region: &str,
        township: Option<&str>,
        county: Option<&str>,
    ) -> Hotspot {
        let mut top: Vec<(&str, u64)> = self.rules.iter().map(|(r, n)| (*r, *n)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        top.truncate(3);
        let per = if self.payees == 0 {
            0.0
        } else {
            (self.findings as f64 * 10_000.0 / self.payees as f64 * 100.0).round() / 100.0
        };
        Hotspot {
            level,
            region: region.to_string(),
            township: township.map(str::to_string),
            county: county.map(str::to_string),
            payees: self.payees,
            payments: self.payments,
            paid_fen: self.paid_fen,
            findings: self.findings,
            cases: self.cases,
            referrals: self.referrals,
            amount_at_risk_fen: self.at_risk,
            findings_per_10k_payees: per,
            top_rules: top
                .into_iter()
                .map(|(r, n)| RuleCount {
                    rule: r.to_string(),
                    findings: n,
                })
                .collect(),
        }
    }
}

/// The roll-up: the total, then counties, townships and villages, each level by money at risk (then findings,
/// then region). `evidence` holds every evidence row of the findings (read back before the cases were made).
pub fn roll_up(
    tally: RegionTally,
    findings: &[Finding],
    cases: &[Case],
    evidence: &Evidence,
) -> Vec<Hotspot> {
    let mut tally = tally;
    let mut accs: Vec<Acc> = Vec::with_capacity(tally.units.len());
    let mut villages: HashMap<String, usize> = HashMap::with_capacity(tally.units.len());
    tally.units.par_iter_mut().for_each(Village::compact);
    for (i, v) in tally.units.iter().enumerate() {
        accs.push(Acc {
            payees: v.payees.len() as u64,
            payments: v.payments,
            paid_fen: v.paid_fen,
            ..Acc::default()
        });
        villages.insert(v.region.clone(), i);
    }
    // a region value only evidence shows (its rows were not tallied: a scan that could not read the region)
    let mut place_of =
        |row: Option<&RowRef>, accs: &mut Vec<Acc>, units: &mut Vec<Village>| -> Option<usize> {
            let e = evidence.get(row?)?;
            let region = e.region.trim();
            if let Some(&at) = villages.get(region) {
                return Some(at);
            }
            units.push(Village {
                region: region.to_string(),
                ..Village::default()
            });
            accs.push(Acc::default());
            villages.insert(region.to_string(), units.len() - 1);
            Some(units.len() - 1)
        };
    let mut units = std::mem::take(&mut tally.units);
    let mut finding_place: Vec<Option<usize>> = Vec::with_capacity(findings.len());
    for f in findings {
        let at = place_of(f.evidence.first(), &mut accs, &mut units);
        if let Some(at) = at {
            accs[at].findings += 1;
            *accs[at].rules.entry(f.rule).or_default() += 1;
        }
        finding_place.push(at);
    }
    for c in cases {
        let lead = c.finding_indices.iter().copied().min_by(|&a, &b| {
            findings[b]
                .severity
                .cmp(&findings[a].severity)
                .then(findings[b].amount_fen.cmp(&findings[a].amount_fen))
                .then(a.cmp(&b))
        });
        if let Some(at) = lead.and_then(|i| finding_place[i]) {
            accs[at].cases += 1;
            accs[at].referrals += u64::from(c.referral);
        }
        let mut risk: Vec<(RowRef, i64)> = c
            .finding_indices
            .iter()
            .flat_map(|&i| findings[i].risk.iter().copied())
            .collect();
        risk.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        risk.dedup_by_key(|e| e.0);
        for (row, fen) in risk {
            if let Some(at) = place_of(Some(&row), &mut accs, &mut units) {
                accs[at].at_risk += fen;
            }
        }
    }
    // townships and counties
    let mut townships: BTreeMap<(Option<&str>, &str), Acc> = BTreeMap::new();
    let mut counties: BTreeMap<&str, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    let mut out = Vec::new();
    for (v, a) in units.iter().zip(&accs) {
        total.add(a);
        if let Some(t) = v.township.as_deref() {
            townships
                .entry((v.county.as_deref(), t))
                .or_default()
                .add(a);
        }
        if let Some(c) = v.county.as_deref() {
            counties.entry(c).or_default().add(a);
        }
        out.push(a.hotspot(
            Level::Village,
            &v.region,
            v.township.as_deref(),
            v.county.as_deref(),
        ));
    }
    for ((c, t), a) in &townships {
        out.push(a.hotspot(Level::Township, t, None, *c));
    }
    for (c, a) in &counties {
        out.push(a.hotspot(Level::County, c, None, None));
    }
    out.push(total.hotspot(Level::Total, "*", None, None));
    out.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(b.amount_at_risk_fen.cmp(&a.amount_at_risk_fen))
            .then(b.findings.cmp(&a.findings))
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.county.cmp(&b.county))
    });
    out
}

/// What `summary.json` holds of the roll-up: the total and the first `n` regions of each level.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Top {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Hotspot>,
    pub counties: Vec<Hotspot>,
    pub townships: Vec<Hotspot>,
    pub villages: Vec<Hotspot>,
    /// Regions of each level in `hotspots.csv`: (counties, townships, villages).
    pub regions: [usize; 3],
}

/// How many regions of each level `summary.json` and the terminal list.
pub const TOP: usize = 20;

pub fn top(all: &[Hotspot], n: usize) -> Top {
    let of = |l: Level| all.iter().filter(move |h| h.level == l);
    Top {
        total: of(Level::Total).next().cloned(),
        counties: of(Level::County).take(n).cloned().collect(),
        townships: of(Level::Township).take(n).cloned().collect(),
        villages: of(Level::Village).take(n).cloned().collect(),
        regions: [
            of(Level::County).count(),
            of(Level::Township).count(),
            of(Level::Village).count(),
        ],
    }
}
