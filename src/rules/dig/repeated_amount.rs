//! DIG002 repeated-amount: Nigrini's number duplication test per unit: an exact amount paid to far more payees
//! than the unit's other amounts are, among the amounts the scheme rules do not explain.

use super::{
    explained, levels_of, unit_subject, Level, UnitKeys, BY_COUNTY, BY_OFFICER, BY_TOWNSHIP,
};
use crate::finding::{Finding, Severity};
use crate::ledger::batch::{mix, Batch, BatchContext, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::amt::DueCalc;
use crate::rules::keyed::Keyed;
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::stats::digits::MIN_TESTED_FEN;
use std::collections::BTreeMap;

pub static META: RuleMeta = RuleMeta {
    code: "DIG002",
    name: "repeated-amount",
    summary: "An exact amount that a county, township or officer pays to far more payees than its other amounts",
    doc: "\
What it flags
  Per unit (county: the first 6 characters of the region code, township: the first 9, officer; each can be
  turned off), Nigrini's number duplication test on the PAID amounts of 10.00 yuan or more that the scheme
  rules do not explain (fixed amounts and age bands are left out, and so is a rate x quantity equal to the
  amount paid). Each exact amount is counted in distinct payees (a payee's amount repeating every period counts
  once). The unit's other amounts predict how many payees an amount has: (payees of the other amounts) /
  (number of other amounts), at least 1. An amount is flagged when it has at least `min_payees` (default 10)
  payees and at least `min_ratio` (default 10) times the prediction, in a unit with at least `min_amounts`
  (default 100) payee-amount pairs. Evidence: the payments of that amount (at most `max_evidence`, default 200,
  the first in file order; the count is in the explanation). Nothing is put at risk: this is a lead.

Why it matters
  Made-up payments are typed with the same favourite amount again and again; computed entitlements differ
  payee by payee.

Example
  Township 520102004: 3,000.00 yuan paid to 25 payees (48 payments) where its other 180 amounts have 1.1
  payees each.

False positives
  A scheme paying one amount to everyone that the config does not describe (describe it as a fixed `amount`),
  amounts typed from a table of standard rates. Raise `min_payees` or `min_ratio`, or `--ignore DIG002`.",
    severity: Severity::Low,
    columns: &[Col::Amount, Col::PayeeId, Col::Region],
    optional_columns: &[Col::OfficerId, Col::Scheme, Col::Status, Col::Quantity],
    references: &[],
    params: &[
        BY_COUNTY,
        BY_TOWNSHIP,
        BY_OFFICER,
        ParamSpec {
            name: "min_payees",
            default: ParamValue::Int(10),
            doc: "distinct payees a flagged amount has at least",
        },
        ParamSpec {
            name: "min_ratio",
            default: ParamValue::Float(10.0),
            doc: "payees of a flagged amount over the payees the unit's other amounts predict",
        },
        ParamSpec {
            name: "min_amounts",
            default: ParamValue::Int(100),
            doc: "payee-amount pairs a tested unit has at least",
        },
        ParamSpec {
            name: "max_evidence",
            default: ParamValue::Int(200),
            doc: "payments cited per flagged amount",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        RepeatedAmount {
            ctx: env.batch.clone(),
            levels: levels_of(p, &env.batch.locale.region),
            min_payees: u64::try_from(p.int("min_payees").max(2)).unwrap_or(2),
            min_ratio: p.float("min_ratio"),
            min_amounts: u64::try_from(p.int("min_amounts").max(1)).unwrap_or(1),
            max_evidence: usize::try_from(p.int("max_evidence").max(1)).unwrap_or(1),
        },
    )
}

pub struct RepeatedAmount {
    ctx: BatchContext,
    levels: Vec<Level>,
    min_payees: u64,
    min_ratio: f64,
    min_amounts: u64,
    max_evidence: usize,
}

/// (mix(unit, amount), unit key, (payee hash, row)) for every unexplained PAID amount, once per level.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    entries: Keyed<(u64, u64, (u64, RowRef))>,
}

/// The entries split by (unit, amount) partition; the per-unit totals add up over partitions.
impl crate::engine::spill::Parts for State {
    const SPLITS: bool = true;
    fn part_bytes(&self) -> usize {
        self.entries.part_bytes()
    }
    fn take_part(&mut self, p: usize) -> Self {
        Self {
            entries: self.entries.take_part(p),
        }
    }
}

/// What the (unit, amount) groups of some entries give: the groups with enough payees to be flagged (with
/// their rows), and per unit (payee-amount pairs, distinct amounts).
type Tally = (Vec<Group>, BTreeMap<u64, (u64, u64)>);

/// One (unit, amount) after grouping: unit key, distinct payees, payments, the rows (only kept when the
/// amount has enough payees to be flagged).
type Group = (u64, u64, u64, Vec<RowRef>);

impl RepeatedAmount {
    /// The (unit, amount) groups of some entries (a whole state's, or one partition's: a (unit, amount) falls
    /// in one partition): the candidates and the per-unit totals.
    fn tally(&self, entries: Keyed<(u64, u64, (u64, RowRef))>) -> Tally {
        let min_payees = self.min_payees;
        let cap = self.max_evidence;
        let all: Vec<Group> = entries.finish(|run| {
            // a mixed key shared by two units would merge them: split the run by unit
            let mut out = Vec::new();
            for part in run.chunk_by(|x, y| x.1 == y.1) {
                let payees = 1 + part.windows(2).filter(|w| w[0].2 .0 != w[1].2 .0).count() as u64;
                let rows = if payees >= min_payees {
                    let mut r: Vec<RowRef> = part.iter().map(|e| e.2 .1).collect();
                    r.sort_unstable();
                    r.truncate(cap);
                    r
                } else {
                    Vec::new()
                };
                out.push((part[0].1, payees, part.len() as u64, rows));
            }
            out
        });
        // per unit: payee-amount pairs and distinct amounts
        let mut totals: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for g in &all {
            let t = totals.entry(g.0).or_default();
            t.0 += g.1;
            t.1 += 1;
        }
        let groups = all
            .into_iter()
            .filter(|g| g.1 >= min_payees && !g.3.is_empty())
            .collect();
        (groups, totals)
    }

    /// The drafts of the candidate groups that stand out in their unit.
    fn conclude(&self, mut groups: Vec<Group>, totals: &BTreeMap<u64, (u64, u64)>) -> Vec<Draft> {
        groups.sort_unstable_by(|a, b| (a.0, a.3.first()).cmp(&(b.0, b.3.first())));
        let mut drafts = Vec::new();
        for (unit, c, payments, rows) in groups {
            if c < self.min_payees || rows.is_empty() {
                continue;
            }
            let (n, k) = totals.get(&unit).copied().unwrap_or((0, 0));
            if n < self.min_amounts {
                continue;
            }
            let expected = if k > 1 {
                ((n - c) as f64 / (k - 1) as f64).max(1.0)
            } else {
                1.0
            };
            if (c as f64) < self.min_ratio * expected {
                continue;
            }
            drafts.push(Draft {
                evidence: rows,
                facts: vec![
                    UnitKeys::level_of(unit).code(),
                    c as i64,
                    payments as i64,
                    n as i64,
                    k as i64 - 1,
                    expected.to_bits() as i64,
                ],
            });
        }
        drafts
    }
}

impl Rule for RepeatedAmount {
    type State = State;

    fn update(&self, st: &mut State, b: &Batch) {
        let payee = b.hashes(Col::PayeeId);
        let mut calc = DueCalc::new(&self.ctx);
        let mut units = UnitKeys::new(b, &self.levels, &self.ctx.locale.region);
        for i in b.rows() {
            let a = b.amount_fen[i];
            if a < MIN_TESTED_FEN || !b.is_paid(i) || payee[i] == NO_HASH {
                continue;
            }
            if explained(&mut calc, b, i) {
                continue;
            }
            let row = b.row_ref(i);
            let amount = a as u64;
            for &u in units.of(b, i) {
                if u != NO_HASH {
                    st.entries.push((mix(u, amount), u, (payee[i], row)));
                }
            }
        }
    }

    fn merge(&self, into: &mut State, from: State) {
        into.entries.append(from.entries);
    }

    fn finish(&self, st: State) -> Vec<Draft> {
        let (groups, totals) = self.tally(st.entries);
        self.conclude(groups, &totals)
    }

    /// Each partition's tally, the totals added up, then the tests over every unit.
    fn finish_spilled(
        &self,
        rest: State,
        pull: &(dyn Fn(usize) -> crate::error::Result<State> + Sync),
    ) -> crate::error::Result<Vec<Draft>> {
        drop(rest);
        let parts = crate::engine::spill::each_part(pull, |s| self.tally(s.entries))?;
        let mut groups = Vec::new();
        let mut totals: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for (g, t) in parts {
            groups.extend(g);
            for (unit, (n, k)) in t {
                let e = totals.entry(unit).or_default();
                e.0 += n;
                e.1 += k;
            }
        }
        Ok(self.conclude(groups, &totals))
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let [level, c, payments, n, others, expected] = d.facts.get(..6)?.try_into().ok()?;
        let mut rows = rows_of(d, ev);
        let first = *rows.first()?;
        let (kind, subject, what) = unit_subject(level, first, &self.ctx.locale.region)?;
        let amount = first.amount_fen;
        if rows.iter().any(|r| r.amount_fen != amount) {
            return None;
        }
        crate::rules::render::by_pay_date(&mut rows);
        let shown = if rows.len() < usize::try_from(payments).unwrap_or(0) {
            format!(" (the first {} cited)", rows.len())
        } else {
            String::new()
        };
        let explanation = format!(
            "{what} {subject}: the amount {} was paid to {c} distinct payees in {payments} payments{shown}, where its other {others} amounts not explained by the scheme rules have {:.1} payees each ({n} payee-amount pairs in all; thresholds: {} payees, {} times): {}",
            fmt_yuan(amount),
            f64::from_bits(expected as u64),
            self.min_payees,
            self.min_ratio,
            crate::text::list_of(&rows.iter().take(8).map(|r| r.txn_id.to_string()).collect::<Vec<_>>(), 8, rows.len()),
        );
        let shown_zh = if rows.len() < usize::try_from(payments).unwrap_or(0) {
            format!("（引用前 {} 笔）", rows.len())
        } else {
            String::new()
        };
        let zh = format!(
            "{} {subject}：金额 {} 以 {payments} 笔付款{shown_zh}发给 {c} 名不同领取人，而其他 {others} 个非项目规则所致金额平均每个只有 {:.1} 名领取人（共 {n} 个领取人—金额对；阈值：{} 名领取人、{} 倍）：{}",
            super::unit_word_zh(what),
            fmt_yuan(amount),
            f64::from_bits(expected as u64),
            self.min_payees,
            self.min_ratio,
            crate::text::list_of_zh(&rows.iter().take(8).map(|r| r.txn_id.to_string()).collect::<Vec<_>>(), 8, rows.len()),
        );
        Some(Finding::new(&META, META.severity, kind, subject, &rows, &[], explanation).with_zh(zh))
    }
}
