//! AMT002 split-payment: payments to one account, each just under the scheme's approval threshold, that
//! together reach it.
//!
//! During the scan only payments inside the band under the threshold are kept (a few rows); grouping by
//! account, scheme and window happens at the end.

use super::DueCalc;
use crate::finding::{EvidenceRow, Finding, Severity, SubjectKind};
use crate::ledger::batch::{Batch, BatchContext, RowRef};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::keyed::Keyed;
use crate::rules::render::{all_same, total};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::text::{list, list_zh};
use std::collections::BTreeMap;

pub static META: RuleMeta = RuleMeta {
    code: "AMT002",
    name: "split-payment",
    summary: "Two or more payments into one account within days, each just under the approval threshold, together reaching it",
    doc: "\
What it flags
  Two or more PAID payments of one scheme into one account within `window_days` of each other (default 0: the
  same day), each below the scheme's `approval_threshold` and at least `band` (default 0.8) of it, that
  together reach the threshold. Household members sharing a card who are each paid their own due amount once
  (spouses, for instance) are not a split: the group must hold a payee paid more than once, or a payment that
  is not the payee's due amount. At risk: every payment of the group but the largest.

Why it matters
  Payments at or above the threshold need a second approval. Cutting one payment into parts just under it
  avoids that check; the parts usually go to the clerk's or an accomplice's card.

Example
  Account 6228480012345678 received 4,602.00 and 4,485.40 yuan of FARMLAND on 2024-04-12, each under the
  5,000.00 threshold and together 9,087.40: 4,485.40 yuan at risk.

False positives
  A correction paid on the day of the payment, two entitlements legitimately paid together. Lower `band`,
  set `window_days`, or `--ignore AMT002`.",
    severity: Severity::High,
    columns: &[Col::Amount, Col::Scheme, Col::Account, Col::PayDate, Col::PayeeId],
    optional_columns: &[Col::Quantity, Col::Status],
    references: &[],
    params: &[
        ParamSpec {
            name: "band",
            default: ParamValue::Float(0.8),
            doc: "each payment is at least this share of the approval threshold",
        },
        ParamSpec {
            name: "window_days",
            default: ParamValue::Int(0),
            doc: "payments at most this many days apart form one group (0: the same day)",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        SplitPayment {
            ctx: env.batch.clone(),
            band: p.float("band").clamp(0.0, 1.0),
            window: i32::try_from(p.int("window_days").clamp(0, 3650)).unwrap_or(0),
        },
    )
}

pub struct SplitPayment {
    ctx: BatchContext,
    band: f64,
    window: i32,
}

/// (account hash, scheme index, pay date, row, payee hash, whether the amount is the payee's due, amount)
type Entry = (u64, u16, i32, RowRef, u64, bool, i64);

impl SplitPayment {
    /// The drafts of one account's entries (sorted): per scheme, the clusters of payments within the window.
    fn drafts_of_account(&self, run: &[Entry]) -> Vec<Draft> {
        let mut drafts = Vec::new();
        for g in run.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let Some(th) = self
                .ctx
                .scheme(g[0].1)
                .and_then(|s| s.approval_threshold_fen)
            else {
                continue;
            };
            for cluster in g.chunk_by(|a, b| b.2 - a.2 <= self.window) {
                if cluster.len() < 2 || cluster.iter().map(|e| e.6).sum::<i64>() < th {
                    continue;
                }
                // household members each paid their own due once are not a split
                let mut per_payee: BTreeMap<u64, usize> = BTreeMap::new();
                for e in cluster {
                    *per_payee.entry(e.4).or_default() += 1;
                }
                let repeated = per_payee.values().any(|n| *n > 1);
                if !repeated && cluster.iter().all(|e| e.5) {
                    continue;
                }
                let mut rows: Vec<RowRef> = cluster.iter().map(|e| e.3).collect();
                rows.sort_unstable();
                drafts.push(Draft {
                    evidence: rows,
                    facts: vec![th],
                });
            }
        }
        drafts
    }
}

impl Rule for SplitPayment {
    /// Grouped by account (split by its partition when spilled).
    type State = Keyed<Entry>;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        let acct = b.hashes(Col::Account);
        let payee = b.hashes(Col::PayeeId);
        let mut calc = DueCalc::new(&self.ctx);
        for i in b.rows() {
            let Some(s) = calc.scheme(b, i) else {
                continue;
            };
            let Some(th) = s.approval_threshold_fen else {
                continue;
            };
            let a = b.amount_fen[i];
            // a payment into no known account splits nothing
            if a >= th
                || (a as f64) < th as f64 * self.band
                || !b.is_paid(i)
                || acct[i] == crate::ledger::batch::NO_HASH
            {
                continue;
            }
            // an undated payment cannot be placed in a window
            let Some(day) = b.pay_date(i) else {
                continue;
            };
            let is_due = calc.due(b, i, s) == Some(a);
            st.push((acct[i], b.scheme[i], day, b.row_ref(i), payee[i], is_due, a));
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.append(from);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        // one account's entries in their total order: by scheme, then pay date
        st.finish(|run| self.drafts_of_account(run))
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.ctx.locale.currency;
        let th = *d.facts.first()?;
        let mut rows = rows_of(d, ev);
        if rows.len() < 2 || !all_same(&rows, |r| &r.account) || !all_same(&rows, |r| &r.scheme) {
            return None;
        }
        let sum: i64 = rows.iter().map(|r| r.amount_fen).sum();
        if sum < th {
            return None;
        }
        crate::rules::render::by_pay_date(&mut rows);
        let largest = rows
            .iter()
            .enumerate()
            .max_by_key(|(k, r)| (r.amount_fen, std::cmp::Reverse(*k)))
            .map(|(k, _)| k)?;
        let risk: Vec<i64> = rows
            .iter()
            .enumerate()
            .map(|(k, r)| if k == largest { 0 } else { r.amount_fen })
            .collect();
        let mut payees: Vec<String> = rows
            .iter()
            .map(|r: &&EvidenceRow| format!("{} ({})", r.payee_name, r.payee_id))
            .collect();
        payees.dedup();
        let account = rows[0].account.clone();
        let explanation = format!(
            "account {account} received {} {} payments within {} day{} ({}), each under the approval threshold of {} and together {} {cur}, for {}; {} {cur} at risk",
            rows.len(),
            rows[0].scheme,
            self.window,
            if self.window == 1 { "" } else { "s" },
            crate::rules::render::briefs(&rows, 6),
            fmt_yuan(th),
            total(&rows),
            list(&payees, 4),
            fmt_yuan(risk.iter().sum())
        );
        let mut payees_zh: Vec<String> = rows
            .iter()
            .map(|r: &&EvidenceRow| format!("{}（{}）", r.payee_name, r.payee_id))
            .collect();
        payees_zh.dedup();
        let zh = format!(
            "账户 {account} 在 {} 天内收到 {} 笔 {} 付款（{}），每笔均低于审批限额 {}，合计 {} {}，领取人：{}；涉及风险金额 {} {}",
            self.window,
            rows.len(),
            rows[0].scheme,
            crate::rules::render::briefs_zh(&rows, 6),
            fmt_yuan(th),
            total(&rows),
            cur.zh(),
            list_zh(&payees_zh, 4),
            fmt_yuan(risk.iter().sum()),
            cur.zh()
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Account,
                account,
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}
