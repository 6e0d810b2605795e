//! `subsidy-audit evaluate`: scores a scan's findings against the generator's answer key (truth.parquet).
//!
//! Each planted kind maps to the rule codes meant to catch it ([`KIND_RULES`]). Per kind: recall and precision by
//! payment (txn ids) and by subject; per rule present in the findings: its precision against all truth. When a
//! `summary.json` beside the findings lists `rules_run`, kinds whose rules did not run are "not evaluated".

use crate::error::{Error, Result};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;

/// Planted kind -> the rule codes meant to find it.
pub const KIND_RULES: &[(&str, &[&str])] = &[
    ("duplicate", &["DUP001"]),
    ("one_payee_many_accounts", &["DUP002"]),
    ("shared_account", &["DUP003"]),
    ("cross_region", &["DUP004"]),
    ("fuzzy_duplicate", &["DUP005"]),
    ("invalid_id", &["GHO001"]),
    ("ghost", &["GHO002"]),
    ("deceased", &["GHO003"]),
    ("age_ineligible", &["GHO004"]),
    ("official_match", &["INS001", "INS002", "INS003"]),
    ("skim", &["AMT001"]),
    ("inflation", &["AMT001"]),
    ("split", &["AMT002"]),
    ("round_sum", &["AMT003"]),
];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KindScore {
    pub kind: String,
    pub rules: Vec<String>,
    pub evaluated: bool,
    pub planted_payments: u64,
    pub cited_payments: u64,
    pub recall_payment: Option<f64>,
    pub precision_payment: Option<f64>,
    pub planted_subjects: u64,
    pub found_subjects: u64,
    pub recall_subject: Option<f64>,
    pub precision_subject: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleScore {
    pub rule: String,
    pub findings: u64,
    pub cited_payments: u64,
    pub precision_payment: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evaluation {
    pub kinds: Vec<KindScore>,
    pub rules: Vec<RuleScore>,
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn read_batches(path: &Path) -> Result<Vec<RecordBatch>> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| Error::NotParquet {
            path: path.into(),
            detail: e.to_string(),
        })?
        .build()
        .map_err(|e| Error::NotParquet {
            path: path.into(),
            detail: e.to_string(),
        })?;
    reader
        .map(|b| {
            b.map_err(|e| Error::Decode {
                path: path.into(),
                row_group: None,
                detail: e.to_string(),
            })
        })
        .collect()
}

fn column<'a>(path: &Path, b: &'a RecordBatch, name: &str) -> Result<&'a dyn Array> {
    b.column_by_name(name)
        .map(AsRef::as_ref)
        .ok_or_else(|| Error::MissingColumn {
            path: path.into(),
            column: name.into(),
            canonical: name.into(),
            found: b
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The values of a text column (Utf8, LargeUtf8 or Utf8View); nulls are `None`.
fn texts(path: &Path, b: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let a = column(path, b, name)?;
    let err = || Error::ColumnType {
        path: path.into(),
        column: name.into(),
        found: a.data_type().to_string(),
        expected: "Utf8".into(),
    };
    text_values(a).ok_or_else(err)
}

fn text_values(a: &dyn Array) -> Option<Vec<Option<String>>> {
    Some(match a.data_type() {
        DataType::Utf8 => a
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::LargeUtf8 => a
            .as_string::<i64>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::Utf8View => a
            .as_string_view()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        _ => return None,
    })
}

/// The txn ids of each finding (List or LargeList of text).
fn txn_lists(path: &Path, b: &RecordBatch, name: &str) -> Result<Vec<Vec<String>>> {
    let a = column(path, b, name)?;
    let err = || Error::ColumnType {
        path: path.into(),
        column: name.into(),
        found: a.data_type().to_string(),
        expected: "List<Utf8>".into(),
    };
    let lists: Vec<Option<arrow::array::ArrayRef>> = match a.data_type() {
        DataType::List(_) => a.as_list::<i32>().iter().collect(),
        DataType::LargeList(_) => a.as_list::<i64>().iter().collect(),
        _ => return Err(err()),
    };
    lists
        .into_iter()
        .map(|l| match l {
            None => Ok(Vec::new()),
            Some(v) => text_values(v.as_ref())
                .map(|x| x.into_iter().flatten().collect())
                .ok_or_else(err),
        })
        .collect()
}

struct Finding {
    rule: String,
    subject: Option<String>,
    txns: Vec<String>,
}

fn rules_run(findings: &Path) -> Result<Option<BTreeSet<String>>> {
    let path = findings.with_file_name("summary.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Reference {
        table: "summary".into(),
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(v.get("rules_run").and_then(|r| r.as_array()).map(|a| {
        a.iter()
            .filter_map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .or_else(|| x.get("code")?.as_str().map(str::to_string))
            })
            .collect()
    }))
}

/// Scores `findings` (findings.parquet of a scan) against `truth` (truth.parquet of a generated folder).
pub fn evaluate(truth: &Path, findings: &Path) -> Result<Evaluation> {
    let mut truth_txn: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut truth_subj: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut all_txn = HashSet::new();
    let mut all_subj = HashSet::new();
    for b in read_batches(truth)? {
        let kinds = texts(truth, &b, "kind")?;
        let txns = texts(truth, &b, "txn_id")?;
        let subjects = texts(truth, &b, "subject")?;
        for ((k, t), s) in kinds.into_iter().zip(txns).zip(subjects) {
            let Some(k) = k else { continue };
            if let Some(t) = t {
                all_txn.insert(t.clone());
                truth_txn.entry(k.clone()).or_default().insert(t);
            }
            if let Some(s) = s {
                all_subj.insert(s.clone());
                truth_subj.entry(k).or_default().insert(s);
            }
        }
    }
    let mut found = Vec::new();
    for b in read_batches(findings)? {
        let rules = texts(findings, &b, "rule")?;
        let subjects = texts(findings, &b, "subject")?;
        let txns = txn_lists(findings, &b, "txn_ids")?;
        for ((r, s), t) in rules.into_iter().zip(subjects).zip(txns) {
            if let Some(rule) = r {
                found.push(Finding {
                    rule,
                    subject: s,
                    txns: t,
                });
            }
        }
    }
    let run = rules_run(findings)?;
    let empty = HashSet::new();
    let mut kinds = Vec::new();
    for (kind, rules) in KIND_RULES {
        let planted = truth_txn.get(*kind).unwrap_or(&empty);
        let planted_s = truth_subj.get(*kind).unwrap_or(&empty);
        let evaluated = run
            .as_ref()
            .is_none_or(|r| rules.iter().any(|x| r.contains(*x)));
        let mine = found.iter().filter(|f| rules.contains(&f.rule.as_str()));
        let mut cited = HashSet::new();
        let mut subjects = HashSet::new();
        for f in mine {
            cited.extend(f.txns.iter().map(String::as_str));
            if let Some(s) = &f.subject {
                subjects.insert(s.as_str());
            }
        }
        let hit = cited.iter().filter(|t| planted.contains(**t)).count();
        let true_cited = cited.iter().filter(|t| all_txn.contains(**t)).count();
        let found_s = subjects.iter().filter(|s| planted_s.contains(**s)).count();
        let true_s = subjects.iter().filter(|s| all_subj.contains(**s)).count();
        let on = |x: Option<f64>| if evaluated { x } else { None };
        kinds.push(KindScore {
            kind: (*kind).to_string(),
            rules: rules.iter().map(|r| (*r).to_string()).collect(),
            evaluated,
            planted_payments: planted.len() as u64,
            cited_payments: cited.len() as u64,
            recall_payment: on(ratio(hit, planted.len())),
            precision_payment: on(ratio(true_cited, cited.len())),
            planted_subjects: planted_s.len() as u64,
            found_subjects: found_s as u64,
            recall_subject: on(ratio(found_s, planted_s.len())),
            precision_subject: on(ratio(true_s, subjects.len())),
        });
    }
    let mut by_rule: BTreeMap<&str, (u64, HashSet<&str>)> = BTreeMap::new();
    for f in &found {
        let e = by_rule.entry(f.rule.as_str()).or_default();
        e.0 += 1;
        e.1.extend(f.txns.iter().map(String::as_str));
    }
    let rules = by_rule
        .into_iter()
        .map(|(rule, (n, cited))| RuleScore {
            rule: rule.to_string(),
            findings: n,
            cited_payments: cited.len() as u64,
            precision_payment: ratio(
                cited.iter().filter(|t| all_txn.contains(**t)).count(),
                cited.len(),
            ),
        })
        .collect();
    Ok(Evaluation { kinds, rules })
}

impl Evaluation {
    /// A plain-text table of the scores ("-" where undefined, "not evaluated" where the rules did not run).
    pub fn to_table(&self) -> String {
        let pct =
            |x: Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0));
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<24} {:<22} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "kind",
            "rules",
            "planted",
            "cited",
            "recall",
            "precis.",
            "subj.",
            "found",
            "recall",
            "precis."
        );
        for k in &self.kinds {
            if k.evaluated {
                let _ = writeln!(
                    s,
                    "{:<24} {:<22} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                    k.kind,
                    k.rules.join(","),
                    k.planted_payments,
                    k.cited_payments,
                    pct(k.recall_payment),
                    pct(k.precision_payment),
                    k.planted_subjects,
                    k.found_subjects,
                    pct(k.recall_subject),
                    pct(k.precision_subject)
                );
            } else {
                let _ = writeln!(
                    s,
                    "{:<24} {:<22} {:>8} not evaluated",
                    k.kind,
                    k.rules.join(","),
                    k.planted_payments
                );
            }
        }
        let _ = writeln!(
            s,
            "\n{:<10} {:>9} {:>9} {:>10}",
            "rule", "findings", "cited", "precision"
        );
        for r in &self.rules {
            let _ = writeln!(
                s,
                "{:<10} {:>9} {:>9} {:>10}",
                r.rule,
                r.findings,
                r.cited_payments,
                pct(r.precision_payment)
            );
        }
        s
    }
}
