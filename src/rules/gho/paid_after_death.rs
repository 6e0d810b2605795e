//! GHO003 paid-after-death: payments made more than a grace period after the payee's registered death.

use super::periods;
use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::batch::{Batch, RowRef};
use crate::ledger::column::Col;
use crate::ledger::decode::fmt_date;
use crate::ledger::payees::Facts;
use crate::reference::Deaths;
use crate::rules::keyed::Flagged;
use crate::rules::render::{all_same, by_pay_date, who};
use crate::rules::render::{payments, payments_zh, who_zh};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Reference, Rule,
    RuleEnv, RuleMeta,
};
use crate::text::{list, list_zh};
use std::sync::Arc;

pub static META: RuleMeta = RuleMeta {
    code: "GHO003",
    name: "paid-after-death",
    summary: "Payments made more than `grace_days` (default 60) after the payee's death in the civil register",
    doc: "\
What it flags
  A payee (id normalised as in GHO002) listed in the civil register of deaths whose PAID payments were made
  more than `grace_days` (default 60) after the death date. The grace covers the payment that was already
  in the pipeline when the person died and a death registered a few weeks late; payments within it are
  not flagged. At risk: every flagged payment. The explanation counts the posthumous periods.

Why it matters
  Keeping the dead on the payment list (冒领死亡人员补贴) is among the most common frauds in elderly
  allowances and minimum-income support: the family or the clerk keeps collecting, and nobody complains.

Example
  52010219350405002X (陈秀英) died on 2024-03-12 (civil register) and was paid for 7 periods after
  2024-05-11 (the death plus 60 days): ELDERLY 2024-06 ... ELDERLY 2024-12, 7 payments (700.00 yuan).

False positives
  Arrears owed to the deceased and paid to the heirs (book them under the heir's id), a wrong death
  record. Raise `grace_days`, or `--ignore GHO003`.",
    severity: Severity::High,
    columns: &[Col::PayeeId, Col::PayDate],
    optional_columns: &[Col::Status, Col::Scheme, Col::Period],
    references: &[Reference::Deaths],
    params: &[ParamSpec {
        name: "grace_days",
        default: ParamValue::Int(60),
        doc: "days after the death date within which a payment is not flagged",
    }],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        PaidAfterDeath {
            cur: env.batch.locale.currency.clone(),
            deaths: env.deaths.clone(),
            grace: p.int("grace_days").clamp(0, 100_000) as i32,
        },
    )
}

pub struct PaidAfterDeath {
    cur: crate::locale::Currency,
    deaths: Option<Arc<Deaths>>,
    grace: i32,
}

impl Rule for PaidAfterDeath {
    /// (payee id key, death date, row); memo: the payee's death date, if any
    type State = Flagged<(u64, i32, RowRef), Facts<Option<i32>>>;
    const PAYEE_NUMBERS: bool = true;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        let Some(deaths) = self.deaths.as_deref() else {
            return;
        };
        let payee = b.hashes(Col::PayeeId);
        st.memo.fit(b.payees_numbered);
        for i in b.rows() {
            if !b.is_paid(i) {
                continue;
            }
            // an undated payment cannot be placed after the death: left out
            let Some(day) = b.pay_date(i) else {
                continue;
            };
            // the batch hashes payee ids by their canonical key, the deaths table's key
            let key = payee[i];
            if let Some(death) = st.memo.get(b.payee_no(i), || deaths.death(key)) {
                if i64::from(day) > i64::from(death) + i64::from(self.grace) {
                    st.found.push((key, death, b.row_ref(i)));
                }
            }
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.append(from);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        st.found
            .finish(|run| Some(super::draft_with_first_fact(run)))
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.payee_id) {
            return None;
        }
        by_pay_date(&mut rows);
        let death = i32::try_from(*d.facts.first()?).ok()?;
        let ps = periods(&rows);
        let explanation = format!(
            "{} died on {} (civil register of deaths) and was paid for {} period{} after {} (the death plus {} days of grace): {}; {}",
            who(rows[0]),
            fmt_date(death),
            ps.len(),
            if ps.len() == 1 { "" } else { "s" },
            fmt_date(death.saturating_add(self.grace)),
            self.grace,
            list(&ps, 6),
            payments(&rows, &self.cur)
        );
        let zh = format!(
            "{}已于 {} 死亡（死亡登记），但在 {}（死亡日期加 {} 天宽限期）之后仍获发 {} 个期次的补贴：{}；{}",
            who_zh(rows[0]),
            fmt_date(death),
            fmt_date(death.saturating_add(self.grace)),
            self.grace,
            ps.len(),
            list_zh(&ps, 6),
            payments_zh(&rows, &self.cur)
        );
        let risk: Vec<i64> = rows.iter().map(|r| r.amount_fen).collect();
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Payee,
                rows[0].payee_id.clone(),
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}
