//! INS002 relative-is-payee: an official's relative (`relative_of`, or the official's household) is paid.

use super::{Insider, Match, RowKeys};
use crate::finding::{EvidenceRow, Severity};
use crate::ledger::batch::NO_HASH;
use crate::ledger::column::Col;
use crate::reference::Officials;
use crate::rules::render::{who, who_zh};
use crate::rules::{erase, DynRule, Params, Reference, RuleEnv, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    code: "INS002",
    name: "relative-is-payee",
    summary: "A relative of an official (relative_of, or the official's household_id) is paid",
    doc: "\
What it flags
  PAID payments to a payee who is, in the officials table, a relative of an official (a row whose
  relative_of names the official), or whose household_id in the ledger is the household_id of an official.
  Officials themselves are INS001's. High severity; critical when the payment's officer_id is that official
  or a relative of the payee (self-dealing). One finding per payee and official; at risk: every such
  payment.

Why it matters
  Favouring relatives (优亲厚友) is the insider abuse auditors find most: a cadre enrols a parent, a
  sibling or an in-law for minimum-income support or hardship relief, and approves the payments.

Example
  王小五 (520102199501010021) is a relative of official 王五 (11010519491231002X, 村主任) (officials table,
  relative_of); paid 12 payments (5040.00 yuan) from 2024-01-12 to 2024-12-12.

False positives
  Relatives who do qualify: review and baseline the case, or `--ignore INS002`. A household_id reused for
  unrelated people links them wrongly: fix the ledger's household ids.",
    severity: Severity::High,
    columns: &[Col::PayeeId],
    optional_columns: &[Col::HouseholdId, Col::OfficerId, Col::Status],
    references: &[Reference::Officials],
    params: &[],
};

pub fn build(_: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        Insider {
            meta: &META,
            officials: env.officials.clone(),
            cur: env.batch.locale.currency.clone(),
            ids: env.batch.id_scheme,
            m: RelativePayee,
        },
    )
}

pub struct RelativePayee;

impl Match for RelativePayee {
    fn hit(&self, o: &Officials, k: &RowKeys) -> Option<(u32, bool)> {
        if let Some(idx) = o.by_id(k.payee) {
            let p = o.person(idx)?;
            // an official is INS001's; a relative listed in the table matches through relative_of
            return p
                .is_relative()
                .then(|| (idx, o.officer_related(k.officer, p)));
        }
        if k.household == NO_HASH {
            return None;
        }
        let idx = o.by_household(k.household)?;
        let p = o.person(idx)?;
        let critical =
            k.officer != NO_HASH && (k.officer == p.key || o.officer_related(k.officer, p));
        Some((idx, critical))
    }

    fn explain_zh(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String {
        let matched_is_payee = o.id(idx) == rows[0].payee_id
            || o.person(idx)
                .is_some_and(crate::reference::officials::Person::is_relative);
        if matched_is_payee {
            let official = o
                .person(idx)
                .and_then(|p| o.by_id(p.official))
                .map_or_else(|| o.relative_of(idx).to_string(), |j| o.describe_zh(j));
            format!(
                "{}是公职人员 {official} 的亲属（公职人员表 relative_of）",
                who_zh(rows[0])
            )
        } else {
            format!(
                "{}属于户 {}，即公职人员 {} 的家庭",
                who_zh(rows[0]),
                rows[0].household_id.as_deref().unwrap_or("?"),
                o.describe_zh(idx)
            )
        }
    }

    fn explain(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String {
        let matched_is_payee = o.id(idx) == rows[0].payee_id
            || o.person(idx)
                .is_some_and(crate::reference::officials::Person::is_relative);
        if matched_is_payee {
            let official = o
                .person(idx)
                .and_then(|p| o.by_id(p.official))
                .map_or_else(|| o.relative_of(idx).to_string(), |j| o.describe(j));
            format!(
                "{} is a relative of official {official} (officials table, relative_of)",
                who(rows[0])
            )
        } else {
            format!(
                "{} belongs to household {}, the household of official {}",
                who(rows[0]),
                rows[0].household_id.as_deref().unwrap_or("?"),
                o.describe(idx)
            )
        }
    }
}
