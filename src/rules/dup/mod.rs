//! The duplicate family (`DUP`): one person paid twice, through several cards, by several villages, or many
//! people paid into one card.

pub mod cross_region;
pub mod duplicate_payment;
pub mod one_payee_many_accounts;
pub mod same_person_many_identities;
pub mod shared_account;

use crate::finding::EvidenceRow;
use crate::ledger::batch::RowRef;
use crate::money::fmt_yuan;
use crate::rules::Draft;

/// Rows in payment order: pay date (undated rows last), then ledger order.
pub(crate) fn by_pay_date(rows: &mut [&EvidenceRow]) {
    rows.sort_by_key(|r| r.date_order());
}

/// Whether all rows share the same value of `f` (a 64-bit key collision shows up as a disagreement here;
/// such a draft is dropped rather than reported).
pub(crate) fn all_same(rows: &[&EvidenceRow], f: impl Fn(&EvidenceRow) -> &str) -> bool {
    rows.windows(2).all(|w| f(w[0]) == f(w[1]))
}

/// `张三 (110105194912310021)`
pub(crate) fn who(r: &EvidenceRow) -> String {
    format!("{} ({})", r.payee_name, r.payee_id)
}

pub(crate) fn total(rows: &[&EvidenceRow]) -> String {
    fmt_yuan(rows.iter().map(|r| r.amount_fen).sum())
}

/// Up to `n` items joined by `, `, with `and K more` after.
pub(crate) fn list(items: &[String], n: usize) -> String {
    if items.len() <= n {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..n].join(", "), items.len() - n)
    }
}

/// Items are built for at most this many of a finding's groups (accounts, regions, payees): an explanation
/// names a few of them and counts the rest, so its length does not follow the size of the group.
pub(crate) const LISTED: usize = 32;

/// Up to `n` of `items` (the first ones of `total`) joined by `, `, with `and K more` after: the same text as
/// [`list`] over all `total` items.
pub(crate) fn list_of(items: &[String], n: usize, total: usize) -> String {
    if total <= n || items.len() < n {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..n].join(", "), total - n)
    }
}

/// [`list`] of the rows' [`EvidenceRow::brief`], building only the ones shown.
pub(crate) fn briefs(rows: &[&EvidenceRow], n: usize) -> String {
    let shown: Vec<String> = rows.iter().take(n).map(|r| r.brief()).collect();
    list_of(&shown, n, rows.len())
}

/// A draft citing every row of a run of `(key, value, row)` entries (in any order), in row order, when the run
/// holds at least `min` distinct values: persons of one account.
pub(crate) fn draft_if_distinct(run: &[(u64, u64, RowRef)], min: usize) -> Option<Draft> {
    draft_if_distinct_in(run, min, |e| e.1, |e| e.2)
}

/// A draft citing every row of a run (in row order) when `value` takes at least `min` distinct values in it.
pub(crate) fn draft_if_distinct_in<E>(
    run: &[E],
    min: usize,
    value: impl Fn(&E) -> u64,
    row: impl Fn(&E) -> RowRef,
) -> Option<Draft> {
    if run.len() < min {
        return None;
    }
    let mut values: Vec<u64> = run.iter().map(value).collect();
    values.sort_unstable();
    values.dedup();
    (values.len() >= min).then(|| {
        let mut rows: Vec<RowRef> = run.iter().map(row).collect();
        rows.sort_unstable();
        Draft {
            evidence: rows,
            facts: vec![],
        }
    })
}

/// The rows grouped by the value of `f`, groups in the order their value first appears, rows in their order
/// (one pass, whatever the number of groups).
pub(crate) fn groups_in_order<'a>(
    rows: &[&'a EvidenceRow],
    f: impl Fn(&'a EvidenceRow) -> &'a str,
) -> Vec<(&'a str, Vec<&'a EvidenceRow>)> {
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
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
