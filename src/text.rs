//! Text helpers with no domain of their own: a list that names a few items and counts the rest. Findings and
//! rules both write such lists.

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
