//! The ghost-recipient family (`GHO`): payments to identity numbers that cannot exist, to people the
//! registry does not enrol, to the dead, to people too young or too old for the scheme, and into accounts
//! whose number cannot be a real card.

pub mod age_ineligible;
pub mod invalid_id;
pub mod malformed_account;
pub mod not_enrolled;
pub mod paid_after_death;

use crate::finding::EvidenceRow;
use crate::ledger::batch::RowRef;
use crate::rules::group::drafts_by;
use crate::rules::Draft;

/// The distinct `SCHEME period` labels of the rows, in order of first appearance.
pub(crate) fn periods(rows: &[&EvidenceRow]) -> Vec<String> {
    let mut seen: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    rows.iter()
        .filter(|r| seen.insert((r.scheme.as_str(), r.period.as_str())))
        .map(|r| format!("{} {}", r.scheme, r.period))
        .collect()
}

/// Drafts of grouped entries `(key, sub, row)`: one per run of equal `key` and `sub`, with `sub` as fact 0.
pub(crate) fn drafts_by_sub<S: Copy + Eq + Into<i64>>(run: &[(u64, S, RowRef)]) -> Vec<Draft> {
    drafts_by(run, |a, b| a.1 == b.1, |g| vec![g[0].1.into()])
}

/// A draft citing every row of a run of `(key, fact, row)` entries, with the run's first fact (a problem code,
/// a death date) as its one fact.
pub(crate) fn draft_with_first_fact<T: Copy + Into<i64>>(
    run: &[(u64, T, crate::ledger::batch::RowRef)],
) -> crate::rules::Draft {
    let mut rows: Vec<crate::ledger::batch::RowRef> = run.iter().map(|e| e.2).collect();
    rows.sort_unstable();
    crate::rules::Draft {
        evidence: rows,
        facts: vec![run[0].1.into()],
    }
}
