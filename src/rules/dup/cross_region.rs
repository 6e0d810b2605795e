//! DUP004 cross-region-payment: one payee paid by two or more regions for one scheme and period.

use super::{at_risk_unless_like_first, groups_in_order, LISTED};
use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::render::{all_same, briefs, briefs_zh, by_pay_date, who, who_zh};
use crate::rules::shared::{
    draft_if_distinct_by, finishes_from_payee_periods, region_of, PeriodEntry,
};
use crate::rules::{erase, rows_of, Draft, DynRule, Evidence, Params, Rule, RuleEnv, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    code: "DUP004",
    name: "cross-region-payment",
    summary: "One payee paid by two or more regions for one scheme and period",
    doc: "\
What it flags
  A payee_id whose PAID payments for one scheme and one period (bucketed by the scheme's frequency, as in
  DUP001) were made by two or more distinct paying regions (region codes).
  At risk: the payments made by regions other than the one that paid first.

Why it matters
  A person can be entitled in one place only. Enrolment in a second village (often by a relative working
  there, or with a ghost record kept after a move) doubles the money, and neither village sees the other's
  books. Only a scan across regions finds it.

Example
  110105194912310021 paid for DIBAO 2024-05 by village 520102003004 (840.00) and by village 520102007001
  (840.00): 840.00 yuan at risk.

False positives
  A move between villages in the middle of a period, when the old village's payment was not reversed. Book
  it as REVERSED, or `--ignore DUP004`.",
    severity: Severity::High,
    columns: &[Col::PayeeId, Col::Scheme, Col::Period, Col::Region],
    optional_columns: &[Col::Status],
    references: &[],
    params: &[],
};

pub fn build(_: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        CrossRegion {
            cur: env.batch.locale.currency.clone(),
        },
    )
}

pub struct CrossRegion {
    cur: crate::locale::Currency,
}

impl Rule for CrossRegion {
    finishes_from_payee_periods!();

    fn period_run(&self, run: &[PeriodEntry]) -> Option<Draft> {
        draft_if_distinct_by(run, 2, region_of)
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.cur;
        let mut rows = rows_of(d, ev);
        if !all_same(&rows, |r| &r.payee_id) || !all_same(&rows, |r| &r.scheme) {
            return None;
        }
        by_pay_date(&mut rows);
        let regions = groups_in_order(&rows, |r| &r.region);
        if regions.len() < 2 {
            return None;
        }
        let first = rows[0];
        let risk = at_risk_unless_like_first(&rows, |r| &r.region);
        let mut per_region: Vec<String> = regions
            .iter()
            .take(LISTED)
            .map(|(g, in_g)| format!("region {g}: {}", briefs(in_g, 3)))
            .collect();
        if regions.len() > LISTED {
            per_region.push(format!("and {} more regions", regions.len() - LISTED));
        }
        let explanation = format!(
            "{} was paid for {} period {} by {} regions: {}; {} {cur} paid by regions other than the first",
            who(first),
            first.scheme,
            first.period,
            regions.len(),
            per_region.join("; "),
            fmt_yuan(risk.iter().sum())
        );
        let mut per_region_zh: Vec<String> = regions
            .iter()
            .take(LISTED)
            .map(|(g, in_g)| format!("地区 {g}：{}", briefs_zh(in_g, 3)))
            .collect();
        if regions.len() > LISTED {
            per_region_zh.push(format!("另有 {} 个地区", regions.len() - LISTED));
        }
        let zh = format!(
            "{}的 {} {} 期补贴由 {} 个地区发放：{}；首个地区以外的地区发放 {} {}",
            who_zh(first),
            first.scheme,
            first.period,
            regions.len(),
            per_region_zh.join("；"),
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
