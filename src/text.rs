//! Text helpers with no domain of their own: a list that names a few items and counts the rest. Findings and
//! rules both write such lists.

/// The distinct values, sorted, as owned strings: one hash-set pass over the values (however many repeat), a sort
/// of the distinct ones only.
pub(crate) fn distinct_sorted<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: std::collections::HashSet<&str, xxhash_rust::xxh3::Xxh3DefaultBuilder> =
        std::collections::HashSet::default();
    let mut last: Option<&str> = None;
    for v in values {
        // runs of one value (the usual shape of a finding's rows) skip the set
        if last != Some(v) {
            seen.insert(v);
            last = Some(v);
        }
    }
    let mut out: Vec<&str> = seen.into_iter().collect();
    out.sort_unstable();
    out.into_iter().map(str::to_string).collect()
}

/// Up to `n` items joined by `, `, with `and K more` after.
pub(crate) fn list(items: &[String], n: usize) -> String {
    if items.len() <= n {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..n].join(", "), items.len() - n)
    }
}

/// Up to `n` of `items` (the first ones of `total`) joined by `, `, with `and K more` after: the same text as
/// [`list`] over all `total` items.
pub(crate) fn list_of(items: &[String], n: usize, total: usize) -> String {
    if total <= n || items.len() < n {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..n].join(", "), total - n)
    }
}
