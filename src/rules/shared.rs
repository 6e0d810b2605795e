//! Groupings several rules share, built once per scan instead of once per rule.
//!
//! DUP001 (paid twice), DUP002 (several accounts), DUP004 (several regions) and AMT001's ceiling (a period's
//! total) all group a payee's PAID rows by scheme period. Each keeping its own `(key, value, row)` entries meant
//! four pushes and four sorts of every paid row (88 bytes a row); the shared grouping keeps one 40-byte entry a
//! row and sorts it once. The
//! pipeline builds it only when an enabled rule asks ([`crate::rules::Rule::PAYEE_PERIODS`]), sorts it one
//! partition at a time and hands every run to those rules' [`crate::rules::Rule::period_run`] (so, like any
//! grouping, it is never held sorted whole).

use crate::ledger::batch::{Batch, RowRef, NO_HASH};
use crate::ledger::column::Col;
use crate::rules::keyed::Keyed;
use crate::rules::Draft;

/// The bits of [`PeriodEntry`]'s region word that hold the bucket's allowance.
pub const ALLOWED_BITS: u64 = 0xF;

/// One PAID row: (payee-period key, account hash, (region hash with the bucket's allowance (1..=12) in its low
/// four bits, row, amount in fen << 16 | scheme index)). Sorted, a run is one payee's scheme period, its rows
/// by account.
pub type PeriodEntry = (u64, u64, (u64, RowRef, i64));

/// The amount (fen) of an entry.
#[inline]
pub fn amount_of(e: &PeriodEntry) -> i64 {
    e.2 .2 >> 16
}

/// The scheme index of an entry (into the batch context's schemes).
#[inline]
pub fn scheme_of(e: &PeriodEntry) -> u16 {
    (e.2 .2 & 0xFFFF) as u16
}

/// The region hash of an entry (without the allowance bits).
#[inline]
pub fn region_of(e: &PeriodEntry) -> u64 {
    e.2 .0 & !ALLOWED_BITS
}

/// The bucket's allowance of an entry.
#[inline]
pub fn allowed_of(e: &PeriodEntry) -> usize {
    (e.2 .0 & ALLOWED_BITS) as usize
}

/// Pushes every PAID row of the batch (nothing when the batch has no payee-period keys).
pub fn push_periods(st: &mut Keyed<PeriodEntry>, b: &Batch) {
    if b.payee_period_key.is_empty() {
        return;
    }
    let account = b.hashes(Col::Account);
    let region = b.hashes(Col::Region);
    for i in b.rows() {
        if b.is_paid(i) {
            let a = account.get(i).copied().unwrap_or(NO_HASH);
            let r = region.get(i).copied().unwrap_or(NO_HASH) & !ALLOWED_BITS;
            let allowed = u64::from(b.allowed[i]) & ALLOWED_BITS;
            let scheme = b.scheme.get(i).copied().unwrap_or(u16::MAX);
            let money = (b.amount_fen[i] << 16) | i64::from(scheme);
            st.push((b.payee_period_key[i], a, (r | allowed, b.row_ref(i), money)));
        }
    }
}

/// The `Rule` items of a rule that keeps no state of its own and drafts from the shared payee-period
/// grouping; the rule then writes `period_run` and `render`.
macro_rules! finishes_from_payee_periods {
    () => {
        /// None of its own: the rule reads the shared payee-period grouping.
        type State = ();
        const PAYEE_PERIODS: bool = true;

        fn update(&self, (): &mut (), _: &crate::ledger::batch::Batch) {}

        fn merge(&self, (): &mut (), (): ()) {}

        /// Nothing: the drafts come from [`crate::rules::Rule::period_run`].
        fn finish(&self, (): ()) -> Vec<crate::rules::Draft> {
            Vec::new()
        }
    };
}
pub(crate) use finishes_from_payee_periods;

/// A draft citing every row of a run (in row order) when `value` takes at least `min` distinct values in it.
/// An entry without a value ([`NO_HASH`]: no account) is neither a distinct value nor cited.
pub fn draft_if_distinct_by(
    run: &[PeriodEntry],
    min: usize,
    value: impl Fn(&PeriodEntry) -> u64,
) -> Option<Draft> {
    if run.iter().any(|e| value(e) == NO_HASH) {
        let known: Vec<PeriodEntry> = run
            .iter()
            .filter(|e| value(e) != NO_HASH)
            .copied()
            .collect();
        return crate::rules::group::draft_if_distinct_in(&known, min, value, |e| e.2 .1);
    }
    crate::rules::group::draft_if_distinct_in(run, min, value, |e| e.2 .1)
}

/// The rows of a run, ascending.
pub fn rows_in_order(run: &[PeriodEntry]) -> Vec<RowRef> {
    let mut rows: Vec<RowRef> = run.iter().map(|e| e.2 .1).collect();
    rows.sort_unstable();
    rows
}
