//! DIG001 first-two-digits-nonconformity: a unit (county, township, officer) whose amounts' first two digits
//! depart from Benford's law beyond Nigrini's nonconformity bound, even after the MAD expected by chance at
//! its size is taken off.

use super::{
    unit_draft, unit_spikes, unit_subject, Level, Units, BY_COUNTY, BY_OFFICER, BY_TOWNSHIP,
};
use crate::finding::{Finding, Severity};
use crate::ledger::batch::{Batch, BatchContext};
use crate::ledger::column::Col;
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::stats::digits::{DigitTest, Gate};

pub static META: RuleMeta = RuleMeta {
    code: "DIG001",
    name: "first-two-digits-nonconformity",
    summary: "A county, township or officer whose amounts' first two digits depart from Benford's law",
    doc: "\
What it flags
  Per unit (county: the first 6 characters of the region code, township: the first 9, officer; each can be
  turned off), Nigrini's first-two-digits test on the PAID amounts of 10.00 yuan or more that the scheme rules
  do not fix. A unit is tested only when it passes the applicability gate: at least `min_amounts` (default 500)
  such amounts, spread over at least `min_orders` (default 2) orders of magnitude between the 5th and the 95th
  percentile, and at most `max_fixed_share` (default 0.5) of its payments fixed by the scheme rules; other
  units are not testable (see `subsidy-audit digits`). A tested unit is flagged when its excess MAD (the MAD
  less the MAD expected of conforming data of its size) is above Nigrini's nonconformity bound of 0.0022 and
  the chi-square p-value is below `max_p` (default 1e-6). Evidence: one sample payment for each of the most
  over-represented digit pairs (largest Z). Nothing is put at risk: this is a lead, not a loss.

Why it matters
  Amounts that arise from real quantities follow Benford's law closely; amounts made up by people do not
  (favourite digits, amounts kept just under a limit).

Example
  Township 520102003 (1,840 amounts): MAD 0.0061, expected 0.0011, chi-square 412.5 (p 3e-42); digit pairs
  in excess: 48 (Z 9.1), 49 (Z 7.7).

False positives
  Units whose amounts come from few rates or quantities (one scheme, one crop), amounts capped by rules.
  Raise `min_orders` or `min_amounts`, turn a level off, or `--ignore DIG001`.",
    severity: Severity::Low,
    columns: &[Col::Amount, Col::Region],
    optional_columns: &[Col::OfficerId, Col::Scheme, Col::Status],
    references: &[],
    params: &[
        BY_COUNTY,
        BY_TOWNSHIP,
        BY_OFFICER,
        ParamSpec {
            name: "min_amounts",
            default: ParamValue::Int(500),
            doc: "applicability: amounts of 10.00 yuan or more not fixed by the rules",
        },
        ParamSpec {
            name: "min_orders",
            default: ParamValue::Float(2.0),
            doc: "applicability: orders of magnitude between the 5th and 95th percentile",
        },
        ParamSpec {
            name: "max_fixed_share",
            default: ParamValue::Float(0.5),
            doc: "applicability: largest share of payments fixed by the scheme rules",
        },
        ParamSpec {
            name: "max_p",
            default: ParamValue::Float(1e-6),
            doc: "chi-square p-value below which a nonconforming unit is flagged",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    let levels = super::levels_of(p, &env.batch.locale.region);
    erase(
        &META,
        FirstTwoDigits {
            ctx: env.batch.clone(),
            curves: super::Curves::default(),
            levels,
            gate: Gate {
                min_amounts: u64::try_from(p.int("min_amounts").max(1)).unwrap_or(1),
                min_orders: p.float("min_orders"),
                max_fixed_share: p.float("max_fixed_share"),
            },
            max_p: p.float("max_p"),
        },
    )
}

pub struct FirstTwoDigits {
    ctx: BatchContext,
    curves: super::Curves,
    levels: Vec<Level>,
    gate: Gate,
    max_p: f64,
}

/// Nigrini's nonconformity bound of the first-two-digits MAD.
const NONCONFORMITY: f64 = 0.0022;
impl FirstTwoDigits {
    /// The draft of a unit whose first-two-digit curve does not conform (the unit's name is not kept in the
    /// draft: it is read back from the evidence rows).
    fn unit_draft(&self, u: &super::Unit) -> Option<Draft> {
        let r = u.counts.test(DigitTest::FirstTwo);
        if let Some(why) = u.counts.not_testable(&self.gate) {
            // an officer too small to test is not drawn (tens of thousands of them in a province's ledger)
            if u.level == Level::Officer {
                return None;
            }
            self.curves.push(super::curve(
                META.code,
                DigitTest::FirstTwo,
                u,
                &r,
                false,
                Some(why),
            ));
            return None;
        }
        let flagged = !(r.excess_mad <= NONCONFORMITY || r.p_value >= self.max_p);
        self.curves.push(super::curve(
            META.code,
            DigitTest::FirstTwo,
            u,
            &r,
            flagged,
            None,
        ));
        if !flagged {
            return None;
        }
        Some(unit_draft(
            u,
            &r,
            |d| u.sample[d as usize - 10],
            &[r.mad, r.expected_mad, r.chi2, r.p_value],
        ))
    }
}

impl Rule for FirstTwoDigits {
    type State = Units;

    fn update(&self, st: &mut Units, b: &Batch) {
        st.update(b, &self.ctx, &self.levels);
    }

    fn merge(&self, into: &mut Units, from: Units) {
        into.merge(from);
    }

    fn exhibits(&self) -> crate::exhibit::Exhibits {
        self.curves.take()
    }

    fn finish(&self, st: Units) -> Vec<Draft> {
        st.into_sorted()
            .iter()
            .filter_map(|u| self.unit_draft(u))
            .collect()
    }

    fn finish_spilled(
        &self,
        rest: Units,
        pull: &(dyn Fn(usize) -> crate::error::Result<Units> + Sync),
    ) -> crate::error::Result<Vec<Draft>> {
        drop(rest);
        super::finish_units_spilled(pull, |u| self.unit_draft(u))
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let f = |x: i64| f64::from_bits(x as u64);
        let [level, n, mad, emad, chi2, p] = d.facts.get(..6)?.try_into().ok()?;
        let mut rows = rows_of(d, ev);
        let (kind, subject, what) = unit_subject(level, rows.first()?, &self.ctx.locale.region)?;
        crate::rules::render::by_pay_date(&mut rows);
        let spikes = unit_spikes(&d.facts[6..], |dg| dg.to_string());
        let explanation = format!(
            "{what} {subject}: first two digits of {n} amounts depart from Benford's law: MAD {:.4} (expected {:.4} at this size, excess {:.4} above the nonconformity bound {NONCONFORMITY}), chi-square {:.1} on 89 df (p {:.1e}); digit pairs in excess: {}",
            f(mad),
            f(emad),
            f(mad) - f(emad),
            f(chi2),
            f(p),
            spikes.join(", ")
        );
        let zh = format!(
            "{} {subject}：{n} 笔金额的前两位数字偏离本福特定律：MAD {:.4}（此样本量下预期 {:.4}，超出不符合界限 {NONCONFORMITY} 以上 {:.4}），卡方 {:.1}，自由度 89（p {:.1e}）；偏多的数字组合：{}",
            super::unit_word_zh(what),
            f(mad),
            f(emad),
            f(mad) - f(emad),
            f(chi2),
            f(p),
            spikes.join("，")
        );
        Some(Finding::new(&META, META.severity, kind, subject, &rows, &[], explanation).with_zh(zh))
    }
}
