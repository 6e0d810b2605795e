//! The insider family (`INS`): money paid to officials, to their relatives, or into their accounts.
//!
//! The three rules share one shape ([`Insider`]): per PAID row, the payee's id key, household, account and
//! officer are looked up in the officials table; a matching row is kept with the person it matched and
//! whether the payment's officer is that official or related to the payee (self-dealing, critical). One
//! finding per payee and matched person. Each rule's file holds its metadata and its [`Match`].

pub mod official_account;
pub mod official_payee;
pub mod relative_payee;

use crate::finding::{EvidenceRow, Finding, Severity, SubjectKind};
use crate::ledger::batch::{Batch, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::ledger::payees::Memo;
use crate::reference::{id_key_fast, Officials};
use crate::rules::keyed::Flagged;
use crate::rules::render::{all_same, by_pay_date};
use crate::rules::{rows_of, Draft, Evidence, Rule, RuleMeta};
use std::sync::Arc;

/// The keys of one paid row.
#[derive(Debug, Clone, Copy)]
pub struct RowKeys {
    pub payee: u64,
    /// [`NO_HASH`] when the ledger has no household_id or it is null.
    pub household: u64,
    pub account: u64,
    /// Id key of the officer; [`NO_HASH`] when unknown.
    pub officer: u64,
}

/// What one insider rule looks for.
pub trait Match: Send + Sync + 'static {
    /// The officials-table person a row matches, and whether its officer makes it self-dealing.
    fn hit(&self, o: &Officials, k: &RowKeys) -> Option<(u32, bool)>;
    /// The explanation's first clause, about the matched person.
    fn explain(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String;
    /// The Chinese twin of [`Matcher::explain`].
    fn explain_zh(&self, o: &Officials, idx: u32, rows: &[&EvidenceRow]) -> String;
}

pub struct Insider<M> {
    pub meta: &'static RuleMeta,
    pub officials: Option<Arc<Officials>>,
    /// How ids are keyed (the officer ids, which the batch hashes as written).
    pub ids: crate::ident::IdScheme,
    pub m: M,
    pub cur: crate::locale::Currency,
}

impl<M: Match> Rule for Insider<M> {
    /// (payee id key, matched person << 1 | self-dealing, row); memo: whether the payee's id, household and account
    /// can match at all (whether a row matches never depends on its officer, only whether it is self-dealing)
    type State = Flagged<(u64, u64, RowRef), Memo<bool>>;
    const PAYEE_NUMBERS: bool = true;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        let Some(o) = self.officials.as_deref() else {
            return;
        };
        let payee = b.hashes(Col::PayeeId);
        let household = b.hashes(Col::HouseholdId);
        let account = b.hashes(Col::Account);
        let officer = b.hashes(Col::OfficerId);
        st.memo.fit(b.payees_numbered);
        for i in b.rows() {
            if !b.is_paid(i) {
                continue;
            }
            let mut k = RowKeys {
                payee: payee[i],
                household: household.get(i).copied().unwrap_or(NO_HASH),
                account: account.get(i).copied().unwrap_or(NO_HASH),
                officer: NO_HASH,
            };
            let tag = crate::ledger::batch::mix(k.household, k.account);
            // the batch hashes payee ids by their canonical key, the tables' key
            let may_match = st
                .memo
                .get(b.payee_no(i), tag, || self.m.hit(o, &k).is_some());
            if !may_match {
                continue;
            }
            k.officer = officer
                .get(i)
                .copied()
                .filter(|h| *h != NO_HASH)
                .map_or(NO_HASH, |h| {
                    id_key_fast(b.text(Col::OfficerId, i), h, self.ids)
                });
            if let Some((idx, critical)) = self.m.hit(o, &k) {
                st.found.push((
                    k.payee,
                    (u64::from(idx) << 1) | u64::from(critical),
                    b.row_ref(i),
                ));
            }
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.append(from);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        // one draft per payee and matched person: the person, then the self-dealing rows
        st.found.finish(|run| {
            crate::rules::group::drafts_by(
                run,
                |a, b| a.1 >> 1 == b.1 >> 1,
                |g| {
                    std::iter::once((g[0].1 >> 1) as i64)
                        .chain(g.iter().filter(|e| e.1 & 1 == 1).map(|e| e.2 .0 as i64))
                        .collect()
                },
            )
        })
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let o = self.officials.as_deref()?;
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.payee_id) {
            return None;
        }
        by_pay_date(&mut rows);
        let idx = u32::try_from(*d.facts.first()?).ok()?;
        let critical: std::collections::HashSet<u64> =
            d.facts[1..].iter().map(|x| *x as u64).collect();
        let selfdeal: Vec<&EvidenceRow> = rows
            .iter()
            .copied()
            .filter(|r| r.row.is_some_and(|x| critical.contains(&x.0)))
            .collect();
        let mut explanation = format!(
            "{}; paid {}",
            self.m.explain(o, idx, &rows),
            crate::rules::render::payments(&rows, &self.cur)
        );
        let mut zh = format!(
            "{}；获发 {}",
            self.m.explain_zh(o, idx, &rows),
            crate::rules::render::payments_zh(&rows, &self.cur)
        );
        let severity = if selfdeal.is_empty() {
            self.meta.severity
        } else {
            let mut officers: Vec<&str> = selfdeal
                .iter()
                .filter_map(|r| r.officer_id.as_deref())
                .collect();
            officers.sort_unstable();
            officers.dedup();
            explanation.push_str(&format!(
                "; {} of them prepared by officer {}, the official or a relative of the payee (self-dealing)",
                selfdeal.len(),
                officers.join(", ")
            ));
            zh.push_str(&format!(
                "；其中 {} 笔由经办人 {} 经办，该经办人即该官员或领取人的亲属（自我交易）",
                selfdeal.len(),
                officers.join("、")
            ));
            Severity::Critical
        };
        let risk: Vec<i64> = rows.iter().map(|r| r.amount_fen).collect();
        Some(
            Finding::new(
                self.meta,
                severity,
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
