//! A finding: one red flag raised by one rule, with its subject, the money at risk, the evidence rows and an
//! explanation that gives the numbers that fired it.

use crate::ledger::batch::RowRef;
use crate::ledger::decode::date_from_days;
use crate::money::fmt_yuan;
use crate::rules::RuleMeta;
use serde::Serialize;

/// How serious a finding is. Scores use [`Severity::points`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
    /// Points a case earns for a rule that fired at this severity.
    pub fn points(self) -> f64 {
        match self {
            Self::Low => 1.0,
            Self::Medium => 3.0,
            Self::High => 6.0,
            Self::Critical => 10.0,
        }
    }
}

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

/// One evidence row, read back from the ledger after the scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceRow {
    pub row: Option<RowRef>,
    /// The txn id, or `file:row` when the ledger has no `txn_id`.
    pub txn_id: String,
    pub scheme: String,
    pub period: String,
    /// Days since the epoch; `None` when the ledger gives no date (shown as `unknown`).
    pub pay_date: Option<i32>,
    pub region: String,
    /// The payee's key: the canonical form of the id ([`crate::ident::canonical_id`]), one for every form of
    /// one person's id; the trimmed text for ids that are no valid resident id.
    pub payee_id: String,
    /// The payee id as the ledger wrote it (trimmed).
    pub payee_raw: String,
    pub payee_name: String,
    pub account: String,
    pub amount_fen: i64,
    pub status: String,
    pub officer_id: Option<String>,
    pub household_id: Option<String>,
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

/// `; ids as written: 110101196205035536 as 110101620503553`, for the payee ids of `rows` written in another
/// form than their key (empty when every id is written as its key).
fn written_as(rows: &[&EvidenceRow]) -> String {
    let mut forms: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| !r.payee_raw.is_empty() && r.payee_raw != r.payee_id)
        .map(|r| (r.payee_id.as_str(), r.payee_raw.as_str()))
        .collect();
    if forms.is_empty() {
        return String::new();
    }
    forms.sort_unstable();
    forms.dedup();
    let items: Vec<String> = forms.iter().map(|(k, w)| format!("{k} as {w}")).collect();
    format!("; ids as written: {}", crate::rules::dup::list(&items, 6))
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
    pub case_id: String,
    #[serde(skip)]
    pub evidence: Vec<RowRef>,
    /// Money at risk per evidence row (rows with nothing at risk are left out).
    #[serde(skip)]
    pub risk: Vec<(RowRef, i64)>,
    /// Keys that join findings into cases (`payee:…`, `account:…`, `officer:…`).
    #[serde(skip)]
    pub links: Vec<String>,
}

impl Finding {
    /// Builds a finding over `rows` (already in the order to show), with `risk[i]` fen at risk on `rows[i]`.
    pub fn new(
        meta: &'static RuleMeta,
        severity: Severity,
        subject_kind: SubjectKind,
        subject: String,
        rows: &[&EvidenceRow],
        risk: &[i64],
        explanation: String,
    ) -> Self {
        // an empty key (no account column, a null or blank value) links nothing
        let mut links = Vec::new();
        if !subject.trim().is_empty() {
            links.push(format!("{}:{}", subject_kind.as_str(), subject));
        }
        let mut explanation = explanation;
        if subject_kind.links_evidence() {
            for r in rows {
                if !r.payee_id.is_empty() {
                    links.push(format!("payee:{}", r.payee_id));
                }
                if !r.account.is_empty() {
                    links.push(format!("account:{}", r.account));
                }
            }
            explanation.push_str(&written_as(rows));
        }
        links.sort();
        links.dedup();
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
            txn_ids: rows.iter().map(|r| r.txn_id.clone()).collect(),
            explanation,
            case_id: String::new(),
            evidence: rows.iter().filter_map(|r| r.row).collect(),
            risk,
            links,
        }
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
