//! INS003 official-account-receives: someone's subsidy paid into an official's or a relative's account.

use super::{Insider, Match, RowKeys};
use crate::finding::{EvidenceRow, Severity};
use crate::ledger::column::Col;
use crate::reference::Officials;
use crate::rules::render::{who, who_zh};
use crate::rules::{erase, DynRule, Params, Reference, RuleEnv, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    code: "INS003",
    name: "official-account-receives",
    summary: "Another person's subsidy paid into the account of an official or an official's relative",
    doc: "\
What it flags
  PAID payments into an account that the officials table gives to an official or a relative, for a payee
  who is not that person. High severity; critical when the payment's officer_id is the account holder,
  the holder's official, or related to them (self-dealing). One finding per payee and account holder; at
  risk: every such payment.

Why it matters
  Routing beneficiaries' money to a card the cadre holds (截留, 冒领) is interception in its plainest form:
  the beneficiary never sees the money, and the ledger still shows their name.

Example
  李四 (520102194501010012) paid into account 6228480000000001 of 王五 (11010519491231002X, 村主任);
  paid 1 payment (1416.00 yuan) on 2024-04-12.

False positives
  A cadre acting as a guardian for a ward without a card, a family card shared with a relative in the
  officials table. Open a card in the payee's name, review and baseline the case, or `--ignore INS003`.",
    severity: Severity::High,
    columns: &[Col::PayeeId, Col::Account],
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
            m: OfficialAccount,
        },
    )
}

pub struct OfficialAccount;

impl Match for OfficialAccount {
    fn hit(&self, o: &Officials, k: &RowKeys) -> Option<(u32, bool)> {
        let idx = o.by_account(k.account)?;
        let p = o.person(idx)?;
        (p.key != k.payee).then(|| (idx, o.officer_related(k.officer, p)))
    }

    fn explain_zh(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String {
        let whose = if o
            .person(idx)
            .is_some_and(crate::reference::officials::Person::is_relative)
        {
            format!(
                "公职人员 {} 的亲属 {}",
                o.relative_of(idx),
                o.describe_zh(idx)
            )
        } else {
            format!("公职人员 {}", o.describe_zh(idx))
        };
        format!(
            "{}的补贴打入{whose}的账户 {}",
            who_zh(rows[0]),
            rows[0].account
        )
    }

    fn explain(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String {
        let whose = if o
            .person(idx)
            .is_some_and(crate::reference::officials::Person::is_relative)
        {
            format!(
                "{}, a relative of official {}",
                o.describe(idx),
                o.relative_of(idx)
            )
        } else {
            format!("official {}", o.describe(idx))
        };
        format!(
            "{} paid into account {} of {whose}",
            who(rows[0]),
            rows[0].account
        )
    }
}
