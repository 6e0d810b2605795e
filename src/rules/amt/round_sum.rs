//! AMT003 round-sum-concentration: officers (and villages) whose payees are paid round sums far more often than
//! the same schemes' payees elsewhere.
//!
//! Only payments the scheme rules do not make round are looked at (no fixed amounts or age bands, and no
//! rate x quantity that happens to be round). Each payee counts once per unit (a payee's round amount repeats
//! every period), the expected share is the same schemes' share elsewhere, the p-value a binomial upper tail,
//! and Benjamini-Hochberg is applied across every unit tested.

use super::DueCalc;
use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::batch::{mix, Batch, BatchContext, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::keyed::Keyed;
use crate::rules::render::all_same;
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::stats::binomial::upper_tail;
use crate::stats::multiple::benjamini_hochberg;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

pub static META: RuleMeta = RuleMeta {
    code: "AMT003",
    name: "round-sum-concentration",
    summary: "An officer or village whose payees get round sums far more often than the same schemes elsewhere",
    doc: "\
What it flags
  Per officer and per village (region): the distinct payees paid at least one round amount (a whole multiple
  of `unit_yuan`, default 100 yuan) where the scheme rule did not make it round (fixed amounts and age bands
  are left out, and so is a rate x quantity that is itself round), out of the distinct payees the unit paid
  under such schemes. The expected share is the same schemes' share among payees elsewhere (at least
  `min_base_rate`); the p-value is the binomial upper tail, adjusted with Benjamini-Hochberg across every
  unit tested. A unit with q below `max_q` (default 0.001) and at least `min_round_payees` (default 3) round
  payees is flagged; a village is not reported again when flagged officers explain all its round payments.
  Evidence: the round payments. At risk: how far each round payment is from its due amount (the whole payment
  when the due cannot be computed).

Why it matters
  Invented payments are typed, not computed: a clerk who makes up beneficiaries or amounts writes 1,000.00 or
  2,500.00, where an entitlement computed from a rate and an area comes out to the fen.

Example
  Officer 520102197803150031 paid round sums to 9 of 24 FARMLAND payees (expected 0.1%): p = 3e-25, q = 4e-22.

False positives
  Schemes paid in round sums by their rules but described in the config with a rate, manual top-ups in round
  sums. Describe the scheme rules as applied, raise `min_round_payees`, or `--ignore AMT003`.",
    severity: Severity::Medium,
    columns: &[Col::Amount, Col::Scheme, Col::PayeeId, Col::Region],
    optional_columns: &[Col::OfficerId, Col::Quantity, Col::Status],
    references: &[],
    params: &[
        ParamSpec {
            name: "unit_yuan",
            default: ParamValue::Int(100),
            doc: "an amount is round when it is a whole multiple of this many yuan",
        },
        ParamSpec {
            name: "max_q",
            default: ParamValue::Float(0.001),
            doc: "Benjamini-Hochberg q-value below which a unit is flagged",
        },
        ParamSpec {
            name: "min_round_payees",
            default: ParamValue::Int(3),
            doc: "distinct payees with round amounts a flagged unit has at least",
        },
        ParamSpec {
            name: "min_base_rate",
            default: ParamValue::Float(0.001),
            doc: "floor of the expected share of round payees (chance alone)",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        RoundSum {
            ctx: env.batch.clone(),
            unit_fen: p.int("unit_yuan").max(1).saturating_mul(100),
            max_q: p.float("max_q"),
            min_round: u64::try_from(p.int("min_round_payees").max(1)).unwrap_or(1),
            min_base: p.float("min_base_rate").clamp(0.0, 1.0),
            shares: std::sync::Mutex::default(),
        },
    )
}

pub struct RoundSum {
    ctx: BatchContext,
    unit_fen: i64,
    max_q: f64,
    min_round: u64,
    min_base: f64,
    /// Every officer tested with at least one round payee ([`crate::exhibit::RoundShare`]), drawn in the finish.
    shares: std::sync::Mutex<Vec<crate::exhibit::RoundShare>>,
}

const OFFICER: i64 = 0;
const REGION: i64 = 1;
const SCHEME_BITS: u64 = 17;

#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// (mix(payee, scheme), officer hash, region hash with the scheme and the round flag in its low 17 bits)
    payees: Keyed<(u64, u64, u64)>,
    /// (officer hash, region hash (masked), row, fen at risk) of the round payments
    round: Vec<(u64, u64, RowRef, i64)>,
}

/// The payee entries split by payee partition; the round payments (the evidence) stay in memory.
impl crate::engine::spill::Parts for State {
    const SPLITS: bool = true;
    fn part_bytes(&self) -> usize {
        self.payees.part_bytes()
    }
    fn take_part(&mut self, p: usize) -> Self {
        Self {
            payees: self.payees.take_part(p),
            round: Vec::new(),
        }
    }
}

/// (kind, unit, scheme) -> (payees, round payees).
type UnitCounts = BTreeMap<(i64, u64, u16), (u64, u64)>;

impl RoundSum {
    /// The payee counts of every unit over the payee entries (a whole state's, or one partition's: a payee
    /// and scheme falls in one partition, so counts of partitions add up).
    fn unit_counts(payees: Keyed<(u64, u64, u64)>) -> UnitCounts {
        // per payee and scheme: the units it was paid by, and whether any of their payments was round
        let mut units: Vec<(i64, u64, u16, bool)> = payees.finish_grouped(|run| {
            let scheme = ((run[0].2 >> 1) & 0xFFFF) as u16;
            let mut out: Vec<(i64, u64, u16, bool)> = Vec::with_capacity(2 * run.len());
            for e in run {
                let round = e.2 & 1 == 1;
                if e.1 != NO_HASH {
                    out.push((OFFICER, e.1, scheme, round));
                }
                out.push((REGION, region_key(e.2), scheme, round));
            }
            // one entry per unit: round when any of the payee's payments by that unit was
            out.sort_unstable_by(|a, b| (a.0, a.1, b.3).cmp(&(b.0, b.1, a.3)));
            out.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
            out
        });
        units.par_sort_unstable();
        let mut counts = UnitCounts::new();
        for run in units.chunk_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2)) {
            let (kind, unit, scheme, _) = run[0];
            let n = run.len() as u64;
            let k = run.iter().filter(|x| x.3).count() as u64;
            counts.insert((kind, unit, scheme), (n, k));
        }
        counts
    }

    /// The tests of every unit against its peers, over the unit counts, and the drafts of the flagged ones
    /// citing their round payments.
    fn conclude(&self, counts: UnitCounts, round: &[(u64, u64, RowRef, i64)]) -> Vec<Draft> {
        // (kind, unit) -> scheme -> (payees, round payees); kind -> scheme -> totals
        let mut per_unit: BTreeMap<(i64, u64), BTreeMap<u16, (u64, u64)>> = BTreeMap::new();
        let mut totals: BTreeMap<(i64, u16), (u64, u64)> = BTreeMap::new();
        for (&(kind, unit, scheme), &(n, k)) in &counts {
            per_unit
                .entry((kind, unit))
                .or_default()
                .insert(scheme, (n, k));
            let t = totals.entry((kind, scheme)).or_default();
            t.0 += n;
            t.1 += k;
        }
        let mut tested: Vec<((i64, u64), u64, u64, f64, f64)> = Vec::new();
        for (unit, schemes) in &per_unit {
            let (mut n, mut k, mut expected) = (0u64, 0u64, 0.0f64);
            for (scheme, (sn, sk)) in schemes {
                let (tn, tk) = totals.get(&(unit.0, *scheme)).copied().unwrap_or((0, 0));
                let (en, ek) = (tn - sn, tk - sk);
                let rate = ((ek as f64 + 0.5) / (en as f64 + 1.0)).max(self.min_base);
                n += sn;
                k += sk;
                expected += *sn as f64 * rate;
            }
            if n == 0 {
                continue;
            }
            let p = expected / n as f64;
            tested.push((*unit, n, k, p, upper_tail(k, n, p)));
        }
        let q = benjamini_hochberg(&tested.iter().map(|t| t.4).collect::<Vec<_>>());
        let flagged: Vec<usize> = (0..tested.len())
            .filter(|&i| q[i] < self.max_q && tested[i].2 >= self.min_round)
            .collect();
        let officers: BTreeSet<u64> = flagged
            .iter()
            .filter(|&&i| tested[i].0 .0 == OFFICER)
            .map(|&i| tested[i].0 .1)
            .collect();
        // the round rows by officer and by region, so each flagged unit finds its rows by binary search
        let mut by_officer: Vec<&(u64, u64, RowRef, i64)> = round.iter().collect();
        by_officer.sort_unstable_by_key(|r| r.0);
        let mut by_region: Vec<&(u64, u64, RowRef, i64)> = round.iter().collect();
        by_region.sort_unstable_by_key(|r| r.1);
        // every officer with a round payee, its officer id read back from its first round payment
        let shares: Vec<crate::exhibit::RoundShare> = tested
            .iter()
            .zip(&q)
            .filter(|(t, _)| t.0 .0 == OFFICER && t.0 .1 != NO_HASH && t.2 > 0)
            .map(|(&((_, unit), n, k, p, pv), &qv)| {
                let lo = by_officer.partition_point(|r| r.0 < unit);
                let hi = by_officer.partition_point(|r| r.0 <= unit);
                crate::exhibit::RoundShare {
                    officer: String::new(),
                    sample: by_officer[lo..hi].iter().map(|r| r.2).min(),
                    payees: n,
                    round: k,
                    share: k as f64 / n as f64,
                    expected: p,
                    p_value: pv,
                    q_value: qv,
                    flagged: qv < self.max_q && k >= self.min_round,
                }
            })
            .collect();
        self.shares
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(shares);
        let mut drafts = Vec::new();
        for i in flagged {
            let ((kind, unit), n, k, p, pv) = tested[i];
            let rows: &[&(u64, u64, RowRef, i64)] = if kind == OFFICER {
                let lo = by_officer.partition_point(|r| r.0 < unit);
                let hi = by_officer.partition_point(|r| r.0 <= unit);
                &by_officer[lo..hi]
            } else {
                let lo = by_region.partition_point(|r| r.1 < unit);
                let hi = by_region.partition_point(|r| r.1 <= unit);
                &by_region[lo..hi]
            };
            if kind == REGION && rows.iter().all(|r| officers.contains(&r.0)) {
                continue;
            }
            let mut ev: Vec<(RowRef, i64)> = rows.iter().map(|r| (r.2, r.3)).collect();
            ev.sort_unstable();
            drafts.push(Draft {
                evidence: ev.iter().map(|e| e.0).collect(),
                facts: [kind, n as i64, k as i64]
                    .into_iter()
                    .chain([p, pv, q[i]].map(|x| x.to_bits() as i64))
                    .chain(ev.iter().map(|e| e.1))
                    .collect(),
            });
        }
        drafts
    }
}

fn region_key(h: u64) -> u64 {
    h & !((1 << SCHEME_BITS) - 1)
}

impl Rule for RoundSum {
    type State = State;

    fn update(&self, st: &mut State, b: &Batch) {
        let payee = b.hashes(Col::PayeeId);
        let region = b.hashes(Col::Region);
        let officer = b.hashes(Col::OfficerId);
        let mut calc = DueCalc::new(&self.ctx);
        for i in b.rows() {
            let Some(s) = calc.scheme(b, i) else {
                continue;
            };
            if s.is_amount_fixed() || !b.is_paid(i) {
                continue;
            }
            let due = calc.due(b, i, s);
            if due.is_some_and(|d| d % self.unit_fen == 0) {
                continue;
            }
            let a = b.amount_fen[i];
            let is_round = a > 0 && a % self.unit_fen == 0;
            let off = officer.get(i).copied().unwrap_or(NO_HASH);
            let reg = region_key(region[i]);
            let scheme = u64::from(b.scheme[i]);
            st.payees.push((
                mix(payee[i], scheme),
                off,
                reg | (scheme << 1) | u64::from(is_round),
            ));
            if is_round {
                let risk = due.map_or(a, |d| (a - d).abs());
                st.round.push((off, reg, b.row_ref(i), risk));
            }
        }
    }

    fn merge(&self, into: &mut State, from: State) {
        into.payees.append(from.payees);
        into.round.extend(from.round);
    }

    fn exhibits(&self) -> crate::exhibit::Exhibits {
        crate::exhibit::Exhibits {
            digits: Vec::new(),
            round_sums: std::mem::take(
                &mut *self
                    .shares
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            ),
        }
    }

    fn finish(&self, st: State) -> Vec<Draft> {
        let counts = Self::unit_counts(st.payees);
        self.conclude(counts, &st.round)
    }

    /// Each partition's unit counts, added up, then the tests over every unit.
    fn finish_spilled(
        &self,
        rest: State,
        pull: &(dyn Fn(usize) -> crate::error::Result<State> + Sync),
    ) -> crate::error::Result<Vec<Draft>> {
        let parts = crate::engine::spill::each_part(pull, |s| Self::unit_counts(s.payees))?;
        let mut counts = UnitCounts::new();
        for part in parts {
            for (k, (n, r)) in part {
                let e = counts.entry(k).or_default();
                e.0 += n;
                e.1 += r;
            }
        }
        Ok(self.conclude(counts, &rest.round))
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.ctx.locale.currency;
        let [kind, n, k, p, pv, q] = d.facts.get(..6)?.try_into().ok()?;
        let f = |x: i64| f64::from_bits(x as u64);
        let risk_of: BTreeMap<RowRef, i64> = d
            .evidence
            .iter()
            .copied()
            .zip(d.facts[6..].iter().copied())
            .collect();
        let mut rows = rows_of(d, ev);
        if rows.is_empty() {
            return None;
        }
        crate::rules::render::by_pay_date(&mut rows);
        let (subject_kind, subject, what) = if kind == OFFICER {
            if !rows.iter().all(|r| r.officer_id == rows[0].officer_id) {
                return None;
            }
            (SubjectKind::Officer, rows[0].officer_id.clone()?, "officer")
        } else {
            if !all_same(&rows, |r| &r.region) {
                return None;
            }
            (SubjectKind::Region, rows[0].region.clone(), "region")
        };
        let risk: Vec<i64> = rows
            .iter()
            .map(|r| r.row.and_then(|x| risk_of.get(&x).copied()).unwrap_or(0))
            .collect();
        let schemes = crate::text::distinct_refs(rows.iter().map(|r| r.scheme.as_str()));
        let explanation = format!(
            "{what} {subject} paid round sums (multiples of {} {cur}) not made round by the scheme rules to {k} of {n} distinct payees of {} ({:.1}%, expected {:.2}% from the same schemes elsewhere): binomial p = {:.2e}, Benjamini-Hochberg q = {:.2e} (threshold {}); {} round payments: {}",
            self.unit_fen / 100,
            schemes.join(", "),
            k as f64 * 100.0 / n.max(1) as f64,
            f(p) * 100.0,
            f(pv),
            f(q),
            self.max_q,
            rows.len(),
            crate::rules::render::briefs(&rows, 6),
        );
        let zh = format!(
            "{} {subject} 向 {} 项目的 {n} 名不同领取人中的 {k} 名支付了非项目规则所致的整数金额（{} {}的整数倍）（{:.1}%，按其他地方同类项目预期为 {:.2}%）：二项检验 p = {:.2e}，Benjamini-Hochberg q = {:.2e}（阈值 {}）；整数金额付款 {} 笔：{}",
            if kind == OFFICER { "经办人" } else { "地区" },
            schemes.join("、"),
            self.unit_fen / 100,
            cur.zh(),
            k as f64 * 100.0 / n.max(1) as f64,
            f(p) * 100.0,
            f(pv),
            f(q),
            self.max_q,
            rows.len(),
            crate::rules::render::briefs_zh(&rows, 6),
        );
        let _ = fmt_yuan;
        Some(
            Finding::new(
                &META,
                META.severity,
                subject_kind,
                subject,
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}
