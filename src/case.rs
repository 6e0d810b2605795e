//! Cases: findings that share a payee or an account (connected components), scored and ranked.
//!
//! Score of a case (documented in the README):
//!
//! ```text
//! score = sum over the distinct rules in the case of the points of the highest severity that rule raised
//!         (low 1, medium 3, high 6, critical 10)
//!       + 2 x log10(1 + amount at risk in yuan)
//! ```
//!
//! The amount at risk counts each payment once, at the largest amount any finding puts at risk on it. A case is
//! referred when its score reaches the referral threshold (default 10) and it is not in the baseline of
//! already-reviewed cases. The case id is a hash of the case's sorted subject keys, so the same case keeps its
//! id across runs while its subjects stay the same.

use crate::finding::{Finding, Severity};
use crate::ledger::batch::RowRef;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use xxhash_rust::xxh3::xxh3_64;

/// The most subjects a case lists.
pub const MAX_CASE_SUBJECTS: usize = 200;
/// The most characters of a case's explanation or listed subjects: a spreadsheet cell holds 32,767.
pub const MAX_CELL_CHARS: usize = 30_000;

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub case_id: String,
    pub rank: usize,
    pub score: f64,
    pub referral: bool,
    /// In the baseline of cases already reviewed: shown, never referred again.
    pub reviewed: bool,
    /// `kind:key` of every finding's subject, sorted (the first [`MAX_CASE_SUBJECTS`], within
    /// [`MAX_CELL_CHARS`] characters, when there are more: see `subjects_not_listed`).
    pub subjects: Vec<String>,
    /// Subjects of a large case left out of `subjects` (absent when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub subjects_not_listed: usize,
    pub rules: Vec<String>,
    pub severity: Severity,
    pub amount_at_risk_fen: i64,
    pub payments: usize,
    pub findings: usize,
    pub explanation: String,
    /// The explanation in Chinese: the findings' Chinese explanations (English where a finding has none).
    #[serde(skip)]
    pub explanation_zh: String,
    #[serde(skip)]
    pub finding_indices: Vec<usize>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            self.0[hi] = lo;
        }
    }
}

/// The stable id of a case with these sorted subject keys.
pub fn case_id(subjects: &[String]) -> String {
    format!("C{:016x}", xxh3_64(subjects.join("\n").as_bytes()))
}

/// Groups findings into cases, fills each finding's `case_id`, and returns the cases ranked by score.
pub fn build_cases(
    findings: &mut [Finding],
    referral_threshold: f64,
    baseline: &BTreeSet<String>,
) -> Vec<Case> {
    let mut uf = UnionFind((0..findings.len()).collect());
    let mut owner: HashMap<&str, usize, crate::ledger::hash::KeyHash> = HashMap::default();
    for (i, f) in findings.iter().enumerate() {
        for l in &f.links {
            match owner.get(l.as_str()) {
                Some(&j) => uf.union(i, j),
                None => {
                    owner.insert(l, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..findings.len() {
        let root = uf.find(i);
        groups.entry(root).or_default().push(i);
    }
    // cases are made in parallel (a giant one, of a placeholder key, sorts millions of rows)
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let shared: &[Finding] = findings;
    let mut cases: Vec<Case> = groups
        .into_par_iter()
        .with_max_len(64)
        .map(|idx| make_case(shared, idx, referral_threshold, baseline))
        .collect();
    cases.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.case_id.cmp(&b.case_id))
    });
    for (rank, c) in cases.iter_mut().enumerate() {
        c.rank = rank + 1;
        for &i in &c.finding_indices {
            findings[i].case_id.clone_from(&c.case_id);
        }
    }
    cases
}

fn make_case(
    findings: &[Finding],
    idx: Vec<usize>,
    threshold: f64,
    baseline: &BTreeSet<String>,
) -> Case {
    let mut subjects: Vec<String> = idx
        .iter()
        .map(|&i| {
            format!(
                "{}:{}",
                findings[i].subject_kind.as_str(),
                findings[i].subject
            )
        })
        .collect();
    subjects.sort();
    subjects.dedup();
    let mut rules: BTreeMap<&str, Severity> = BTreeMap::new();
    let mut risk: Vec<(RowRef, i64)> = Vec::new();
    let mut rows: Vec<RowRef> = Vec::new();
    for &i in &idx {
        let f = &findings[i];
        let e = rules.entry(f.rule).or_insert(f.severity);
        *e = (*e).max(f.severity);
        rows.extend(f.evidence.iter().copied());
        risk.extend(f.risk.iter().copied());
    }
    rows.par_sort_unstable();
    rows.dedup();
    // each payment once, at the largest amount any finding puts at risk on it
    risk.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    risk.dedup_by_key(|e| e.0);
    let amount: i64 = risk.iter().map(|e| e.1).sum();
    let score = score(rules.values().copied(), amount);
    let id = case_id(&subjects);
    let reviewed = baseline.contains(&id);
    let mut order = idx.clone();
    order.sort_by(|&a, &b| {
        findings[b]
            .severity
            .cmp(&findings[a].severity)
            .then(findings[b].amount_fen.cmp(&findings[a].amount_fen))
            .then(a.cmp(&b))
    });
    // the findings' explanations, most serious first, within what a spreadsheet cell holds
    let explanation = joined(
        findings,
        &order,
        |f| &f.explanation,
        |k| format!(" | and {k} more findings (see findings.jsonl)"),
    );
    let explanation_zh = joined(findings, &order, Finding::explanation_zh_or_en, |k| {
        format!(" | 另有 {k} 项疑点（见 findings.jsonl）")
    });
    // the subjects listed (every one counts in the case id), within what a spreadsheet cell holds
    let all_subjects = subjects.len();
    let mut chars = 0usize;
    let shown = subjects
        .iter()
        .take_while(|x| {
            chars += x.chars().count() + 2;
            chars <= MAX_CELL_CHARS
        })
        .count()
        .clamp(1, MAX_CASE_SUBJECTS);
    subjects.truncate(shown);
    Case {
        case_id: id,
        rank: 0,
        score,
        referral: score >= threshold && !reviewed,
        reviewed,
        subjects,
        subjects_not_listed: all_subjects - shown,
        rules: rules.keys().map(ToString::to_string).collect(),
        severity: rules.values().copied().max().unwrap_or(Severity::Low),
        amount_at_risk_fen: amount,
        payments: rows.len(),
        findings: idx.len(),
        explanation,
        explanation_zh,
        finding_indices: idx,
    }
}

/// The explanations (`text`) of `findings` in `order`, each after its rule, within what a spreadsheet cell
/// holds (`more(k)` says how many were left out).
fn joined(
    findings: &[Finding],
    order: &[usize],
    text: impl Fn(&Finding) -> &str,
    more: impl Fn(usize) -> String,
) -> String {
    let mut explanation = String::new();
    let mut chars = 0usize;
    for (k, &i) in order.iter().enumerate() {
        let part = format!("{}: {}", findings[i].rule, text(&findings[i]));
        let len = part.chars().count() + if k == 0 { 0 } else { 3 };
        if k > 0 && chars + len > MAX_CELL_CHARS {
            explanation.push_str(&more(order.len() - k));
            break;
        }
        if k > 0 {
            explanation.push_str(" | ");
        }
        explanation.push_str(&part);
        chars += len;
    }
    explanation
}

/// The documented score, rounded to 2 decimals so reports are stable.
pub fn score(severities: impl Iterator<Item = Severity>, amount_fen: i64) -> f64 {
    let points: f64 = severities.map(Severity::points).sum();
    let yuan = amount_fen.max(0) as f64 / 100.0;
    ((points + 2.0 * (1.0 + yuan).log10()) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_follows_the_formula() {
        assert!((score([Severity::High].into_iter(), 0) - 6.0).abs() < 1e-9);
        // 6 + 2 x log10(1 + 999) = 12
        assert!((score([Severity::High].into_iter(), 99_900) - 12.0).abs() < 1e-9);
        assert!((score([Severity::Medium, Severity::Low].into_iter(), 900) - 6.0).abs() < 1e-9);
    }

    #[test]
    fn a_large_case_lists_what_a_spreadsheet_cell_holds() {
        use crate::finding::{EvidenceRow, SubjectKind};
        // 300 payees paid into one account: one case of 300 findings, each with a 200-character explanation
        let findings: Vec<Finding> = (0..300u64)
            .map(|i| {
                let r = EvidenceRow {
                    row: Some(RowRef::new(0, i)),
                    payee_id: format!("P{i:03}").into(),
                    account: "A".into(),
                    amount_fen: 100,
                    ..EvidenceRow::default()
                };
                Finding::new(
                    &crate::rules::dup::duplicate_payment::META,
                    Severity::High,
                    SubjectKind::Payee,
                    format!("P{i:03}"),
                    &[&r],
                    &[100],
                    "x".repeat(200),
                )
            })
            .collect();
        let mut fs = findings.clone();
        let cases = build_cases(&mut fs, 10.0, &BTreeSet::new());
        assert_eq!(cases.len(), 1);
        let c = &cases[0];
        assert_eq!((c.subjects.len(), c.subjects_not_listed), (200, 100));
        assert_eq!(c.subjects[0], "payee:P000");
        assert_eq!(
            (c.payments, c.findings, c.amount_at_risk_fen),
            (300, 300, 30_000)
        );
        // each part is "DUP001: " + 200 characters, joined by " | ": 142 fit in 30,000 characters
        assert!(
            c.explanation
                .ends_with(" | and 158 more findings (see findings.jsonl)"),
            "{}",
            &c.explanation[c.explanation.len() - 80..]
        );
        assert_eq!(c.explanation.matches("DUP001: ").count(), 142);
        assert!(c.explanation.chars().count() < 30_100);
        // the id hashes every subject, listed or not
        let all: Vec<String> = (0..300).map(|i| format!("payee:P{i:03}")).collect();
        assert_eq!(c.case_id, case_id(&all));
    }

    #[test]
    fn case_ids_are_stable_and_order_free() {
        let a = case_id(&["account:1".into(), "payee:2".into()]);
        assert_eq!(a, case_id(&["account:1".into(), "payee:2".into()]));
        assert_ne!(a, case_id(&["account:1".into()]));
        assert_eq!(a.len(), 17);
    }
}
