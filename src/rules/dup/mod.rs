//! The duplicate family (`DUP`): one person paid twice, through several cards, by several villages, or many
//! people paid into one card.

pub mod cross_region;
pub mod duplicate_payment;
pub mod one_payee_many_accounts;
pub mod same_person_many_identities;
pub mod shared_account;

use crate::finding::EvidenceRow;
use crate::ledger::batch::RowRef;
use crate::rules::group::draft_if_distinct_in;
use crate::rules::Draft;

/// Items are built for at most this many of a finding's groups (accounts, regions, payees): an explanation
/// names a few of them and counts the rest, so its length does not follow the size of the group.
pub(crate) const LISTED: usize = 32;

/// A draft citing every row of a run of `(key, value, row)` entries (in any order), in row order, when the run
/// holds at least `min` distinct values: persons of one account.
pub(crate) fn draft_if_distinct(run: &[(u64, u64, RowRef)], min: usize) -> Option<Draft> {
    draft_if_distinct_in(run, min, |e| e.1, |e| e.2)
}

/// The rows grouped by the value of `f`, groups in the order their value first appears, rows in their order
/// (one pass, whatever the number of groups).
pub(crate) fn groups_in_order<'a>(
    rows: &[&'a EvidenceRow],
    f: impl Fn(&'a EvidenceRow) -> &'a str,
) -> Vec<(&'a str, Vec<&'a EvidenceRow>)> {
    let mut at: std::collections::HashMap<&str, usize, crate::ledger::hash::KeyHash> =
        std::collections::HashMap::default();
    let mut out: Vec<(&str, Vec<&EvidenceRow>)> = Vec::new();
    for r in rows {
        let v = f(r);
        match at.get(v) {
            Some(&i) => out[i].1.push(r),
            None => {
                at.insert(v, out.len());
                out.push((v, vec![r]));
            }
        }
    }
    out
}

/// Money at risk per row: the whole payment, unless `f` of the row equals `f` of the first (earliest) row,
/// which is taken as the legitimate one (its account, its paying region).
pub(crate) fn at_risk_unless_like_first(
    rows: &[&EvidenceRow],
    f: impl Fn(&EvidenceRow) -> &str,
) -> Vec<i64> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    rows.iter()
        .map(|r| if f(r) == f(first) { 0 } else { r.amount_fen })
        .collect()
}
