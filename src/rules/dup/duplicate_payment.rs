//! DUP001 duplicate-payment: one payee paid more often for one scheme and period than the scheme allows.

use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::batch::BatchContext;
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::period::{Frequency, Period};
use crate::rules::render::{all_same, by_pay_date, total, who, who_zh};
use crate::rules::shared::{allowed_of, finishes_from_payee_periods, rows_in_order, PeriodEntry};
use crate::rules::{erase, rows_of, Draft, DynRule, Evidence, Params, Rule, RuleEnv, RuleMeta};
use crate::text::{list_of, list_of_zh};

pub static META: RuleMeta = RuleMeta {
    code: "DUP001",
    name: "duplicate-payment",
    summary: "One payee paid more often for one scheme and period than the scheme's frequency allows",
    doc: "\
What it flags
  A payee_id paid (status PAID) more times for one scheme and one period than the scheme's `frequency`
  allows. The ledger's period is first put in the scheme's bucket: a monthly period of a quarterly scheme
  counts toward its quarter; a yearly period of a monthly scheme allows 12 payments. A scheme without a
  frequency (or not in the config) allows one payment per period as written.
  REVERSED and RETURNED rows never count, so a reversed payment and its re-issue are not a duplicate.
  At risk: every payment beyond the allowance, the earliest payments (by pay_date) being the legitimate ones.

Why it matters
  Paying one beneficiary twice is the simplest interception: the second payment goes to the same card that
  the clerk controls, or is collected in cash, and nobody complains because nobody was short-changed.

Example
  110105194912310021 paid for FARMLAND 2024 on 2024-04-12 (1457.30) and again on 2024-06-03 (1457.30),
  where FARMLAND is yearly: 1457.30 yuan at risk.

False positives
  Arrears paid late for an earlier period but labelled with the current period; a correction booked as a
  new PAID row instead of reversing the old one. Fix the period label, or book corrections as REVERSED, or
  silence the rule with `--ignore DUP001`.",
    severity: Severity::High,
    columns: &[Col::PayeeId, Col::Scheme, Col::Period],
    optional_columns: &[Col::Status],
    references: &[],
    params: &[],
};

pub fn build(_: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        DuplicatePayment {
            ctx: env.batch.clone(),
        },
    )
}

pub struct DuplicatePayment {
    ctx: BatchContext,
}

impl Rule for DuplicatePayment {
    finishes_from_payee_periods!();

    fn period_run(&self, run: &[PeriodEntry]) -> Option<Draft> {
        let allowed = allowed_of(&run[0]);
        (run.len() > allowed).then(|| Draft {
            evidence: rows_in_order(run),
            facts: vec![allowed as i64],
        })
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.ctx.locale.currency;
        let mut rows = rows_of(d, ev);
        if rows.len() < 2 || !all_same(&rows, |r| &r.payee_id) || !all_same(&rows, |r| &r.scheme) {
            return None;
        }
        by_pay_date(&mut rows);
        let allowed = usize::try_from(d.facts[0]).unwrap_or(1);
        let risk: Vec<i64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| if i < allowed { 0 } else { r.amount_fen })
            .collect();
        let at_risk: i64 = risk.iter().sum();
        let first = rows[0];
        let items: Vec<String> = rows
            .iter()
            .take(6)
            .map(|r| format!("{} for {}", r.brief(), r.period))
            .collect();
        let frequency = self
            .ctx
            .scheme_by_code(&first.scheme)
            .and_then(|s| s.frequency);
        let bucket = Period::parse(&first.period).map_or_else(
            || first.period.to_string(),
            |p| p.bucket(frequency).0.to_string(),
        );
        let explanation = format!(
            "{} was paid {} times ({} {cur}) for {} {} where {} {} allowed: {}; {} {cur} paid beyond the allowance",
            who(first),
            rows.len(),
            total(&rows),
            first.scheme,
            bucket,
            frequency.map_or("the scheme".into(), |f| format!("a {} scheme", f.as_str())),
            if allowed == 1 { "has 1 payment".to_string() } else { format!("has {allowed} payments") },
            list_of(&items, 6, rows.len()),
            fmt_yuan(at_risk)
        );
        let items_zh: Vec<String> = rows
            .iter()
            .take(6)
            .map(|r| format!("{}（{}）", r.brief(), r.period))
            .collect();
        let zh = format!(
            "{}在 {} {} 获发 {} 次（共 {} {}），{}：{}；超发 {} {}",
            who_zh(first),
            first.scheme,
            bucket,
            rows.len(),
            total(&rows),
            cur.zh(),
            match frequency {
                Some(Frequency::Monthly) => format!("该项目每月只应发 {allowed} 次"),
                Some(Frequency::Quarterly) => format!("该项目每季度只应发 {allowed} 次"),
                Some(Frequency::Yearly) => format!("该项目每年只应发 {allowed} 次"),
                None => format!("该项目每期只应发 {allowed} 次"),
            },
            list_of_zh(&items_zh, 6, rows.len()),
            fmt_yuan(at_risk),
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
