//! DUP003 shared-account (多人一卡): one account receiving the payments of several people.

use super::draft_if_distinct;
use crate::finding::{Finding, Severity, SubjectKind};
use crate::ledger::batch::{Batch, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::money::fmt_yuan;
use crate::rules::keyed::Keyed;
use crate::rules::render::{all_same, total};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::text::{list_of, list_of_zh};
use std::collections::BTreeMap;

pub static META: RuleMeta = RuleMeta {
    code: "DUP003",
    name: "shared-account",
    summary: "One account receiving payments for several distinct payees (多人一卡); a household counts once",
    doc: "\
What it flags
  An account that received PAID payments for at least `min_payees` (default 3) distinct people over the
  whole ledger. Payees with the same household_id (when the ledger has that column) count as one person, so
  spouses or a parent and child sharing a family card do not fire the rule.
  At risk: the payments for everyone but the account's apparent owner (the person, or household, with the
  most payments into it; ties go to the lowest payee id).

Why it matters
  Collecting many beneficiaries' money on one card (多人一卡) is the classic grassroots interception: the
  clerk enrols real or invented people and routes their subsidies to a card held by the clerk, a relative or
  an accomplice.

Example
  Account 6228480012345678 received 36 payments (12,600.00 yuan) for 3 payees of 3 households in village
  520102003004: 8,400.00 yuan at risk.

False positives
  Collective accounts (a care home or a cooperative receiving for its members), guardians paid for several
  wards. Raise `min_payees`, give the ledger a household_id that groups them, or `--ignore DUP003`.",
    severity: Severity::High,
    columns: &[Col::Account, Col::PayeeId],
    optional_columns: &[Col::HouseholdId, Col::Status],
    references: &[],
    params: &[ParamSpec {
        name: "min_payees",
        default: ParamValue::Int(3),
        doc: "distinct persons (a household counts once) that fire the rule",
    }],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        SharedAccount {
            cur: env.batch.locale.currency.clone(),
            min_payees: p.int("min_payees").max(2) as usize,
        },
    )
}

/// The person of a row: its household, else its payee (a household counts once).
fn person(r: &crate::finding::EvidenceRow) -> (u8, &str) {
    r.household_id
        .as_deref()
        .map_or((b'p', r.payee_id.as_str()), |h| (b'h', h))
}

pub struct SharedAccount {
    cur: crate::locale::Currency,
    min_payees: usize,
}

/// (account hash, person hash: the household when known, else the payee; row)
type Entry = (u64, u64, RowRef);

impl Rule for SharedAccount {
    type State = Keyed<Entry>;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        let acct = b.hashes(Col::Account);
        let payee = b.hashes(Col::PayeeId);
        let household = b.hashes(Col::HouseholdId);
        for i in b.rows() {
            // rows without an account share none
            if b.is_paid(i) && acct[i] != NO_HASH {
                let person = household
                    .get(i)
                    .copied()
                    .filter(|h| *h != NO_HASH)
                    .map_or(payee[i], |h| h.rotate_left(1) ^ 1);
                st.push((acct[i], person, b.row_ref(i)));
            }
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.append(from);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        let min = self.min_payees;
        st.finish_grouped(|run| draft_if_distinct(run, min))
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let cur = &self.cur;
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.account) {
            return None;
        }
        crate::rules::render::sort_by_key_once(&mut rows, |r| {
            (crate::text::prefix_key(&r.payee_id), r.date_order())
        });
        // person -> (payments, lowest payee id); a household is one person. Rows are in payee order, so a run
        // of rows of one person is counted before the map is touched (one map entry per run, not per row).
        let mut persons: BTreeMap<(u8, &str), (usize, &str)> = BTreeMap::new();
        let mut i = 0;
        while i < rows.len() {
            let (p, id) = (person(rows[i]), rows[i].payee_id.as_str());
            let run = rows[i..]
                .iter()
                .take_while(|r| person(r) == p && r.payee_id == id)
                .count();
            let e = persons.entry(p).or_insert((0, id));
            e.0 += run;
            if id < e.1 {
                e.1 = id;
            }
            i += run;
        }
        if persons.len() < self.min_payees {
            return None;
        }
        let owner = persons
            .iter()
            .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| b.1 .1.cmp(a.1 .1)))
            .map(|(k, _)| *k)?;
        let risk: Vec<i64> = rows
            .iter()
            .map(|r| if person(r) == owner { 0 } else { r.amount_fen })
            .collect();
        // the distinct payees (name and id), in row order: the first few are named, all are counted
        let mut seen: std::collections::HashSet<(&str, &str), crate::ledger::hash::KeyHash> =
            std::collections::HashSet::default();
        let mut payees: Vec<String> = Vec::new();
        let mut payees_zh: Vec<String> = Vec::new();
        let mut n_payees = 0usize;
        let mut last: Option<(&str, &str)> = None;
        for r in &rows {
            let k = (r.payee_name.as_str(), r.payee_id.as_str());
            // rows of one payee come together: a repeat of the last one skips the set
            if last == Some(k) {
                continue;
            }
            last = Some(k);
            if seen.insert(k) {
                n_payees += 1;
                if payees.len() < 6 {
                    payees.push(format!("{} ({})", r.payee_name, r.payee_id));
                    payees_zh.push(format!("{}（{}）", r.payee_name, r.payee_id));
                }
            }
        }
        let regions = crate::text::distinct_sorted(rows.iter().map(|r| r.region.as_str()));
        let account = rows[0].account.clone();
        let explanation = format!(
            "account {account} received {} payments ({} {cur}) for {} distinct payees of {} persons or households (threshold {}) in region{} {}: {}; {} {cur} paid for people other than the account's apparent owner",
            rows.len(),
            total(&rows),
            n_payees,
            persons.len(),
            self.min_payees,
            if regions.len() == 1 { "" } else { "s" },
            list_of(&regions[..regions.len().min(4)], 4, regions.len()),
            list_of(&payees, 6, n_payees),
            fmt_yuan(risk.iter().sum())
        );
        let zh = format!(
            "账户 {account} 收到 {} 笔付款（{} {}），涉及 {} 名不同领取人、{} 个人或户（阈值 {}），地区 {}：{}；付给账户表面持有人以外人员的共 {} {}",
            rows.len(),
            total(&rows),
            cur.zh(),
            n_payees,
            persons.len(),
            self.min_payees,
            list_of_zh(&regions[..regions.len().min(4)], 4, regions.len()),
            list_of_zh(&payees_zh, 6, n_payees),
            fmt_yuan(risk.iter().sum()),
            cur.zh()
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Account,
                account,
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}
