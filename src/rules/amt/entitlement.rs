//! AMT001 entitlement-mismatch: paid less than due (a skim), more than due (an inflation), or one payee's total
//! in one period above the scheme's ceiling.
//!
//! Per row the due amount is computed from the scheme rules (integer arithmetic) and only rows off by more than
//! the tolerance are kept; the ceiling needs the payee's total per period, so rows of schemes with a
//! `max_amount` are grouped by the batch's payee-period key (24 bytes a row).

use super::DueCalc;
use crate::finding::{EvidenceRow, Finding, Severity, SubjectKind};
use crate::ledger::batch::{Batch, BatchContext, RowRef};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::render::all_same;
use crate::rules::shared::{amount_of, rows_in_order, scheme_of, PeriodEntry};
use crate::rules::{erase, rows_of, Draft, DynRule, Evidence, Params, Rule, RuleEnv, RuleMeta};
use crate::text::{list_of, list_of_zh};

pub static META: RuleMeta = RuleMeta {
    code: "AMT001",
    name: "entitlement-mismatch",
    summary: "Paid below the scheme's due amount (skim), above it (inflation), or above the period ceiling",
    doc: "\
What it flags
  PAID payments whose amount differs from the amount the scheme rules make due by more than the scheme's
  `tolerance`: the rate x quantity (rounded to fen), the fixed `amount`, or the age band's amount for the
  payee's age on the pay date (from the birth date in the 18-character id). Paid below due is a skim, above due
  an inflation; one finding per payee and kind. Also a payee whose PAID total for one scheme in one period
  exceeds the scheme's `max_amount`. At risk: the difference (due minus paid for a skim, paid minus due for an
  inflation, the total above the ceiling). Payments whose due cannot be computed (no quantity for a rate, no
  readable birth date for age bands, a scheme the config does not describe) are not judged.

Why it matters
  Interception shows in the amounts: the clerk pays the beneficiary less than the entitlement and keeps the
  rest (克扣), or pays more than due and shares the excess (虚报冒领).

Example
  Payee 520102195503120011 (FARMLAND, 12.50 mu at 118.00) was paid 1,180.00 yuan for 2024 where 1,475.00 was
  due: 295.00 yuan skimmed.

False positives
  Arrears or back pay settled in one payment, a rate changed in the year, quantities corrected after payment.
  Give the scheme a `tolerance`, describe the scheme rules as they were applied, or `--ignore AMT001`.",
    severity: Severity::High,
    columns: &[Col::Amount, Col::Scheme, Col::PayeeId, Col::Period],
    optional_columns: &[Col::Quantity, Col::PayDate, Col::Status],
    references: &[],
    params: &[],
};

pub fn build(_: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        Entitlement {
            ctx: env.batch.clone(),
        },
    )
}

pub struct Entitlement {
    ctx: BatchContext,
}

const SKIM: i64 = 0;
const INFLATION: i64 = 1;
const CEILING: i64 = 2;

/// (payee hash, kind, row, due) of the payments off their due amount; the ceiling is checked on the shared
/// payee-period grouping.
pub type State = Vec<(u64, i64, RowRef, i64)>;

impl Rule for Entitlement {
    type State = State;
    const PAYEE_PERIODS: bool = true;

    fn update(&self, st: &mut State, b: &Batch) {
        let payee = b.hashes(Col::PayeeId);
        let mut calc = DueCalc::new(&self.ctx);
        for i in b.rows() {
            if !b.is_paid(i) {
                continue;
            }
            let Some(s) = calc.scheme(b, i) else {
                continue;
            };
            let amount = b.amount_fen[i];
            if let Some(due) = calc.due(b, i, s) {
                let diff = amount - due;
                if diff.abs() > s.tolerance_fen {
                    let kind = if diff < 0 { SKIM } else { INFLATION };
                    st.push((payee[i], kind, b.row_ref(i), due));
                }
            }
        }
    }

    fn merge(&self, into: &mut State, from: State) {
        into.extend(from);
    }

    /// The payments off their due amount (the ceiling comes from [`Rule::period_run`]).
    fn finish(&self, mut off: State) -> Vec<Draft> {
        off.sort_unstable();
        off.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
            .map(|g| Draft {
                evidence: g.iter().map(|e| e.2).collect(),
                facts: std::iter::once(g[0].1)
                    .chain(g.iter().map(|e| e.3))
                    .collect(),
            })
            .collect()
    }

    /// The ceiling: a payee's total for one scheme period.
    fn period_run(&self, run: &[PeriodEntry]) -> Option<Draft> {
        let max = self
            .ctx
            .scheme(scheme_of(&run[0]))
            .and_then(|s| s.max_amount_fen)?;
        let total: i64 = run.iter().map(amount_of).sum();
        (total > max).then(|| Draft {
            evidence: rows_in_order(run),
            facts: vec![CEILING],
        })
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.ctx.locale.currency;
        let kind = *d.facts.first()?;
        if kind == CEILING {
            return self.render_ceiling(d, ev);
        }
        // rows and their dues, in pay order
        let mut rows: Vec<(&EvidenceRow, i64)> = d
            .evidence
            .iter()
            .zip(&d.facts[1..])
            .filter_map(|(r, due)| ev.get(r).map(|x| (x, *due)))
            .collect();
        if rows.is_empty() {
            return None;
        }
        crate::rules::render::sort_by_key_once(&mut rows, |(r, _)| r.date_order());
        let only: Vec<&EvidenceRow> = rows.iter().map(|(r, _)| *r).collect();
        if !all_same(&only, |r| &r.payee_id) {
            return None;
        }
        let risk: Vec<i64> = rows
            .iter()
            .map(|(r, due)| (r.amount_fen - due).abs())
            .collect();
        let total: i64 = risk.iter().sum();
        let first = rows[0].0;
        let details: Vec<String> = rows
            .iter()
            .take(6)
            .map(|(r, due)| {
                format!(
                    "{} {} paid {} due {}",
                    r.scheme,
                    r.period,
                    fmt_yuan(r.amount_fen),
                    fmt_yuan(*due)
                )
            })
            .collect();
        let (what, verb) = if kind == SKIM {
            ("below", "skimmed")
        } else {
            ("above", "paid in excess")
        };
        let explanation = format!(
            "payee {} ({}) was paid {what} the amount due on {} payment{}: {}; {} {cur} {verb}",
            first.payee_name,
            first.payee_id,
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            list_of(&details, 6, rows.len()),
            fmt_yuan(total)
        );
        let details_zh: Vec<String> = rows
            .iter()
            .take(6)
            .map(|(r, due)| {
                format!(
                    "{} {} 实发 {} 应发 {}",
                    r.scheme,
                    r.period,
                    fmt_yuan(r.amount_fen),
                    fmt_yuan(*due)
                )
            })
            .collect();
        let zh = format!(
            "领取人{}（{}）有 {} 笔付款{}应发金额：{}；{} {} {}",
            first.payee_name,
            first.payee_id,
            rows.len(),
            if kind == SKIM { "低于" } else { "高于" },
            list_of_zh(&details_zh, 6, rows.len()),
            if kind == SKIM { "被克扣" } else { "多发" },
            fmt_yuan(total),
            cur.zh()
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Payee,
                first.payee_id.clone(),
                &only,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}

impl Entitlement {
    fn render_ceiling(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.ctx.locale.currency;
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.payee_id) || !all_same(&rows, |r| &r.scheme) {
            return None;
        }
        crate::rules::render::by_pay_date(&mut rows);
        let max = self.ctx.scheme_by_code(&rows[0].scheme)?.max_amount_fen?;
        let total: i64 = rows.iter().map(|r| r.amount_fen).sum();
        if total <= max {
            return None;
        }
        // the excess is put at risk on the last payments, which took the total over the ceiling
        let mut left = total - max;
        let mut risk = vec![0i64; rows.len()];
        for (k, r) in rows.iter().enumerate().rev() {
            let x = left.min(r.amount_fen.max(0));
            risk[k] = x;
            left -= x;
            if left == 0 {
                break;
            }
        }
        let mut periods: Vec<&str> = rows.iter().map(|r| r.period.as_str()).collect();
        periods.dedup();
        let r0 = rows[0];
        let explanation = format!(
            "payee {} ({}) received {} {cur} in {} payment{} of {} for {} where the scheme's ceiling is {}: {} {cur} over it ({})",
            r0.payee_name,
            r0.payee_id,
            fmt_yuan(total),
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            r0.scheme,
            periods.join(", "),
            fmt_yuan(max),
            fmt_yuan(total - max),
            crate::rules::render::briefs(&rows, 6)
        );
        let zh = format!(
            "领取人{}（{}）在 {} {} 期分 {} 笔共领取 {} {}，该项目上限为 {}：超出 {} {}（{}）",
            r0.payee_name,
            r0.payee_id,
            r0.scheme,
            periods.join("、"),
            rows.len(),
            fmt_yuan(total),
            cur.zh(),
            fmt_yuan(max),
            fmt_yuan(total - max),
            cur.zh(),
            crate::rules::render::briefs_zh(&rows, 6)
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Payee,
                r0.payee_id.clone(),
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}
