//! Text helpers with no domain of their own: a list that names a few items and counts the rest. Findings and
//! rules both write such lists.

/// The distinct values, sorted, as owned strings: one hash-set pass over the values (however many repeat), a sort
/// of the distinct ones only.
pub(crate) fn distinct_sorted<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    distinct_refs(values)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The distinct values, sorted (byte order). Runs of one value (the usual shape of a finding's rows) skip the
/// set; the sort compares the first 16 bytes as one integer ([`prefix_key`]).
pub(crate) fn distinct_refs<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: std::collections::HashSet<&str, crate::ledger::hash::KeyHash> =
        std::collections::HashSet::default();
    let mut last: Option<&str> = None;
    for v in values {
        if last != Some(v) {
            seen.insert(v);
            last = Some(v);
        }
    }
    let mut out: Vec<&str> = seen.into_iter().collect();
    out.sort_unstable_by_key(|s| prefix_key(s));
    out
}

/// A sort key that orders as `s` does, its first 16 bytes compared as one integer: sorting millions of ids that
/// share their leading digits compares them without a call to `memcmp` each (zero padding keeps the order: a
/// shorter string is never greater; equal prefixes fall back to the whole text).
pub(crate) fn prefix_key(s: &str) -> (u128, &str) {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    (u128::from_be_bytes(b), s)
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

/// The Chinese twin of [`list`]: up to `n` of `items` joined by `，`, with `等，另 K 项` after.
pub(crate) fn list_zh(items: &[String], n: usize) -> String {
    list_of_zh(items, n, items.len())
}

/// The Chinese twin of [`list_of`].
pub(crate) fn list_of_zh(items: &[String], n: usize, total: usize) -> String {
    if total <= n || items.len() < n {
        items.join("，")
    } else {
        format!("{}等，另 {} 项", items[..n].join("，"), total - n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The prefix key orders texts as they order themselves (short texts, shared prefixes, NULs, unicode).
        #[test]
        fn prefix_key_orders_as_the_text(a in "[0-9\\x00a\u{4e00}]{0,20}", b in "[0-9\\x00a\u{4e00}]{0,20}") {
            proptest::prop_assert_eq!(prefix_key(&a).cmp(&prefix_key(&b)), a.cmp(&b));
        }

        /// The distinct values, sorted: what a sort and a dedup of every value give.
        #[test]
        fn distinct_refs_are_sorted_and_deduplicated(v in proptest::collection::vec("[0-9a]{0,18}", 0..60)) {
            let mut want: Vec<&str> = v.iter().map(String::as_str).collect();
            want.sort_unstable();
            want.dedup();
            proptest::prop_assert_eq!(distinct_refs(v.iter().map(String::as_str)), want);
        }
    }
}
