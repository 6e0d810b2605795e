//! Text over evidence rows that rules of several families write in their explanations: rows in payment order,
//! a payee, a total, a list of payments.

use crate::finding::EvidenceRow;
use crate::money::fmt_yuan;
use crate::text::list_of;

/// Rows in payment order: pay date (undated rows last), then ledger order.
pub(crate) fn by_pay_date(rows: &mut [&EvidenceRow]) {
    sort_by_key_once(rows, EvidenceRow::date_order);
}

/// A stable sort of `items` by `key`, each key taken once and sorted beside its item: a comparison that reads two
/// rows scattered over the evidence costs a cache miss each, on findings of millions of rows; a stable sort keeps
/// the runs rows already come in (ledger order is mostly pay-date order) cheap.
pub(crate) fn sort_by_key_once<T: Copy, K: Ord>(items: &mut [T], key: impl Fn(T) -> K) {
    if items.len() < 64 {
        items.sort_by_key(|x| key(*x));
        return;
    }
    let mut keyed: Vec<(K, T)> = items.iter().map(|x| (key(*x), *x)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    for (slot, (_, x)) in items.iter_mut().zip(keyed) {
        *slot = x;
    }
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

/// `张三（110105194912310021）`
pub(crate) fn who_zh(r: &EvidenceRow) -> String {
    format!("{}（{}）", r.payee_name, r.payee_id)
}

pub(crate) fn total(rows: &[&EvidenceRow]) -> String {
    fmt_yuan(rows.iter().map(|r| r.amount_fen).sum())
}

/// [`crate::text::list`] of the rows' [`EvidenceRow::brief`], building only the ones shown.
pub(crate) fn briefs(rows: &[&EvidenceRow], n: usize) -> String {
    let shown: Vec<String> = rows.iter().take(n).map(|r| r.brief()).collect();
    list_of(&shown, n, rows.len())
}

/// The Chinese twin of [`briefs`].
pub(crate) fn briefs_zh(rows: &[&EvidenceRow], n: usize) -> String {
    let shown: Vec<String> = rows.iter().take(n).map(|r| r.brief()).collect();
    crate::text::list_of_zh(&shown, n, rows.len())
}

/// The Chinese twin of [`payments`]: `5 笔（1234.00 元），2024-01-05 至 2024-12-05`.
pub(crate) fn payments_zh(rows: &[&EvidenceRow], cur: &crate::locale::Currency) -> String {
    let n = rows.len();
    let total = total(rows);
    let cur = cur.zh();
    let dated = rows.iter().filter(|r| r.pay_date.is_some()).count();
    let undated = match n - dated {
        0 => String::new(),
        u if dated == 0 => format!("，{u} 笔日期不详"),
        u => format!("，另 {u} 笔日期不详"),
    };
    match (rows.first(), rows.get(dated.saturating_sub(1))) {
        _ if dated == 0 && n > 0 => format!("{n} 笔（{total} {cur}）{undated}"),
        (Some(a), Some(b)) if dated > 1 => format!(
            "{n} 笔（{total} {cur}），{} 至 {}{undated}",
            a.date(),
            b.date()
        ),
        (Some(a), _) if n == 1 => format!("1 笔（{total} {cur}），于 {}", a.date()),
        (Some(a), _) => format!("{n} 笔（{total} {cur}）：1 笔于 {}{undated}", a.date()),
        _ => "无付款".into(),
    }
}

/// `5 payments (1234.00 yuan) from 2024-01-05 to 2024-12-05` of rows in pay-date order (undated rows last:
/// `… and 1 on an unknown date`).
pub(crate) fn payments(rows: &[&EvidenceRow], cur: &crate::locale::Currency) -> String {
    let n = rows.len();
    let total = total(rows);
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

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The keyed sort is the stable sort by key (ties keep their order), below and above the cut-over.
        #[test]
        fn sort_by_key_once_is_a_stable_sort(v in proptest::collection::vec((0u8..6, 0u32..1000), 0..200)) {
            let mut got = v.clone();
            sort_by_key_once(&mut got, |x| x.0);
            let mut want = v;
            want.sort_by_key(|x| x.0);
            proptest::prop_assert_eq!(got, want);
        }
    }

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
