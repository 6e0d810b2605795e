//! A finding: one red flag raised by one rule, with its subject, the money at risk, the evidence rows and an
//! explanation that gives the numbers that fired it.

use crate::ledger::batch::RowRef;
use crate::ledger::decode::date_from_days;
use crate::money::fmt_yuan;
use crate::rule_meta::RuleMeta;
pub use crate::rule_meta::Severity;
use serde::Serialize;
use std::collections::HashMap;

/// The longest explanation a finding gives (bytes; a longer one is cut at a character boundary).
pub const MAX_EXPLANATION_CHARS: usize = 4000;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Payee,
    Account,
    Officer,
    Region,
    /// A cluster of payee ids that are one person.
    Person,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payee => "payee",
            Self::Account => "account",
            Self::Officer => "officer",
            Self::Region => "region",
            Self::Person => "person",
        }
    }
    /// Whether findings on this subject join cases through the payees and accounts of their evidence (an
    /// officer's or a region's evidence spans many unrelated payees, so those link by subject only).
    pub fn links_evidence(self) -> bool {
        matches!(self, Self::Payee | Self::Account | Self::Person)
    }
}

/// A text of an evidence row: inline up to 24 bytes (ids, accounts, names, codes: nearly every value), so a row
/// is one block of memory and millions of them cost no allocation each.
pub type Str = compact_str::CompactString;

/// One evidence row, read back from the ledger after the scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceRow {
    pub row: Option<RowRef>,
    /// The txn id, or `file:row` when the ledger has no `txn_id`.
    pub txn_id: Str,
    pub scheme: Str,
    pub period: Str,
    /// Days since the epoch; `None` when the ledger gives no date (shown as `unknown`).
    pub pay_date: Option<i32>,
    pub region: Str,
    /// The payee's key: the canonical form of the id ([`crate::ident::canonical_id`]), one for every form of
    /// one person's id; the trimmed text for ids that are no valid resident id.
    pub payee_id: Str,
    /// The payee id as the ledger wrote it (trimmed).
    pub payee_raw: Str,
    pub payee_name: Str,
    pub account: Str,
    pub amount_fen: i64,
    pub status: Str,
    pub officer_id: Option<Str>,
    pub household_id: Option<Str>,
    /// The county and township columns, when `[locale] region` names them.
    pub county: Option<Str>,
    pub township: Option<Str>,
}

impl EvidenceRow {
    pub fn date(&self) -> String {
        match self.pay_date {
            None => "unknown".to_string(),
            Some(days) => date_from_days(days)
                .map_or_else(|| days.to_string(), |d| d.format("%Y-%m-%d").to_string()),
        }
    }
    /// `on 2024-04-12`, or `on an unknown date`.
    pub fn on_date(&self) -> String {
        if self.pay_date.is_some() {
            format!("on {}", self.date())
        } else {
            "on an unknown date".to_string()
        }
    }
    /// The order of payments: by pay date, undated rows after every dated one (never the first payment),
    /// then ledger order.
    pub fn date_order(&self) -> (i32, Option<RowRef>) {
        (self.pay_date.unwrap_or(i32::MAX), self.row)
    }
    /// `T123 (2024-04-12, 1457.30)`
    pub fn brief(&self) -> String {
        format!(
            "{} ({}, {})",
            self.txn_id,
            self.date(),
            fmt_yuan(self.amount_fen)
        )
    }
}

/// The evidence rows read back after the scan.
pub type Evidence = HashMap<RowRef, EvidenceRow, crate::ledger::hash::KeyHash>;

/// The payee ids of `rows` written in another form than their key, as (key, form) pairs, sorted and distinct.
fn id_forms<'a>(rows: &[&'a EvidenceRow]) -> Vec<(&'a str, &'a str)> {
    let mut forms: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| !r.payee_raw.is_empty() && r.payee_raw != r.payee_id)
        .map(|r| (r.payee_id.as_str(), r.payee_raw.as_str()))
        .collect();
    forms.sort_unstable();
    forms.dedup();
    forms
}

/// `; ids as written: 110101196205035536 as 110101620503553` of [`id_forms`] (empty when there is none).
fn written_as(forms: &[(&str, &str)]) -> String {
    if forms.is_empty() {
        return String::new();
    }
    let items: Vec<String> = forms.iter().map(|(k, w)| format!("{k} as {w}")).collect();
    format!("; ids as written: {}", crate::text::list(&items, 6))
}

/// The Chinese twin of [`written_as`]: `；证件号原样写法：110101196205035536 写作 110101620503553`.
fn written_as_zh(forms: &[(&str, &str)]) -> String {
    if forms.is_empty() {
        return String::new();
    }
    let items: Vec<String> = forms.iter().map(|(k, w)| format!("{k} 写作 {w}")).collect();
    format!("；证件号原样写法：{}", crate::text::list_zh(&items, 6))
}

/// Cuts `text` longer than [`MAX_EXPLANATION_CHARS`] bytes at the character boundary below, then adds `mark`.
fn cut(text: &mut String, mark: &str) {
    if text.len() > MAX_EXPLANATION_CHARS {
        let mut at = MAX_EXPLANATION_CHARS;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push_str(mark);
    }
}

/// One red flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub rule_name: &'static str,
    pub severity: Severity,
    pub subject_kind: SubjectKind,
    pub subject: String,
    pub amount_fen: i64,
    pub txn_ids: Vec<String>,
    pub explanation: String,
    /// The explanation in Chinese (empty: none; readers fall back to [`Finding::explanation`]).
    #[serde(skip)]
    pub explanation_zh: String,
    /// What [`Finding::new`] appends to the Chinese explanation that [`Finding::with_zh`] gives.
    #[serde(skip)]
    zh_tail: String,
    pub case_id: String,
    #[serde(skip)]
    pub evidence: Vec<RowRef>,
    /// Money at risk per evidence row (rows with nothing at risk are left out).
    #[serde(skip)]
    pub risk: Vec<(RowRef, i64)>,
    /// Keys that join findings into cases (`payee:…`, `account:…`, `officer:…`).
    #[serde(skip)]
    pub links: Vec<String>,
    /// The evidence rows cited (those of `txn_ids`, in their order): every row, or those [`Finding::bound`]
    /// keeps. Empty until bound fills `txn_ids` of a large finding.
    #[serde(skip)]
    pub cited: Vec<RowRef>,
}

/// Findings of more rows than this (every one read back, so with its place) leave `txn_ids` empty for
/// [`Finding::bound`] to fill from the evidence with only the rows it cites: copying millions of ids to keep a
/// thousand cost more than the render.
pub const CITE_LATER: usize = 4096;

impl Finding {
    /// Builds a finding over `rows` (already in the order to show), with `risk[i]` fen at risk on `rows[i]`.
    pub fn new(
        meta: &'static RuleMeta,
        severity: Severity,
        subject_kind: SubjectKind,
        subject: impl Into<String>,
        rows: &[&EvidenceRow],
        risk: &[i64],
        explanation: String,
    ) -> Self {
        let subject: String = subject.into();
        // an empty key (no account column, a null or blank value) links nothing
        let mut links = Vec::new();
        if !subject.trim().is_empty() {
            links.push(format!("{}:{}", subject_kind.as_str(), subject));
        }
        let mut explanation = explanation;
        let mut zh_tail = String::new();
        if subject_kind.links_evidence() {
            // distinct keys first: a finding of many rows formats each key once; an empty key links nothing
            for (k, f) in [
                (
                    "account",
                    (|r: &EvidenceRow| r.account.as_str()) as fn(&EvidenceRow) -> &str,
                ),
                ("payee", |r: &EvidenceRow| r.payee_id.as_str()),
            ] {
                let keys =
                    crate::text::distinct_refs(rows.iter().map(|r| f(r)).filter(|v| !v.is_empty()));
                links.extend(keys.iter().map(|v| {
                    let mut l = String::with_capacity(k.len() + 1 + v.len());
                    l.push_str(k);
                    l.push(':');
                    l.push_str(v);
                    l
                }));
            }
            // the forms once, for both languages (a finding of millions of rows scans them once)
            let forms = id_forms(rows);
            explanation.push_str(&written_as(&forms));
            zh_tail = written_as_zh(&forms);
        }
        links.sort();
        links.dedup();
        // every row has its place (rows read back do): the ids can be looked up again from the evidence
        let cite_later = rows.len() > CITE_LATER && rows.iter().all(|r| r.row.is_some());
        let risk: Vec<(RowRef, i64)> = rows
            .iter()
            .zip(risk.iter().chain(std::iter::repeat(&0)))
            .filter(|(_, &f)| f != 0)
            .filter_map(|(r, &f)| r.row.map(|x| (x, f)))
            .collect();
        Self {
            rule: meta.code,
            rule_name: meta.name,
            severity,
            subject_kind,
            subject,
            amount_fen: risk.iter().map(|(_, f)| f).sum(),
            txn_ids: if cite_later {
                Vec::new()
            } else {
                rows.iter().map(|r| r.txn_id.as_str().to_owned()).collect()
            },
            explanation,
            explanation_zh: String::new(),
            zh_tail,
            case_id: String::new(),
            evidence: rows.iter().filter_map(|r| r.row).collect(),
            cited: if cite_later {
                Vec::new()
            } else {
                rows.iter().filter_map(|r| r.row).collect()
            },
            risk,
            links,
        }
    }

    /// The finding with its explanation in Chinese (`zh`, from the same numbers and rows as the English one;
    /// the ids as written follow it as they follow the English one).
    #[must_use]
    pub fn with_zh(mut self, zh: String) -> Self {
        self.explanation_zh = zh;
        self.explanation_zh.push_str(&self.zh_tail);
        self
    }

    /// The Chinese explanation, or the English one where the finding has none.
    pub fn explanation_zh_or_en(&self) -> &str {
        if self.explanation_zh.is_empty() {
            &self.explanation
        } else {
            &self.explanation_zh
        }
    }

    /// Keeps the finding within what its readers take: an explanation longer than [`MAX_EXPLANATION_CHARS`]
    /// is cut, and a finding with more than `max_rows` evidence rows cites only `max_rows` of them (`txn_ids`):
    /// the first, the first of each payee (up to half), then the largest amounts, all in their shown order;
    /// the explanation then says how many were left out and their money. The money at risk, the rows a case
    /// counts and the links stay those of every row. Nothing changes on a finding within both bounds.
    pub fn bound(&mut self, max_rows: usize, ev: &Evidence) {
        cut(&mut self.explanation, " … (cut)");
        cut(&mut self.explanation_zh, " …（已截断）");
        let n = self.evidence.len();
        let max = max_rows.max(1);
        let txn = |r: &RowRef| {
            ev.get(r)
                .map_or_else(String::new, |e| e.txn_id.as_str().to_owned())
        };
        if n <= max && self.uncited() {
            self.txn_ids = self.evidence.iter().map(txn).collect();
            self.cited.clone_from(&self.evidence);
        }
        if n <= max || (!self.uncited() && self.txn_ids.len() != n) {
            return;
        }
        // one lookup per row: (amount, payee), looked up again by every comparison this was 10x slower
        let rows: Vec<Option<&EvidenceRow>> = self.evidence.iter().map(|r| ev.get(r)).collect();
        let amounts: Vec<i64> = rows.iter().map(|r| r.map_or(0, |r| r.amount_fen)).collect();
        let mut keep = vec![false; n];
        keep[0] = true;
        let mut kept = 1;
        let mut payees: std::collections::HashSet<&str, crate::ledger::hash::KeyHash> =
            std::collections::HashSet::default();
        let mut last: Option<&str> = None;
        for (k, r) in keep.iter_mut().zip(&rows) {
            if kept >= max.div_ceil(2) {
                break;
            }
            if let Some(r) = r {
                // a run of one payee's rows skips the set
                if last == Some(r.payee_id.as_str()) {
                    continue;
                }
                last = Some(r.payee_id.as_str());
                if payees.insert(r.payee_id.as_str()) && !*k {
                    *k = true;
                    kept += 1;
                }
            }
        }
        let mut by_amount: Vec<usize> = (0..n).filter(|&i| !keep[i]).collect();
        let want = max - kept;
        if want < by_amount.len() {
            by_amount.select_nth_unstable_by_key(want, |&i| (std::cmp::Reverse(amounts[i]), i));
            by_amount.truncate(want);
        }
        for i in by_amount {
            keep[i] = true;
        }
        let total: i64 = amounts.iter().sum();
        let left: i64 = (0..n).filter(|&i| !keep[i]).map(|i| amounts[i]).sum();
        self.cited = (0..n)
            .filter(|&i| keep[i])
            .map(|i| self.evidence[i])
            .collect();
        if self.uncited() {
            self.txn_ids = self.cited.iter().map(txn).collect();
        } else {
            let mut i = 0;
            self.txn_ids.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        self.explanation.push_str(&format!(
            "; evidence: {} of the {n} payments cited (the first, the first of each payee, the largest), and {} more payments ({} yuan) not cited, {} yuan in all",
            self.txn_ids.len(),
            n - self.txn_ids.len(),
            fmt_yuan(left),
            fmt_yuan(total)
        ));
        if !self.explanation_zh.is_empty() {
            self.explanation_zh.push_str(&format!(
                "；证据：共 {n} 笔，引用 {} 笔（首笔、每名领取人的首笔及金额最大的），另有 {} 笔（{} 元）未引用，合计 {} 元",
                self.txn_ids.len(),
                n - self.txn_ids.len(),
                fmt_yuan(left),
                fmt_yuan(total)
            ));
        }
    }

    /// Whether `txn_ids` is still to be filled from the evidence ([`CITE_LATER`]): a finding with evidence rows
    /// and no id is one that [`Finding::new`] left for [`Finding::bound`] (otherwise every row gives its id).
    fn uncited(&self) -> bool {
        self.txn_ids.is_empty() && !self.evidence.is_empty()
    }

    /// The total order findings leave the library in.
    pub fn sort_key(&self) -> (&str, SubjectKind, &str, Option<&RowRef>) {
        (
            self.rule,
            self.subject_kind,
            &self.subject,
            self.evidence.first(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule's metadata (a finding takes only its code and name): DUP003's.
    static META: RuleMeta = RuleMeta {
        code: "DUP003",
        name: "shared-account",
        summary: "",
        doc: "",
        severity: Severity::High,
        columns: &[],
        optional_columns: &[],
        references: &[],
        params: &[],
    };

    fn row(i: u64, payee: &str, fen: i64) -> EvidenceRow {
        EvidenceRow {
            row: Some(RowRef::new(0, i)),
            txn_id: format!("T{i}").into(),
            payee_id: payee.into(),
            account: "A".into(),
            amount_fen: fen,
            ..EvidenceRow::default()
        }
    }

    fn finding(rows: &[EvidenceRow]) -> (Finding, Evidence) {
        let refs: Vec<&EvidenceRow> = rows.iter().collect();
        let risk: Vec<i64> = rows.iter().map(|r| r.amount_fen).collect();
        let f = Finding::new(
            &META,
            Severity::High,
            SubjectKind::Account,
            "A",
            &refs,
            &risk,
            "account A".into(),
        );
        let ev = rows
            .iter()
            .filter_map(|r| r.row.map(|x| (x, r.clone())))
            .collect();
        (f, ev)
    }

    #[test]
    fn bound_cites_the_first_one_per_payee_then_the_largest_and_keeps_the_totals() {
        // payees P1 (rows 0, 1, 2), P2 (3), P3 (4, 5), P4 (6, 7); amounts in fen
        let rows: Vec<EvidenceRow> = [
            ("P1", 100),
            ("P1", 900),
            ("P1", 500),
            ("P2", 100),
            ("P3", 800),
            ("P3", 100),
            ("P4", 100),
            ("P4", 700),
        ]
        .iter()
        .enumerate()
        .map(|(i, (p, f))| row(i as u64, p, *f))
        .collect();
        let (mut f, ev) = finding(&rows);
        let before = f.clone();
        f.bound(8, &ev);
        assert_eq!(f, before, "within the bound nothing changes");
        f.bound(5, &ev);
        // the first (T0, P1), the first of the next payees up to 3 rows (T3 P2, T4 P3), then the largest: T1
        // (900), T7 (700); shown in their order
        assert_eq!(f.txn_ids, vec!["T0", "T1", "T3", "T4", "T7"]);
        assert_eq!(
            f.explanation,
            "account A; evidence: 5 of the 8 payments cited (the first, the first of each payee, the largest), and 3 more payments (7.00 yuan) not cited, 33.00 yuan in all"
        );
        // money at risk, the rows a case counts and the links stay those of every row
        assert_eq!(f.amount_fen, 3300);
        assert_eq!(f.evidence.len(), 8);
        assert_eq!(f.risk.len(), 8);
        assert!(f.links.contains(&"payee:P4".to_string()));
    }

    /// A finding of more rows than [`CITE_LATER`] takes its ids from the evidence when bound: the same ids and
    /// text as one that copied every id first.
    #[test]
    fn a_large_finding_cites_the_same_rows_from_the_evidence() {
        let n = CITE_LATER + 500;
        let rows: Vec<EvidenceRow> = (0..n)
            .map(|i| {
                row(
                    i as u64,
                    &format!("P{}", i % 700),
                    (i as i64 * 7919) % 100_000,
                )
            })
            .collect();
        let (late, ev) = finding(&rows);
        assert!(late.uncited() && late.txn_ids.is_empty());
        let mut eager = late.clone();
        eager.txn_ids = rows.iter().map(|r| r.txn_id.to_string()).collect();
        // as Finding::new makes a finding that copies every id: every row cited
        eager.cited.clone_from(&eager.evidence);
        for max in [10, 1000, n + 1] {
            let (mut a, mut b) = (late.clone(), eager.clone());
            a.bound(max, &ev);
            b.bound(max, &ev);
            assert_eq!(a, b, "max {max}");
            assert_eq!(a.txn_ids.len(), max.min(n));
            // the rows cited are those of the ids, in their order
            let ids: Vec<String> = a.cited.iter().map(|r| ev[r].txn_id.to_string()).collect();
            assert_eq!(ids, a.txn_ids);
        }
    }

    /// The Chinese explanation takes the ids as written and the evidence note in Chinese, and is cut as the
    /// English one is.
    #[test]
    fn the_chinese_explanation_gets_its_suffixes_and_its_cut() {
        let mut rows: Vec<EvidenceRow> =
            (0..8).map(|i| row(i, "P1", 100 * (i as i64 + 1))).collect();
        rows[0].payee_raw = "p1".into();
        let refs: Vec<&EvidenceRow> = rows.iter().collect();
        let f = Finding::new(
            &META,
            Severity::High,
            SubjectKind::Account,
            "A",
            &refs,
            &[],
            "account A".into(),
        );
        assert!(f.explanation_zh.is_empty(), "none until given");
        assert_eq!(
            f.explanation_zh_or_en(),
            "account A; ids as written: P1 as p1"
        );
        let mut f = f.with_zh("账户 A".into());
        assert_eq!(f.explanation_zh, "账户 A；证件号原样写法：P1 写作 p1");
        let ev: Evidence = rows
            .iter()
            .map(|r| (r.row.expect("row"), r.clone()))
            .collect();
        f.bound(5, &ev);
        assert_eq!(
            f.explanation_zh,
            "账户 A；证件号原样写法：P1 写作 p1；证据：共 8 笔，引用 5 笔（首笔、每名领取人的首笔及金额最大的），\
             另有 3 笔（9.00 元）未引用，合计 36.00 元"
        );
        assert!(f
            .explanation
            .ends_with("3 more payments (9.00 yuan) not cited, 36.00 yuan in all"));
        let (mut g, ev) = finding(&rows[..1]);
        g = g.with_zh("王".repeat(2000));
        g.bound(10, &ev);
        assert!(
            g.explanation_zh.ends_with("王 …（已截断）"),
            "{}",
            g.explanation_zh
        );
        assert_eq!(g.explanation_zh.len(), 3999 + " …（已截断）".len());
    }

    #[test]
    fn bound_cuts_a_long_explanation_at_a_character() {
        let rows = vec![row(0, "P1", 100)];
        let (mut f, ev) = finding(&rows);
        f.explanation = "王".repeat(2000); // 6,000 bytes
        f.bound(10, &ev);
        assert!(f.explanation.ends_with("王 … (cut)"), "{}", f.explanation);
        assert_eq!(f.explanation.len(), 3999 + " … (cut)".len());
    }
}
