//! Draft builders over runs of grouped entries (see [`crate::rules::keyed`]) that rules of several families
//! use.

use crate::ledger::batch::RowRef;
use crate::rules::Draft;

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
