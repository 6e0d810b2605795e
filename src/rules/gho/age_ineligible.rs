//! GHO004 age-ineligible: payments for a scheme with an age limit to a payee outside it on the payment date.

use crate::finding::{Finding, Severity, SubjectKind};
use crate::ident::{age_on, validate_id};
use crate::ledger::batch::{Batch, RowRef, NO_DATE};
use crate::ledger::column::Col;
use crate::ledger::decode::fmt_date;
use crate::ledger::decode::{date_from_days, days_from_date};
use crate::ledger::payees::Facts;
use crate::rules::keyed::Flagged;
use crate::rules::render::{all_same, by_pay_date, who};
use crate::rules::render::{payments, payments_zh, who_zh};
use crate::rules::{erase, rows_of, Draft, DynRule, Evidence, Params, Rule, RuleEnv, RuleMeta};
use chrono::NaiveDate;

pub static META: RuleMeta = RuleMeta {
    code: "GHO004",
    name: "age-ineligible",
    summary: "Payments for a scheme with min_age/max_age to a payee outside the ages on the payment date",
    doc: "\
What it flags
  PAID payments for a scheme whose config gives `min_age` and/or `max_age`, to a payee whose age in whole
  years on pay_date is below `min_age` or above `max_age`. The birth date comes from the resident id
  (characters 7-14; 15-digit ids converted) or, where the id carries none, from the `birth_date` column.
  Payments whose birth date is unknown are not judged. One finding per payee and scheme; at risk: every
  flagged payment.

Why it matters
  Age-based allowances (高龄补贴 from 80, child or student support up to an age) are paid to people who do
  not qualify when the clerk enrols relatives early, or keeps paying beyond the limit: money diverted from
  the scheme's budget with no complaint from anyone.

Example
  林秀兰 (520102195003110020) was 74 on 2024-06-05 ... 74 on 2024-12-05: paid 7 ELDERLY payments
  (700.00 yuan), where ELDERLY requires an age of 80 or more.

False positives
  An id with a wrong birth date (the household register was corrected later), a scheme rule that changed
  during the year. Fix the scheme's `min_age`/`max_age`, give a `birth_date` column, or `--ignore GHO004`.",
    severity: Severity::High,
    columns: &[Col::PayeeId, Col::Scheme, Col::PayDate],
    optional_columns: &[Col::BirthDate, Col::Status],
    references: &[],
    params: &[],
};

pub fn build(_: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    let mut limits = Vec::new();
    let mut idx = 0u16;
    while let Some(s) = env.batch.scheme(idx) {
        limits.push(
            (s.min_age.is_some() || s.max_age.is_some())
                .then(|| (s.min_age.unwrap_or(0), s.max_age.unwrap_or(u32::MAX))),
        );
        idx += 1;
    }
    erase(
        &META,
        AgeIneligible {
            cur: env.batch.locale.currency.clone(),
            ids: env.batch.locale.id_scheme.reads_birth_dates(),
            limits,
        },
    )
}

pub struct AgeIneligible {
    cur: crate::locale::Currency,
    /// Whether birth dates are read from the ids (`[locale] id_scheme`); else from the `birth_date` column only.
    ids: bool,
    /// (min_age, max_age) by scheme index, for the schemes that have either.
    limits: Vec<Option<(u32, u32)>>,
}

impl Rule for AgeIneligible {
    /// (payee hash, scheme index << 16 | age, row); memo: the birth date the id gives (else the row's `birth_date` is used)
    type State = Flagged<(u64, u32, RowRef), Facts<Option<NaiveDate>>>;
    const PAYEE_NUMBERS: bool = true;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        if self.limits.iter().all(Option::is_none) {
            return;
        }
        let payee = b.hashes(Col::PayeeId);
        st.memo.fit(b.payees_numbered);
        // a batch holds few payment dates: the last one's calendar date is kept
        let mut paid: Option<(i32, Option<NaiveDate>)> = None;
        for i in b.rows() {
            let s = b.scheme[i];
            let Some(Some((min, max))) = self.limits.get(usize::from(s)) else {
                continue;
            };
            if !b.is_paid(i) {
                continue;
            }
            let from_id = st.memo.get(b.payee_no(i), || {
                self.ids
                    .then(|| validate_id(b.text(Col::PayeeId, i).unwrap_or("")).ok())
                    .flatten()
                    .map(|n| n.birth)
            });
            let Some(bd) = from_id.or_else(|| {
                b.birth_date
                    .get(i)
                    .copied()
                    .filter(|d| *d != NO_DATE)
                    .and_then(date_from_days)
            }) else {
                continue;
            };
            // an undated payment has no age on its date: left out
            let Some(day) = b.pay_date(i) else {
                continue;
            };
            let pd = match paid {
                Some((d, on)) if d == day => on,
                _ => {
                    let on = date_from_days(day);
                    paid = Some((day, on));
                    on
                }
            };
            let Some(pd) = pd else { continue };
            let age = age_on(bd, pd);
            if age < *min || age > *max {
                st.found.push((
                    payee[i],
                    (u32::from(s) << 16) | age.min(0xFFFF),
                    b.row_ref(i),
                ));
            }
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.append(from);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        // one draft per payee and scheme, with the scheme's age limits
        st.found.finish(|run| {
            crate::rules::group::drafts_by(
                run,
                |a, b| a.1 >> 16 == b.1 >> 16,
                |g| {
                    let (min, max) = self
                        .limits
                        .get((g[0].1 >> 16) as usize)
                        .copied()
                        .flatten()
                        .unwrap_or((0, u32::MAX));
                    vec![i64::from(min), i64::from(max)]
                },
            )
        })
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.payee_id) || !all_same(&rows, |r| &r.scheme) {
            return None;
        }
        by_pay_date(&mut rows);
        let (min, max) = (*d.facts.first()?, *d.facts.get(1)?);
        let first = rows[0];
        let last = rows[rows.len() - 1];
        let id = self
            .ids
            .then(|| validate_id(&first.payee_id).ok())
            .flatten();
        let age = |r: &crate::finding::EvidenceRow| {
            let paid = r.pay_date.and_then(date_from_days)?;
            id.map(|n| age_on(n.birth, paid))
        };
        let ages = match (age(first), age(last)) {
            (Some(a), Some(b)) if rows.len() > 1 => {
                format!("was {a} on {} ... {b} on {}", first.date(), last.date())
            }
            (Some(a), _) => format!("was {a} on {}", first.date()),
            _ => "was outside the ages (by the birth_date column)".to_string(),
        };
        let born = id.map_or(String::new(), |n| {
            format!(" (born {})", fmt_date(days_from_date(n.birth)))
        });
        let rule = match (min, max) {
            (m, x) if m > 0 && x < i64::from(u32::MAX) => format!("an age from {m} to {x}"),
            (m, _) if m > 0 => format!("an age of {m} or more"),
            (_, x) => format!("an age of {x} or less"),
        };
        let explanation = format!(
            "{}{born} {ages}: paid {} for {}, which requires {rule}",
            who(first),
            payments(&rows, &self.cur),
            first.scheme
        );
        let ages_zh = match (age(first), age(last)) {
            (Some(a), Some(b)) if rows.len() > 1 => {
                format!("{} 时 {a} 岁……{} 时 {b} 岁", first.date(), last.date())
            }
            (Some(a), _) => format!("{} 时 {a} 岁", first.date()),
            _ => "年龄不在规定范围内（依 birth_date 列）".to_string(),
        };
        let born_zh = id.map_or(String::new(), |n| {
            format!("（出生于 {}）", fmt_date(days_from_date(n.birth)))
        });
        let rule_zh = match (min, max) {
            (m, x) if m > 0 && x < i64::from(u32::MAX) => format!("年龄在 {m} 至 {x} 岁之间"),
            (m, _) if m > 0 => format!("年满 {m} 岁"),
            (_, x) => format!("年龄不超过 {x} 岁"),
        };
        let zh = format!(
            "{}{born_zh}{ages_zh}：获发 {} {}，该项目要求{rule_zh}",
            who_zh(first),
            first.scheme,
            payments_zh(&rows, &self.cur)
        );
        let risk: Vec<i64> = rows.iter().map(|r| r.amount_fen).collect();
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
