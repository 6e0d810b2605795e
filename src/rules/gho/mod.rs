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
use crate::rules::Draft;

/// `5 payments (1234.00 yuan) from 2024-01-05 to 2024-12-05` of rows in pay-date order (undated rows last:
/// `… and 1 on an unknown date`).
pub(crate) fn payments(rows: &[&EvidenceRow], cur: &crate::locale::Currency) -> String {
    let n = rows.len();
    let total = crate::rules::dup::total(rows);
    let dated = rows.iter().filter(|r| r.pay_date.is_some()).count();
    let undated = match n - dated {
        0 => String::new(),
        1 if dated == 0 => " on an unknown date".into(),
        u if dated == 0 => format!(" on {u} unknown dates"),
        1 => " and 1 on an unknown date".into(),
        u => format!(" and {u} on unknown dates"),
    };
    match (rows.first(), rows.get(dated.saturating_sub(1))) {
        _ if dated == 0 && n > 0 => format!(
            "{n} payment{} ({total} {cur}){undated}",
            if n == 1 { "" } else { "s" }
        ),
        (Some(a), Some(b)) if dated > 1 => format!(
            "{n} payments ({total} {cur}) from {} to {}{undated}",
            a.date(),
            b.date()
        ),
        (Some(a), _) if n == 1 => format!("1 payment ({total} {cur}) on {}", a.date()),
        (Some(a), _) => format!("{n} payments ({total} {cur}): 1 on {}{undated}", a.date()),
        _ => "no payment".into(),
    }
}

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

/// Drafts of a run of `(key, value, row)` entries sorted by value: one per group of entries that `same` puts
/// together, citing the group's rows (each once, in row order), with `facts` of the group.
pub(crate) fn drafts_by<V: Copy>(
    run: &[(u64, V, RowRef)],
    same: impl Fn(&(u64, V, RowRef), &(u64, V, RowRef)) -> bool,
    facts: impl Fn(&[(u64, V, RowRef)]) -> Vec<i64>,
) -> Vec<Draft> {
    run.chunk_by(same)
        .map(|g| {
            let mut rows: Vec<RowRef> = g.iter().map(|e| e.2).collect();
            rows.sort_unstable();
            rows.dedup();
            Draft {
                evidence: rows,
                facts: facts(g),
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payments_name_undated_rows() {
        let cur = crate::locale::Currency::default();
        let r = |d: Option<i32>| EvidenceRow {
            pay_date: d,
            amount_fen: 100,
            ..EvidenceRow::default()
        };
        let (a, b, u) = (r(Some(19_727)), r(Some(19_737)), r(None));
        assert_eq!(payments(&[&a], &cur), "1 payment (1.00 yuan) on 2024-01-05");
        assert_eq!(
            payments(&[&a, &b], &cur),
            "2 payments (2.00 yuan) from 2024-01-05 to 2024-01-15"
        );
        assert_eq!(
            payments(&[&u], &cur),
            "1 payment (1.00 yuan) on an unknown date"
        );
        assert_eq!(
            payments(&[&u, &u], &cur),
            "2 payments (2.00 yuan) on 2 unknown dates"
        );
        assert_eq!(
            payments(&[&a, &u], &cur),
            "2 payments (2.00 yuan): 1 on 2024-01-05 and 1 on an unknown date"
        );
        assert_eq!(
            payments(&[&a, &b, &u, &u], &cur),
            "4 payments (4.00 yuan) from 2024-01-05 to 2024-01-15 and 2 on unknown dates"
        );
        assert_eq!(payments(&[], &cur), "no payment");
    }
}
