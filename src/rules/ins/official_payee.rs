//! INS001 official-is-payee: an official (a person of the officials table without `relative_of`) is paid.

use super::{Insider, Match, RowKeys};
use crate::finding::{EvidenceRow, Severity};
use crate::ledger::column::Col;
use crate::reference::Officials;
use crate::rules::render::{who, who_zh};
use crate::rules::{erase, DynRule, Params, Reference, RuleEnv, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    code: "INS001",
    name: "official-is-payee",
    summary: "An official (village cadre, public staff) is paid by a subsidy scheme",
    doc: "\
What it flags
  PAID payments whose payee_id (normalised as in GHO002) is an official's person_id in the officials table
  (a row without relative_of). High severity; critical when the payment's officer_id is that official,
  or a relative or household member of theirs (self-dealing). One finding per payee; at risk: every
  such payment.

Why it matters
  Village cadres enrolling themselves for minimum-income support or hardship relief (优亲厚友, 自批自领)
  is the most frequent insider abuse in audits: they decide who is eligible and approve the payments.

Example
  王五 (11010519491231002X) is an official: 王五 (11010519491231002X, 村主任); paid 4 payments
  (7200.00 yuan) from 2024-02-12 to 2024-11-12; 4 of them prepared by officer 11010519491231002X, the
  official or a relative of the payee (self-dealing).

False positives
  Officials who do qualify (a farmland subsidy on their own land is normal): approve and baseline the
  case, or `--ignore INS001`.",
    severity: Severity::High,
    columns: &[Col::PayeeId],
    optional_columns: &[Col::OfficerId, Col::Status],
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
            m: OfficialPayee,
        },
    )
}

pub struct OfficialPayee;

impl Match for OfficialPayee {
    fn hit(&self, o: &Officials, k: &RowKeys) -> Option<(u32, bool)> {
        let idx = o.by_id(k.payee)?;
        let p = o.person(idx)?;
        (!p.is_relative()).then(|| (idx, o.officer_related(k.officer, p)))
    }

    fn explain_zh(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String {
        format!("{}是公职人员：{}", who_zh(rows[0]), o.describe_zh(idx))
    }

    fn explain(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String {
        format!("{} is an official: {}", who(rows[0]), o.describe(idx))
    }
}
