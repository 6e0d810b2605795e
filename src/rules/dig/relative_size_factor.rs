//! DIG003 relative-size-factor: a payee whose largest payment of a scheme dwarfs its second largest (Nigrini's
//! relative size factor).

use super::explained;
use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::batch::{mix, Batch, BatchContext, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::amt::DueCalc;
use crate::rules::keyed::Keyed;
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};

pub static META: RuleMeta = RuleMeta {
    code: "DIG003",
    name: "relative-size-factor",
    summary: "A payee whose largest payment of a scheme is many times its second largest",
    doc: "\
What it flags
  Per payee and scheme, Nigrini's relative size factor: the largest PAID amount over the second largest. A
  payee is flagged when the factor is at least `min_factor` (default 10), the largest payment is at least
  `min_amount_yuan` (default 1,000 yuan), and the scheme rules do not explain the largest payment (a fixed
  amount, an age band, or a rate x quantity equal to it). Payees paid once have no factor. Evidence: the
  largest payment. At risk: the largest payment less the second largest.

Why it matters
  A regular entitlement changes little from period to period; one payment many times the others is a typing
  slip or an amount inflated once and shared.

Example
  Payee 520102196001010013 was paid 42,000.00 of DIBAO on 2024-06-15 where the next largest is 420.00 (factor
  100.0).

False positives
  Arrears paid in one sum, a one-off payment under a scheme whose rules the config does not describe, a
  quantity that really grew. Raise `min_factor` or `min_amount_yuan`, or `--ignore DIG003`.",
    severity: Severity::Medium,
    columns: &[Col::Amount, Col::PayeeId],
    optional_columns: &[Col::Scheme, Col::Status, Col::Quantity],
    references: &[],
    params: &[
        ParamSpec {
            name: "min_factor",
            default: ParamValue::Float(10.0),
            doc: "largest over second largest payment at or above which a payee is flagged",
        },
        ParamSpec {
            name: "min_amount_yuan",
            default: ParamValue::Int(1000),
            doc: "smallest largest payment flagged, in yuan",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        RelativeSize {
            ctx: env.batch.clone(),
            min_factor: p.float("min_factor").max(1.0),
            min_fen: p.int("min_amount_yuan").max(0).saturating_mul(100),
        },
    )
}

pub struct RelativeSize {
    ctx: BatchContext,
    min_factor: f64,
    min_fen: i64,
}

/// One payment: (amount, row, explained by the rules); ordered by amount then row.
type Pay = (i64, u64, bool);
const NONE: Pay = (i64::MIN, 0, false);

/// The two largest payments of a payee and scheme.
#[derive(Debug, Clone, Copy)]
struct Top2 {
    first: Pay,
    second: Pay,
}

impl Top2 {
    #[inline]
    fn offer(&mut self, p: Pay) {
        if (p.0, p.1) > (self.first.0, self.first.1) {
            self.second = self.first;
            self.first = p;
        } else if (p.0, p.1) > (self.second.0, self.second.1) {
            self.second = p;
        }
    }
}

/// (mix(payee, scheme), amount << 1 | explained by the rules, row) of every positive PAID payment: pushing
/// is a sequential write, where keeping each payee's top two as rows come would cost a hash lookup (a cache
/// miss) per row.
pub type State = Keyed<(u64, i64, u64)>;

impl Rule for RelativeSize {
    type State = State;

    fn update(&self, st: &mut State, b: &Batch) {
        let payee = b.hashes(Col::PayeeId);
        let mut calc = DueCalc::new(&self.ctx);
        for i in b.rows() {
            let a = b.amount_fen[i];
            if a <= 0 || !b.is_paid(i) || payee[i] == NO_HASH {
                continue;
            }
            let scheme = b.scheme.get(i).copied().map_or(u64::MAX, u64::from);
            // the rules are consulted only for a payment large enough to be flagged
            let ex = a >= self.min_fen && explained(&mut calc, b, i);
            st.push((
                mix(payee[i], scheme),
                (a << 1) | i64::from(ex),
                b.row_ref(i).0,
            ));
        }
    }

    fn merge(&self, into: &mut State, from: State) {
        into.append(from);
    }

    fn finish(&self, st: State) -> Vec<Draft> {
        let mut drafts: Vec<Draft> = st.finish_grouped(|run| {
            let mut t = Top2 {
                first: NONE,
                second: NONE,
            };
            for e in run {
                t.offer((e.1 >> 1, e.2, e.1 & 1 == 1));
            }
            let flagged = t.second != NONE
                && t.second.0 > 0
                && !t.first.2
                && t.first.0 >= self.min_fen
                && t.first.0 as f64 >= self.min_factor * t.second.0 as f64;
            flagged.then(|| Draft {
                evidence: vec![RowRef(t.first.1)],
                facts: vec![t.second.0],
            })
        });
        drafts.sort_unstable_by_key(|d| d.evidence[0]);
        drafts
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let second = *d.facts.first()?;
        let rows = rows_of(d, ev);
        let r = *rows.first()?;
        let factor = r.amount_fen as f64 / second.max(1) as f64;
        let cur = &self.ctx.locale.currency;
        let explanation = format!(
            "payee {} was paid {} {cur} of {} {} ({}) where the next largest payment of the scheme is {} {cur}: relative size factor {:.1} (threshold {})",
            r.payee_id,
            fmt_yuan(r.amount_fen),
            r.scheme,
            r.on_date(),
            r.txn_id,
            fmt_yuan(second),
            factor,
            self.min_factor
        );
        let zh = format!(
            "领取人 {} 于 {} 获发 {} {} {}（{}），而该项目第二大的付款为 {} {}：相对规模因子 {:.1}（阈值 {}）",
            r.payee_id,
            if r.pay_date.is_some() { r.date() } else { "日期不详".to_string() },
            r.scheme,
            fmt_yuan(r.amount_fen),
            cur.zh(),
            r.txn_id,
            fmt_yuan(second),
            cur.zh(),
            factor,
            self.min_factor
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Payee,
                r.payee_id.clone(),
                &rows,
                &[r.amount_fen - second],
                explanation,
            )
            .with_zh(zh),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn top_two_in_any_order(mut pays in proptest::collection::vec((1i64..1_000_000, 0u64..50), 1..40)) {
            let mut v: Vec<Pay> = pays.drain(..).map(|(a, r)| (a, r, false)).collect();
            v.sort_unstable();
            v.dedup_by_key(|p| p.1);
            let mut sorted = v.clone();
            sorted.sort_unstable_by_key(|p| std::cmp::Reverse((p.0, p.1)));
            let mut t = Top2 { first: NONE, second: NONE };
            for p in v.iter().rev() {
                t.offer(*p);
            }
            prop_assert_eq!(t.first, sorted[0]);
            prop_assert_eq!(t.second, sorted.get(1).copied().unwrap_or(NONE));
        }
    }
}
