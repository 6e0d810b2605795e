//! AMT004 officer-account-concentration: an officer whose payees' money gathers on a few accounts, far more
//! than the officers of the same county (Herfindahl index over accounts, in distinct payees).

use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::batch::{hash_text, Batch, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::rules::keyed::Keyed;
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::text::{list, list_zh};
use std::collections::{BTreeMap, HashMap};

pub static META: RuleMeta = RuleMeta {
    code: "AMT004",
    name: "officer-account-concentration",
    summary: "An officer whose payees' money gathers on a few accounts far more than at the county's other officers",
    doc: "\
What it flags
  Per officer, the Herfindahl index of its PAID payments over the receiving accounts, each account weighted
  by the distinct payees the officer paid into it (so an officer paying a monthly scheme to the same people
  every month weighs each of them once): H = sum (w_a / P)^2 with P = sum w_a. The officer's concentration
  is P x H - 1 = sum w_a (w_a - 1) / P: for a random payee of the officer, the other payees paid into the same
  account (0 when every payee has an account of their own; a couple sharing a card adds a little). It is
  compared with the officers of the same county (the first 6 characters of the region of the officer's first
  payment; the whole ledger when the county has fewer than `min_peers`, default 5, officers) by a robust
  z-score: (C - median) / (1.4826 x MAD), the scale floored at `min_scale` (default 0.05). An officer is
  flagged when z is at least `min_z` (default 3.5), C is at least `min_concentration` (default 0.2), and at
  least one account received the money of `min_account_payees` (default 3) or more of its payees. Evidence:
  the officer's payments into those accounts (at most 200). Nothing is put at risk: this is a lead (DUP003
  and INS003 judge the accounts themselves).

Why it matters
  An officer who diverts entitlements routes them to accounts under their control: their own, a relative's,
  a broker's. The payees stay on the rolls, but their money lands on a few cards.

Example
  Officer OFX paid 12 of its 20 payees into account 6222020000000009 (concentration 6.6, county median 0.05,
  robust z 127).

False positives
  Care homes or village committees that legitimately receive residents' payments, large households sharing
  one card. Raise `min_account_payees` or `min_z`, or `--ignore AMT004`.",
    severity: Severity::Medium,
    columns: &[Col::OfficerId, Col::Account, Col::PayeeId, Col::Region],
    optional_columns: &[Col::Status],
    references: &[],
    params: &[
        ParamSpec {
            name: "min_z",
            default: ParamValue::Float(3.5),
            doc: "robust z-score against the county's officers at or above which an officer is flagged",
        },
        ParamSpec {
            name: "min_concentration",
            default: ParamValue::Float(0.2),
            doc: "smallest concentration (other payees sharing a payee's account, on average) flagged",
        },
        ParamSpec {
            name: "min_account_payees",
            default: ParamValue::Int(3),
            doc: "payees an account must receive the money of to be cited",
        },
        ParamSpec {
            name: "min_peers",
            default: ParamValue::Int(5),
            doc: "officers a county needs to be its own peer group (else the whole ledger)",
        },
        ParamSpec {
            name: "min_scale",
            default: ParamValue::Float(0.05),
            doc: "floor of the robust scale (1.4826 x MAD) of the peers' concentration",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        OfficerConcentration {
            region: env.batch.locale.region.clone(),
            z: p.float("min_z"),
            concentration: p.float("min_concentration"),
            account_payees: u64::try_from(p.int("min_account_payees").max(2)).unwrap_or(2),
            peers: usize::try_from(p.int("min_peers").max(1)).unwrap_or(1),
            scale: p.float("min_scale").max(1e-9),
        },
    )
}

pub struct OfficerConcentration {
    region: crate::locale::RegionScheme,
    z: f64,
    concentration: f64,
    account_payees: u64,
    peers: usize,
    scale: f64,
}

/// Evidence rows cited per finding.
const MAX_EVIDENCE: usize = 200;

#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// (officer, account, (payee, row)) of every PAID payment with all three.
    entries: Keyed<(u64, u64, (u64, RowRef))>,
    /// officer -> (first row, county hash of that row): the officer's county is that of its first payment
    county: HashMap<u64, (RowRef, u64)>,
}

/// The entries split by officer partition; the officers' counties (one entry an officer) stay in memory.
impl crate::engine::spill::Parts for State {
    const SPLITS: bool = true;
    fn part_bytes(&self) -> usize {
        self.entries.part_bytes()
    }
    fn take_part(&mut self, p: usize) -> Self {
        Self {
            entries: self.entries.take_part(p),
            county: HashMap::new(),
        }
    }
}

/// One officer after grouping: (officer, P, sum w^2, rows into the cited accounts).
type Officer = (u64, u64, u64, Vec<RowRef>);

impl OfficerConcentration {
    /// The officers of a state's entries (a whole state's, or one partition's: an officer's entries all fall
    /// in one partition): (officer, payees P, sum of w^2, rows into the cited accounts).
    fn officers(&self, entries: Keyed<(u64, u64, (u64, RowRef))>) -> Vec<Officer> {
        let min_w = self.account_payees;
        entries.finish_grouped(|run| {
            // one officer's payments, in no order: sort (account, payee) pairs (16 bytes each, not the whole
            // entries) to count each account's distinct payees
            let mut pairs: Vec<(u64, u64)> = run.iter().map(|e| (e.1, e.2 .0)).collect();
            pairs.sort_unstable();
            pairs.dedup();
            let (mut p, mut sq) = (0u64, 0u64);
            let mut cited: Vec<u64> = Vec::new();
            for acc in pairs.chunk_by(|x, y| x.0 == y.0) {
                let w = acc.len() as u64;
                p += w;
                sq += w * w;
                if w >= min_w {
                    cited.push(acc[0].0);
                }
            }
            // rows into the cited accounts (few: `cited` is sorted, a binary search each)
            let mut rows: Vec<RowRef> = if cited.is_empty() {
                Vec::new()
            } else {
                run.iter()
                    .filter(|e| cited.binary_search(&e.1).is_ok())
                    .map(|e| e.2 .1)
                    .collect()
            };
            rows.sort_unstable();
            rows.truncate(MAX_EVIDENCE);
            Some((run[0].0, p, sq, rows))
        })
    }

    /// The drafts of the officers whose concentration stands out from their county's peers.
    fn conclude(
        &self,
        mut officers: Vec<Officer>,
        county: &HashMap<u64, (RowRef, u64)>,
    ) -> Vec<Draft> {
        officers.sort_unstable_by_key(|o| o.0);
        let conc = |o: &Officer| o.2 as f64 / o.1.max(1) as f64 - 1.0;
        let mut by_county: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
        for o in &officers {
            let c = county.get(&o.0).map_or(NO_HASH, |x| x.1);
            by_county.entry(c).or_default().push(conc(o));
        }
        let mut all: Vec<f64> = officers.iter().map(conc).collect();
        let everyone = robust(&mut all);
        let peers: BTreeMap<u64, (f64, f64, usize)> = by_county
            .into_iter()
            .map(|(c, mut v)| {
                // officers whose region fits no county are compared with the whole ledger
                let n = if c == NO_HASH { 0 } else { v.len() };
                let (m, s) = if n >= self.peers {
                    robust(&mut v)
                } else {
                    everyone
                };
                (c, (m, s, n))
            })
            .collect();
        let mut drafts = Vec::new();
        for o in officers {
            let c = conc(&o);
            if o.3.is_empty() || c < self.concentration {
                continue;
            }
            let county = county.get(&o.0).map_or(NO_HASH, |x| x.1);
            let (median, scale, n) = peers
                .get(&county)
                .copied()
                .unwrap_or((everyone.0, everyone.1, 0));
            let z = (c - median) / scale.max(self.scale);
            if z < self.z {
                continue;
            }
            let own_county = n >= self.peers;
            drafts.push(Draft {
                evidence: o.3,
                facts: vec![
                    o.1 as i64,
                    c.to_bits() as i64,
                    median.to_bits() as i64,
                    z.to_bits() as i64,
                    i64::from(own_county),
                ],
            });
        }
        drafts
    }
}

impl Rule for OfficerConcentration {
    type State = State;

    fn update(&self, st: &mut State, b: &Batch) {
        let officer = b.hashes(Col::OfficerId);
        let account = b.hashes(Col::Account);
        let payee = b.hashes(Col::PayeeId);
        let mut last = NO_HASH;
        for i in b.rows() {
            let (o, a, p) = (officer[i], account[i], payee[i]);
            if o == NO_HASH || a == NO_HASH || p == NO_HASH || !b.is_paid(i) {
                continue;
            }
            let row = b.row_ref(i);
            st.entries.push((o, a, (p, row)));
            if o != last {
                last = o;
                let e = st.county.entry(o).or_insert((RowRef(u64::MAX), NO_HASH));
                if row < e.0 {
                    // a code outside the hierarchy has no county: compared with the whole ledger
                    *e = (
                        row,
                        self.region
                            .unit_of_row(b, i, false)
                            .map_or(NO_HASH, hash_text),
                    );
                }
            }
        }
    }

    fn merge(&self, into: &mut State, from: State) {
        into.entries.append(from.entries);
        for (o, v) in from.county {
            let e = into.county.entry(o).or_insert(v);
            if v.0 < e.0 {
                *e = v;
            }
        }
    }

    fn finish(&self, st: State) -> Vec<Draft> {
        let officers = self.officers(st.entries);
        self.conclude(officers, &st.county)
    }

    /// Each partition's officers, then the peers over all of them.
    fn finish_spilled(
        &self,
        rest: State,
        pull: &(dyn Fn(usize) -> crate::error::Result<State> + Sync),
    ) -> crate::error::Result<Vec<Draft>> {
        let parts = crate::engine::spill::each_part(pull, |s| self.officers(s.entries))?;
        Ok(self.conclude(parts.concat(), &rest.county))
    }
    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let f = |x: i64| f64::from_bits(x as u64);
        let [payees, c, median, z, own] = d.facts.get(..5)?.try_into().ok()?;
        let mut rows = rows_of(d, ev);
        let officer = rows.first()?.officer_id.clone()?;
        if rows
            .iter()
            .any(|r| r.officer_id.as_deref() != Some(&officer))
        {
            return None;
        }
        crate::rules::render::by_pay_date(&mut rows);
        // the cited accounts with their distinct payees
        let mut accounts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &rows {
            accounts
                .entry(r.account.as_str())
                .or_default()
                .push(r.payee_id.as_str());
        }
        let mut shown: Vec<(usize, String)> = accounts
            .into_iter()
            .map(|(a, mut p)| {
                p.sort_unstable();
                p.dedup();
                (p.len(), a.to_string())
            })
            .collect();
        shown.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let shown_en: Vec<String> = shown
            .iter()
            .map(|(n, a)| format!("{a} ({n} payees)"))
            .collect();
        let explanation = format!(
            "officer {officer}: of {payees} payee-account pairs, the money gathers on few accounts: concentration {:.2} (Herfindahl x payees - 1: other payees sharing a payee's account, on average), {} median {:.2}, robust z {:.1} (threshold {}); accounts receiving {} or more payees' money: {}; {} payments cited",
            f(c),
            if own == 1 { "county officers'" } else { "all officers'" },
            f(median),
            f(z),
            self.z,
            self.account_payees,
            list(&shown_en, 5),
            rows.len(),
        );
        let shown_zh: Vec<String> = shown
            .iter()
            .map(|(n, a)| format!("{a}（{n} 名领取人）"))
            .collect();
        let zh = format!(
            "经办人 {officer}：{payees} 个领取人—账户对中，资金集中于少数账户：集中度 {:.2}（赫芬达尔指数 x 领取人数 - 1：平均每名领取人与多少名他人共用账户），{}中位数 {:.2}，稳健 z 值 {:.1}（阈值 {}）；收到 {} 名及以上领取人资金的账户：{}；引用 {} 笔付款",
            f(c),
            if own == 1 { "本县经办人" } else { "全部经办人" },
            f(median),
            f(z),
            self.z,
            self.account_payees,
            list_zh(&shown_zh, 5),
            rows.len(),
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Officer,
                officer,
                &rows,
                &[],
                explanation,
            )
            .with_zh(zh),
        )
    }
}

/// Median and 1.4826 x median absolute deviation of `v` (0, 0 when empty).
fn robust(v: &mut [f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let m = median(v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    (m, 1.4826 * median(&mut dev))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robust_z_parts() {
        let mut v = vec![0.0, 0.1, 0.1, 0.2, 5.0];
        let (m, s) = robust(&mut v);
        assert!((m - 0.1).abs() < 1e-12);
        assert!((s - 1.4826 * 0.1).abs() < 1e-12);
        let mut e: Vec<f64> = Vec::new();
        assert_eq!(robust(&mut e), (0.0, 0.0));
    }
}
