//! GHO002 not-enrolled: payees absent from the registry, paid by a region that does not enrol them, or
//! under another name than the registry's.

use super::drafts_by_sub;
use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::batch::{Batch, RowRef};
use crate::ledger::column::Col;
use crate::ledger::payees::PerPayee;
use crate::reference::registry::{OTHER_NAME, OTHER_REGION};
use crate::reference::{name_key, Registry};
use crate::rules::keyed::Keyed;
use crate::rules::render::{all_same, by_pay_date};
use crate::rules::render::{payments, payments_zh};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, Params, Reference, Rule, RuleEnv, RuleMeta,
};
use crate::text::{list, list_zh};
use std::sync::Arc;

pub static META: RuleMeta = RuleMeta {
    code: "GHO002",
    name: "not-enrolled",
    summary: "Payees absent from the registry, paid by a region that does not enrol them, or under another name",
    doc: "\
What it flags
  PAID payments whose payee_id (normalised: x/X, full-width digits and 15-digit ids meet their 18-character
  form) is
    - absent from the registry of enrolled beneficiaries (high severity), or
    - enrolled, but only in other regions than the paying one (medium), or
    - enrolled under another name than the ledger's, after width and spaces are normalised (全角/半角,
      ideographic spaces, the middle dot of transcribed names; medium).
  One finding per payee and kind; at risk: every flagged payment.

Why it matters
  A payment to someone nobody enrolled is the plainest ghost: the clerk adds a line to the payment list
  that never went through enrolment. A payment made by another village than the one that enrolled the
  person, or to a name that differs from the enrolled one, is how a real identity is borrowed to pay
  someone else.

Example
  52010219350405002X (陈秀英) is not in the registry: paid 9 payments (900.00 yuan) from 2024-04-05 to
  2024-12-05 by region 520102001003.

False positives
  A registry older than the ledger (people enrolled after its extract), moves between villages, married
  names. Refresh the registry, or `--ignore GHO002`.",
    severity: Severity::High,
    columns: &[Col::PayeeId, Col::Region],
    optional_columns: &[Col::PayeeName, Col::Status],
    references: &[Reference::Registry],
    params: &[],
};

const ABSENT: u8 = 0;
const REGION: u8 = 1;
const NAME: u8 = 2;

pub fn build(_: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        NotEnrolled {
            cur: env.batch.locale.currency.clone(),
            registry: env.registry.clone(),
        },
    )
}

pub struct NotEnrolled {
    cur: crate::locale::Currency,
    registry: Option<Arc<Registry>>,
}

/// A payee's entry not looked up yet (no real entry has the low bit set but `u64::MAX`).
const UNKNOWN_ENTRY: u64 = 1;
/// A cached "not in the registry".
const ABSENT_ENTRY: u64 = u64::MAX - 1;

/// The flagged rows, and the registry entry of each payee the worker met, by payee number (a payee is paid
/// about once a period: one registry lookup per payee instead of one per row).
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    found: Keyed<(u64, u8, RowRef)>,
    /// A cache of the worker (by its payee numbers): never merged, never serialized.
    #[serde(skip)]
    entries: PerPayee<u64>,
}

impl crate::engine::spill::Parts for State {
    const SPLITS: bool = true;
    fn part_bytes(&self) -> usize {
        self.found.part_bytes()
    }
    fn take_part(&mut self, p: usize) -> Self {
        Self {
            found: self.found.take_part(p),
            entries: PerPayee::default(),
        }
    }
}

impl Rule for NotEnrolled {
    type State = State;
    const PAYEE_NUMBERS: bool = true;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        let Some(reg) = self.registry.as_deref() else {
            return;
        };
        st.entries.fit(b.payees_numbered, UNKNOWN_ENTRY);
        let payee = b.hashes(Col::PayeeId);
        let region = b.hashes(Col::Region);
        let has_name = b.has(Col::PayeeName);
        for i in b.rows() {
            if !b.is_paid(i) {
                continue;
            }
            // the batch hashes payee ids by their canonical key, the registry's key
            let key = payee[i];
            let lookup = || reg.entry(key).unwrap_or(ABSENT_ENTRY);
            let entry = match st.entries.get_mut(b.payee_no(i)) {
                Some(e) if *e != UNKNOWN_ENTRY => *e,
                Some(e) => {
                    *e = lookup();
                    *e
                }
                None => lookup(),
            };
            let name = || b.text(Col::PayeeName, i).map_or(0, name_key);
            let bits = match entry {
                ABSENT_ENTRY => None,
                u64::MAX => reg.check(key, region[i], name),
                e => Some(Registry::judge(e, region[i], name)),
            };
            match bits {
                None => st.found.push((key, ABSENT, b.row_ref(i))),
                Some(bits) => {
                    if bits & OTHER_REGION != 0 {
                        st.found.push((key, REGION, b.row_ref(i)));
                    }
                    if has_name && bits & OTHER_NAME != 0 {
                        st.found.push((key, NAME, b.row_ref(i)));
                    }
                }
            }
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.found.append(from.found);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        st.found.finish(drafts_by_sub)
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.payee_id) {
            return None;
        }
        by_pay_date(&mut rows);
        let first = rows[0];
        let regions = crate::text::distinct_sorted(rows.iter().map(|r| r.region.as_str()));
        let names = crate::text::distinct_sorted(rows.iter().map(|r| r.payee_name.as_str()));
        let by = format!(
            "region{} {}",
            if regions.len() == 1 { "" } else { "s" },
            list(&regions, 4)
        );
        let kind = d.facts.first().copied().unwrap_or(0);
        let (severity, explanation) = match u8::try_from(kind).unwrap_or(ABSENT) {
            REGION => (
                Severity::Medium,
                format!(
                    "{} ({}) is enrolled in the registry, but not by {by}, which paid {}",
                    first.payee_id,
                    list(&names, 3),
                    payments(&rows, &self.cur)
                ),
            ),
            NAME => (
                Severity::Medium,
                format!(
                    "{} is enrolled under another name than the ledger's {} (after width and spaces are normalised): {} by {by}",
                    first.payee_id,
                    list(&names, 3),
                    payments(&rows, &self.cur)
                ),
            ),
            _ => (
                Severity::High,
                format!(
                    "{} ({}) is not in the registry: paid {} by {by}",
                    first.payee_id,
                    list(&names, 3),
                    payments(&rows, &self.cur)
                ),
            ),
        };
        let by_zh = format!("地区 {}", list_zh(&regions, 4));
        let zh = match u8::try_from(kind).unwrap_or(ABSENT) {
            REGION => format!(
                "{}（{}）已登记在册，但登记地区并非发放的{by_zh}，{by_zh}发放 {}",
                first.payee_id,
                list_zh(&names, 3),
                payments_zh(&rows, &self.cur)
            ),
            NAME => format!(
                "{} 登记的姓名与台账上的 {} 不同（已统一全半角和空格）：由{by_zh}发放 {}",
                first.payee_id,
                list_zh(&names, 3),
                payments_zh(&rows, &self.cur)
            ),
            _ => format!(
                "{}（{}）不在登记名册中：由{by_zh}发放 {}",
                first.payee_id,
                list_zh(&names, 3),
                payments_zh(&rows, &self.cur)
            ),
        };
        let risk: Vec<i64> = rows.iter().map(|r| r.amount_fen).collect();
        Some(
            Finding::new(
                &META,
                severity,
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
