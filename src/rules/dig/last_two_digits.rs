//! DIG004 last-two-digits-nonconformity: a unit (county, township, officer) whose amounts' last two whole-yuan
//! digits are far from uniform, among the amounts the scheme rules do not explain.

use super::{
    levels_of, unit_draft, unit_spikes, unit_subject, Level, Units, BY_COUNTY, BY_OFFICER,
    BY_TOWNSHIP,
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
    code: "DIG004",
    name: "last-two-digits-nonconformity",
    summary: "A county, township or officer whose amounts' last two yuan digits are far from uniform",
    doc: "\
What it flags
  Per unit (county: the first 6 characters of the region code, township: the first 9, officer; each can be
  turned off), Nigrini's last-two-digits test: the last two digits (00-99) of the whole-yuan part of the PAID
  amounts of 10.00 yuan or more, against the uniform expectation (1% each), by chi-square on 99 degrees of
  freedom. Only amounts the scheme rules do not explain are tested: fixed amounts and age bands are left out,
  and so is a rate x quantity equal to the amount paid (its last digits are the rate's). The unit must pass
  the applicability gate of DIG001 (`min_amounts`, default 500 such amounts; `min_orders`, default 2 orders
  of magnitude; at most `max_fixed_share`, default 0.5, of its payments explained by the rules). A tested
  unit is flagged when the p-value is below `max_p` (default 1e-6) and its excess MAD (the mean absolute
  deviation of the 100 proportions from 0.01, less the MAD expected of uniform data of its size) is above
  `min_excess_mad` (default 0.002). Evidence: one sample payment for each of
  the most over-represented endings (largest Z). Nothing is put at risk: this is a lead.

Why it matters
  The last two digits of amounts computed from real quantities are close to uniform; invented amounts end in
  favourite digits (00, 50, 88) and amounts adjusted by hand keep their endings.

Example
  Officer OB2 (1,000 amounts): last two digits far from uniform: excess MAD 0.0145, chi-square 2450.3 on 99 df
  (p 0.0e0); endings in excess: 00 (Z 48.2).

False positives
  Schemes paid in whole tens or hundreds whose rules the config does not describe, amounts rounded by a bank.
  Describe the scheme rules in the config, lower `max_p`, raise `min_excess_mad`, turn a level off, or `--ignore DIG004`.",
    severity: Severity::Low,
    columns: &[Col::Amount, Col::Region],
    optional_columns: &[Col::OfficerId, Col::Scheme, Col::Status, Col::Quantity],
    references: &[],
    params: &[
        BY_COUNTY,
        BY_TOWNSHIP,
        BY_OFFICER,
        ParamSpec {
            name: "min_amounts",
            default: ParamValue::Int(500),
            doc: "applicability: amounts of 10.00 yuan or more not explained by the rules",
        },
        ParamSpec {
            name: "min_orders",
            default: ParamValue::Float(2.0),
            doc: "applicability: orders of magnitude between the 5th and 95th percentile",
        },
        ParamSpec {
            name: "max_fixed_share",
            default: ParamValue::Float(0.5),
            doc: "applicability: largest share of payments explained by the scheme rules",
        },
        ParamSpec {
            name: "max_p",
            default: ParamValue::Float(1e-6),
            doc: "chi-square p-value below which a unit is flagged",
        },
        ParamSpec {
            name: "min_excess_mad",
            default: ParamValue::Float(0.002),
            doc: "excess MAD (MAD less the MAD expected at the unit's size) above which a unit is flagged",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        LastTwoDigits {
            ctx: env.batch.clone(),
            curves: super::Curves::default(),
            levels: levels_of(p, &env.batch.locale.region),
            gate: Gate {
                min_amounts: u64::try_from(p.int("min_amounts").max(1)).unwrap_or(1),
                min_orders: p.float("min_orders"),
                max_fixed_share: p.float("max_fixed_share"),
            },
            max_p: p.float("max_p"),
            min_mad: p.float("min_excess_mad"),
        },
    )
}

pub struct LastTwoDigits {
    ctx: BatchContext,
    curves: super::Curves,
    levels: Vec<Level>,
    gate: Gate,
    max_p: f64,
    min_mad: f64,
}

impl LastTwoDigits {
    /// The draft of a unit whose last two digits pile up on some values.
    fn unit_draft(&self, u: &super::Unit) -> Option<Draft> {
        let r = u.counts.test(DigitTest::LastTwo);
        if let Some(why) = u.counts.not_testable(&self.gate) {
            // an officer too small to test is not drawn (tens of thousands of them in a province's ledger)
            if u.level == Level::Officer {
                return None;
            }
            self.curves.push(super::curve(
                META.code,
                DigitTest::LastTwo,
                u,
                &r,
                false,
                Some(why),
            ));
            return None;
        }
        let flagged = !(r.p_value >= self.max_p || r.excess_mad <= self.min_mad);
        self.curves.push(super::curve(
            META.code,
            DigitTest::LastTwo,
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
            |d| u.sample_last[d as usize],
            &[r.excess_mad, r.chi2, r.p_value],
        ))
    }
}

impl Rule for LastTwoDigits {
    type State = Units;

    fn update(&self, st: &mut Units, b: &Batch) {
        st.update_with(b, &self.ctx, &self.levels, true);
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
        let cur = &self.ctx.locale.currency;
        let f = |x: i64| f64::from_bits(x as u64);
        let [level, n, mad, chi2, p] = d.facts.get(..5)?.try_into().ok()?;
        let mut rows = rows_of(d, ev);
        let (kind, subject, what) = unit_subject(level, rows.first()?, &self.ctx.locale.region)?;
        crate::rules::render::by_pay_date(&mut rows);
        let spikes = unit_spikes(&d.facts[5..], |dg| format!("{dg:02}"));
        let explanation = format!(
            "{what} {subject}: last two {cur} digits of {n} amounts not explained by the scheme rules are far from uniform: excess MAD {:.4} (threshold {}), chi-square {:.1} on 99 df (p {:.1e}, threshold {:.0e}); endings in excess: {}",
            f(mad),
            self.min_mad,
            f(chi2),
            f(p),
            self.max_p,
            spikes.join(", ")
        );
        let zh = format!(
            "{} {subject}：{n} 笔非项目规则所致金额的末两位（{}）远非均匀分布：超额 MAD {:.4}（阈值 {}），卡方 {:.1}，自由度 99（p {:.1e}，阈值 {:.0e}）；偏多的尾数：{}",
            super::unit_word_zh(what),
            cur.zh(),
            f(mad),
            self.min_mad,
            f(chi2),
            f(p),
            self.max_p,
            spikes.join("，")
        );
        Some(Finding::new(&META, META.severity, kind, subject, &rows, &[], explanation).with_zh(zh))
    }
}
