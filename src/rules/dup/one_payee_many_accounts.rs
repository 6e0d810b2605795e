//! DUP002 one-payee-many-accounts (一人多卡): one payee paid into several accounts for one scheme and period.

use super::{at_risk_unless_like_first, groups_in_order, LISTED};
use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::render::{all_same, by_pay_date, who, who_zh};
use crate::rules::shared::{draft_if_distinct_by, finishes_from_payee_periods, PeriodEntry};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::text::{list_of, list_of_zh};

pub static META: RuleMeta = RuleMeta {
    code: "DUP002",
    name: "one-payee-many-accounts",
    summary: "One payee paid into two or more accounts for one scheme and period (一人多卡)",
    doc: "\
What it flags
  A payee_id whose PAID payments for one scheme and one period (bucketed by the scheme's frequency, as in
  DUP001) went to at least `min_accounts` (default 2) distinct accounts.
  At risk: the payments into accounts other than the one the period's first payment went to.

Why it matters
  A second card opened in a beneficiary's name (一人多卡) is how a clerk diverts part of the money while the
  beneficiary still receives something on the card they know about.

Example
  110105194912310021 paid for ELDERLY 2024-03 into 6228480012345678 (100.00) and 6217000098765432
  (100.00): 100.00 yuan at risk.

False positives
  A card replaced within the period (lost card, bank merger) where the old payment was not reversed.
  Book such changes as REVERSED + re-issue, raise `min_accounts`, or `--ignore DUP002`.",
    severity: Severity::Medium,
    columns: &[Col::PayeeId, Col::Scheme, Col::Period, Col::Account],
    optional_columns: &[Col::Status],
    references: &[],
    params: &[ParamSpec { name: "min_accounts", default: ParamValue::Int(2), doc: "distinct accounts that fire the rule" }],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        OnePayeeManyAccounts {
            cur: env.batch.locale.currency.clone(),
            min_accounts: p.int("min_accounts").max(2) as usize,
        },
    )
}

pub struct OnePayeeManyAccounts {
    cur: crate::locale::Currency,
    min_accounts: usize,
}

impl Rule for OnePayeeManyAccounts {
    finishes_from_payee_periods!();

    fn period_run(&self, run: &[PeriodEntry]) -> Option<Draft> {
        // a payment into no known account is no second account (draft_if_distinct_by skips it)
        draft_if_distinct_by(run, self.min_accounts, |e| e.1)
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.cur;
        let mut rows = rows_of(d, ev);
        if !all_same(&rows, |r| &r.payee_id) || !all_same(&rows, |r| &r.scheme) {
            return None;
        }
        by_pay_date(&mut rows);
        let accounts = groups_in_order(&rows, |r| &r.account);
        if accounts.len() < self.min_accounts {
            return None;
        }
        let first = rows[0];
        let risk = at_risk_unless_like_first(&rows, |r| &r.account);
        let per_account: Vec<String> = accounts
            .iter()
            .take(LISTED)
            .map(|(a, g)| {
                let (n, sum) = g.iter().fold((0, 0), |(n, s), r| (n + 1, s + r.amount_fen));
                format!(
                    "{a} ({n} payment{}, {})",
                    if n == 1 { "" } else { "s" },
                    fmt_yuan(sum)
                )
            })
            .collect();
        let explanation = format!(
            "{} was paid for {} period {} into {} accounts: {}; {} {cur} went to accounts other than the first",
            who(first),
            first.scheme,
            first.period,
            accounts.len(),
            list_of(&per_account, 5, accounts.len()),
            fmt_yuan(risk.iter().sum())
        );
        let per_account_zh: Vec<String> = accounts
            .iter()
            .take(LISTED)
            .map(|(a, g)| {
                let sum: i64 = g.iter().map(|r| r.amount_fen).sum();
                format!("{a}（{} 笔，{}）", g.len(), fmt_yuan(sum))
            })
            .collect();
        let zh = format!(
            "{}的 {} {} 期补贴打入 {} 个账户：{}；打入首个账户以外账户的共 {} {}",
            who_zh(first),
            first.scheme,
            first.period,
            accounts.len(),
            list_of_zh(&per_account_zh, 5, accounts.len()),
            fmt_yuan(risk.iter().sum()),
            cur.zh()
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Payee,
                first.payee_id.clone(),
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}
